"""Article priors from the text's cues, and the comment thread as evidence of the topic.

:func:`article_prior` blends the method's score with a prior whose weight falls from ``lead``
(a text with no blog cues: news keeps LEAD-like behaviour) to ``lead_blog`` (a fully blog-like
text). The lead prior counts from the first sentence that is not a heading, intro line or
preamble; a sentence opening an enumerated item gains ``point`` on top (the author's own list
of points). Penalties follow the cues (:mod:`summariser.cues`).

:func:`thread_evidence` is what the comments say about the body: a body sentence that a
commenter quotes (six words or more, verbatim up to case and spacing) gains ``quoted``; every
sentence gains ``thread`` times how much of its distinctive vocabulary the commenters use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .cues import Cues
from .ranking import TermMatrix, terms_of_words
from .sentences import words

if TYPE_CHECKING:
    from .extractive import Tuning

QUOTE_MIN_WORDS = 6
THREAD_SATURATION = 3  # comments using a term before it counts fully
_SPACE = re.compile(r"\s+")


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


def thread_evidence(
    texts: Sequence[str],
    matrix: TermMatrix,
    context: Sequence[str],
    quoted: float,
    thread: float,
) -> np.ndarray:
    """Per body sentence: ``quoted`` if a comment quotes it, plus ``thread`` x term uptake."""
    found = np.zeros(len(texts))
    if not context:
        return found
    said = [_normal(c) for c in context]
    for i, sentence in enumerate(texts):
        if len(words(sentence)) >= QUOTE_MIN_WORDS:
            key = _normal(sentence)
            found[i] += quoted * any(key in c for c in said)
    if thread:
        found += thread * _uptake(matrix, context)
    return found


def _uptake(matrix: TermMatrix, context: Sequence[str]) -> np.ndarray:
    """Idf-weighted share of each sentence's terms that commenters use (0..1)."""
    n_comments: dict[int, int] = {}
    vocabulary = matrix.vocabulary
    for comment in context:
        for term in set(terms_of_words(words(comment))):
            index = vocabulary.get(term)
            if index is not None:
                n_comments[index] = n_comments.get(index, 0) + 1
    counts = matrix.counts
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log(max(matrix.size, 1) / np.maximum(df, 1)) + 1.0
    used = np.zeros(counts.shape[1])
    for index, n in n_comments.items():
        used[index] = min(n / THREAD_SATURATION, 1.0)
    rows = matrix.rows()
    weight = idf[counts.indices]
    total = np.bincount(rows, weight, minlength=matrix.size)
    taken = np.bincount(rows, weight * used[counts.indices], minlength=matrix.size)
    return np.divide(taken, total, out=np.zeros(matrix.size), where=total > 0)


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.lower()).strip()
