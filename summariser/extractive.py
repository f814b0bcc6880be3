"""Extractive summaries: sumy's rankings plus what sumy lacks.

1. Split the text into sentences (exact spans, so quotes are verbatim).
2. Score every sentence with the chosen method (:mod:`summariser.scorers`, default LexRank),
   scaled to 0..1.
3. Add priors. Both kinds: closeness to the centroid of the whole text; a sentence that only
   introduces what follows ("Here is the letter:-") or looks like a heading is pushed down. An
   article gets a lead prior (earlier sentences score higher: news and blog posts state their
   point first); a discussion favours sentences whose terms recur across many contributions
   (what several people say).
4. Pick greedily by maximal marginal relevance: score minus similarity to what is already
   chosen, so the summary does not repeat itself; a sentence too close to a chosen one (cosine
   >= ``DUPLICATE``, or the same text up to case and spacing) is never taken. Sentences of
   ``MIN_WORDS``..``MAX_WORDS`` words are preferred; shorter ones are used only when those run
   out, longer ones only when nothing else is left.
5. Return the picks in source order.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .ranking import TermMatrix, similarity_to
from .scorers import CUBIC_METHODS, METHODS, SCORERS
from .sentences import sentence_spans, words

KINDS = ("article", "discussion")
MAX_WORDS = 60
MIN_WORDS = 7
DUPLICATE = 0.7
HEADING_WORDS = 12
_STOPS = frozenset(".!?…")
_CLOSERS = "\"'”’)]» "
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Tuning:
    """Weights of the priors and of the redundancy penalty (defaults: see README, Summaries)."""

    lead: float = 0.9  # article: weight of the lead prior against the method's score
    lead_decay: float = 2.0  # article: prior of sentence i is 1 / (1 + i / lead_decay)
    consensus: float = 0.6  # discussion: weight of cross-contribution term spread
    centroid: float = 1.0  # weight of the cosine to the whole text's centroid (both kinds)
    redundancy: float = 0.8  # MMR: penalty per unit of cosine similarity to a chosen sentence
    intro: float = 1.0  # penalty for a sentence that only introduces what follows ("...:")
    heading: float = 1.0  # penalty for a heading or sign-off line (see :func:`headings`)


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class Scored:
    """Sentences with their final scores and what selection needs to avoid repeats."""

    texts: list[str]
    scores: np.ndarray
    unit: sparse.csr_matrix
    word_counts: np.ndarray
    matrix: TermMatrix


def resolve_method(method: str, kind: str) -> str:
    """The method to run for ``kind``; ValueError naming the choices for a bad name."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    if method not in SCORERS:
        raise ValueError(f"unknown method {method!r}; expected one of: {', '.join(METHODS)}")
    if kind == "discussion" and method in CUBIC_METHODS:
        return "lexrank"  # KL-Sum is cubic in the number of sentences: never on threads
    return method


def summarise(
    text: str, *, sentences: int, kind: str = "article", method: str = "lexrank"
) -> list[str]:
    """The ``sentences`` best sentences of ``text``, verbatim, in the order they appear.

    ``kind="discussion"``: ``text`` is several contributions separated by blank lines.
    ``method``: one of ``METHODS`` (``"kl"`` falls back to LexRank for discussions).
    """
    method = resolve_method(method, kind)
    if sentences <= 0:
        return []
    scored = prepare(text, kind=kind, method=method)
    return [scored.texts[i] for i in sorted(select(scored, sentences))]


def prepare(text: str, *, kind: str, method: str) -> Scored:
    """Split ``text`` and score its sentences (``method`` already resolved)."""
    spans = sentence_spans(text)
    texts = [text[a:b] for a, b in spans]
    blocks = block_numbers(text, [a for a, _ in spans])
    return score_sentences(texts, blocks, headings(text, spans), kind=kind, method=method)


def block_numbers(text: str, starts: Sequence[int]) -> list[int]:
    """For each offset, the number of blank-line breaks before it (its contribution/paragraph)."""
    breaks = [m.start() for m in _BLANK_LINE.finditer(text)]
    return [bisect.bisect_left(breaks, start) for start in starts]


def headings(text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
    """Which sentences look like headings or sign-offs: a short line of their own that does not
    end like a sentence ("A Comment from the Conference – Paul Senior", "Dear Readers")."""
    flags = []
    for start, end in spans:
        own_line = (start == 0 or text[start - 1] == "\n") and text[end : end + 1] in ("", "\n")
        stop = text[start:end].rstrip(_CLOSERS)[-1:] in _STOPS
        flags.append(own_line and not stop and len(words(text[start:end])) <= HEADING_WORDS)
    return flags


def score_sentences(
    texts: Sequence[str],
    blocks: Sequence[int],
    heading: Sequence[bool] | None = None,
    *,
    kind: str,
    method: str,
    tuning: Tuning = DEFAULT_TUNING,
) -> Scored:
    """Method scores scaled to 0..1 plus the priors of ``kind``."""
    matrix = TermMatrix.of(texts)
    if not texts:
        return Scored([], np.zeros(0), matrix.unit_smooth(), np.zeros(0), matrix)
    unit = matrix.unit_smooth()
    base = scale(SCORERS[method](texts, matrix))
    if tuning.centroid:
        base = scale(base + tuning.centroid * scale(_centroid_similarity(unit)))
    block_array = np.asarray(blocks, dtype=np.int64)
    if kind == "article":
        prior = 1.0 / (1.0 + np.arange(len(texts)) / tuning.lead_decay)
        scores = (1.0 - tuning.lead) * base + tuning.lead * prior
    else:
        scores = base + tuning.consensus * scale(_consensus(matrix, block_array))
    scores = scores - tuning.intro * np.array([t.rstrip(" -–—").endswith(":") for t in texts])
    if heading is not None:
        scores = scores - tuning.heading * np.asarray(heading, dtype=np.float64)
    counts = matrix.word_counts if matrix.word_counts is not None else np.zeros(len(texts))
    return Scored(list(texts), scores, unit, counts, matrix)


def scale(values: np.ndarray) -> np.ndarray:
    """Min-max scaling to 0..1 (all equal -> all 0.5)."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if not high > low:
        return np.full(values.shape, 0.5)
    return np.asarray((values - low) / (high - low))


def _centroid_similarity(unit: sparse.csr_matrix) -> np.ndarray:
    """Cosine of each sentence to the sum of all sentences (the text's centroid)."""
    centroid = np.asarray(unit.sum(axis=0)).ravel()
    length = float(np.linalg.norm(centroid))
    return np.asarray(unit @ centroid) / length if length else np.zeros(unit.shape[0])


def _consensus(matrix: TermMatrix, blocks: np.ndarray) -> np.ndarray:
    """Mean share of contributions that use each term of the sentence (0 for no terms)."""
    counts = matrix.counts
    n_blocks = max(len(np.unique(blocks)), 1)
    rows = matrix.rows()
    pairs = np.unique(blocks[rows] * counts.shape[1] + counts.indices)
    spread = np.bincount(pairs % counts.shape[1], minlength=counts.shape[1]) / n_blocks
    present = np.ones_like(counts.data)
    total = np.bincount(rows, spread[counts.indices], minlength=matrix.size)
    number = np.bincount(rows, present, minlength=matrix.size)
    return np.divide(total, number, out=np.zeros(matrix.size), where=number > 0)


def select(scored: Scored, count: int, tuning: Tuning = DEFAULT_TUNING) -> list[int]:
    """Indexes of up to ``count`` sentences by maximal marginal relevance, never near-duplicates.

    Sentences of MIN_WORDS..MAX_WORDS words come first; shorter ones only when those run out,
    and longer ones only when nothing else is left.
    """
    n = len(scored.texts)
    wc = scored.word_counts
    tiers = [(wc >= MIN_WORDS) & (wc <= MAX_WORDS), wc < MIN_WORDS, wc > MAX_WORDS]
    closest = np.zeros(n)
    blocked = np.zeros(n, dtype=bool)
    seen: set[str] = set()
    keys = [" ".join(t.lower().split()) for t in scored.texts]
    chosen: list[int] = []
    for tier in tiers:
        while len(chosen) < count:
            open_ = tier & ~blocked
            if not open_.any():
                break
            value = scored.scores - tuning.redundancy * closest
            pick = int(np.argmax(np.where(open_, value, -np.inf)))
            chosen.append(pick)
            seen.add(keys[pick])
            similarity = similarity_to(scored.unit, pick)
            closest = np.maximum(closest, similarity)
            blocked |= closest >= DUPLICATE
            blocked |= np.fromiter((k in seen for k in keys), bool, n)
    return chosen
