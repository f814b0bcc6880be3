"""Article priors from the text's cues, and the comment thread as evidence of the topic.

:func:`article_prior` blends the method's score with a prior whose weight falls from ``lead``
(a text with no blog cues: news keeps LEAD-like behaviour) to ``lead_blog`` (a fully blog-like
text). The lead prior counts from the first sentence that is not a heading, intro line or
preamble; a sentence opening an enumerated item gains ``point`` on top (the author's own list
of points). Penalties follow the cues (:mod:`summariser.cues`).

:func:`thread_evidence` is what the comments say about the body: a body sentence that a
commenter quotes (six words or more, verbatim up to case and spacing) gains ``quoted``. (Term
uptake, how much of a sentence's vocabulary the commenters use, was measured too: no gain in
key points on the seed posts at weight 0.2, a loss at 0.4, so it is not used.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .cues import Cues
from .sentences import words

if TYPE_CHECKING:
    from .extractive import Tuning

QUOTE_MIN_WORDS = 6


def article_prior(base: np.ndarray, blocks: np.ndarray, cues: Cues, tuning: Tuning) -> np.ndarray:
    """Final article scores: base blended with the lead/point prior, minus the cue penalties.

    A sentence opening an enumerated item speaks for its item: its base is at least the mean
    base of its paragraph (``blocks``: paragraph number of each sentence).
    """
    points = cues.point > 0
    if points.any():
        sums = np.bincount(blocks, base)
        sizes = np.maximum(np.bincount(blocks), 1)
        base = np.where(points, np.maximum(base, (sums / sizes)[blocks]), base)
    weight = tuning.lead + (tuning.lead_blog - tuning.lead) * cues.blog
    counted = ~cues.skipped
    position = np.cumsum(counted) - counted  # counted sentences before this one
    lead = np.where(counted, 1.0 / (1.0 + position / tuning.lead_decay), 0.0)
    scores = (1.0 - weight) * base + weight * lead + tuning.point * cues.point
    penalty = (
        tuning.intro * cues.intro
        + tuning.preamble * cues.preamble
        + tuning.deictic * cues.deictic
        + tuning.scene * cues.blog * cues.scene
    )
    return np.asarray(scores - penalty)


def thread_evidence(texts: Sequence[str], context: Sequence[str], quoted: float) -> np.ndarray:
    """Per body sentence: ``quoted`` if a comment quotes it (QUOTE_MIN_WORDS words or more,
    verbatim up to case and spacing), else 0."""
    found = np.zeros(len(texts))
    if not context or not quoted:
        return found
    said = "\x00".join(_normal(c) for c in context)
    for i, sentence in enumerate(texts):
        if len(words(sentence)) >= QUOTE_MIN_WORDS:
            found[i] = quoted * (_normal(sentence) in said)
    return found


def _normal(text: str) -> str:
    return " ".join(text.lower().split())
