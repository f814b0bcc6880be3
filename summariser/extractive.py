"""Extractive summaries: sumy's rankings plus what sumy lacks.

1. Split the text into sentences (exact spans, so quotes are verbatim).
2. Score every sentence with the chosen method (:mod:`summariser.scorers`, default LexRank),
   scaled to 0..1.
3. Add priors: for an article, a lead prior (earlier sentences score higher, as news and blog
   posts state their point first); for a discussion, a small bonus for the opening sentence of
   each contribution and for sentences whose terms recur across many contributions.
4. Pick greedily by maximal marginal relevance: score minus similarity to what is already
   chosen, so the summary does not repeat itself; a sentence too close to a chosen one (cosine
   >= ``DUPLICATE``, or the same words) is never taken. Sentences of ``MIN_WORDS``..``MAX_WORDS``
   words are preferred; shorter ones are used only when those run out, longer ones last.
5. Return the picks in source order.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .ranking import TermMatrix
from .scorers import CUBIC_METHODS, METHODS, SCORERS
from .sentences import sentence_spans, words

KINDS = ("article", "discussion")
MAX_WORDS = 60
MIN_WORDS = 5
DUPLICATE = 0.7
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Tuning:
    """Weights of the priors and of the redundancy penalty (defaults tuned on held-out data)."""

    lead: float = 0.5  # article: weight of the lead prior against the method's score
    lead_decay: float = 1.0  # article: prior of sentence i is 1 / (1 + i / lead_decay)
    opening: float = 0.1  # discussion: bonus for the first sentence of a contribution
    consensus: float = 0.3  # discussion: weight of cross-contribution term spread
    redundancy: float = 0.5  # MMR: penalty per unit of cosine similarity to a chosen sentence
    same_block: float = 0.1  # discussion: penalty for a second pick from one contribution


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class Scored:
    """Sentences with their final scores and what selection needs to avoid repeats."""

    texts: list[str]
    scores: np.ndarray
    unit: sparse.csr_matrix
    word_counts: np.ndarray
    blocks: np.ndarray


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
    spans = sentence_spans(text)
    if not spans or sentences <= 0:
        return []
    texts = [text[a:b] for a, b in spans]
    blocks = block_numbers(text, [a for a, _ in spans])
    scored = score_sentences(texts, blocks, kind=kind, method=method)
    return [texts[i] for i in sorted(select(scored, sentences))]


def block_numbers(text: str, starts: Sequence[int]) -> list[int]:
    """For each offset, the number of blank-line breaks before it (its contribution/paragraph)."""
    breaks = [m.start() for m in _BLANK_LINE.finditer(text)]
    return [bisect.bisect_left(breaks, start) for start in starts]


def score_sentences(
    texts: Sequence[str],
    blocks: Sequence[int],
    *,
    kind: str,
    method: str,
    tuning: Tuning = DEFAULT_TUNING,
) -> Scored:
    """Method scores scaled to 0..1 plus the priors of ``kind``."""
    matrix = TermMatrix.of(texts)
    base = scale(SCORERS[method](texts, matrix))
    block_array = np.asarray(blocks, dtype=np.int64)
    if kind == "article":
        prior = 1.0 / (1.0 + np.arange(len(texts)) / tuning.lead_decay)
        scores = (1.0 - tuning.lead) * base + tuning.lead * prior
    else:
        opening = np.r_[True, block_array[1:] != block_array[:-1]]
        spread = scale(_consensus(matrix, block_array))
        scores = base + tuning.opening * opening + tuning.consensus * spread
    counts = np.array([len(words(t)) for t in texts])
    return Scored(list(texts), scores, matrix.unit_smooth(), counts, block_array)


def scale(values: np.ndarray) -> np.ndarray:
    """Min-max scaling to 0..1 (all equal -> all 0.5)."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if not high > low:
        return np.full(values.shape, 0.5)
    return np.asarray((values - low) / (high - low))


def _consensus(matrix: TermMatrix, blocks: np.ndarray) -> np.ndarray:
    """Mean share of contributions that use each term of the sentence (0 for no terms)."""
    counts = matrix.counts
    n_blocks = int(blocks.max()) + 1 if blocks.size else 1
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
    used_blocks = np.zeros(int(scored.blocks.max()) + 1, dtype=bool)
    seen: set[tuple[str, ...]] = set()
    keys = [tuple(w.lower() for w in words(t)) for t in scored.texts]
    chosen: list[int] = []
    for tier in tiers:
        while len(chosen) < count:
            open_ = tier & ~blocked
            if not open_.any():
                break
            value = scored.scores - tuning.redundancy * closest
            value = value - tuning.same_block * used_blocks[scored.blocks]
            pick = int(np.argmax(np.where(open_, value, -np.inf)))
            chosen.append(pick)
            seen.add(keys[pick])
            similarity = (scored.unit @ scored.unit[pick].T).toarray().ravel()
            closest = np.maximum(closest, similarity)
            used_blocks[scored.blocks[pick]] = True
            blocked |= closest >= DUPLICATE
            blocked |= np.fromiter((k in seen for k in keys), bool, n)
    return chosen
