"""Extractive summaries: sumy's rankings plus what sumy lacks.

1. Split the text into sentences (exact spans, so quotes are verbatim).
2. Score every sentence with the chosen method (:mod:`summariser.scorers`, default LexRank),
   scaled to 0..1, blended with closeness to the centroid of the whole text.
3. Add priors (weights in :class:`Tuning`).
   An article gets a lead prior: news states its point first. Its weight depends on the text
   (:mod:`summariser.cues`, :mod:`summariser.priors`): 90 % for a text with no blog cues, down
   to ``lead_blog`` for one with preambles, intro lines, headings or a numbered list. Headings,
   intro lines and preambles do not count as the start of the text; a sentence opening an item
   of an enumerated list gains ``point``; preambles, sentences that point at nothing and (in
   blog-like text) scene-setting are pushed down. With a ``context`` (the comment thread), a
   body sentence that commenters quote gains ``quoted``.
   A discussion favours sentences whose terms and word pairs recur across many contributions
   (what several people say, in the words they use).
   Both kinds push down lines that only introduce what follows ("Here is the letter:-") and
   headings.
4. Pick greedily by maximal marginal relevance: score minus similarity to what is already
   chosen, so the summary does not repeat itself (in a discussion, scores on 0..1 minus
   ``shared_words`` times the share of words in common: two opinions about the battery share
   "battery", however common the word). A sentence too close to a chosen one (cosine >=
   ``DUPLICATE``, or the same text up to case and spacing) is never taken. Sentences of
   ``MIN_WORDS``..``MAX_WORDS`` words are preferred; shorter ones are used only when those run
   out, longer ones only when nothing else is left.
5. Return the picks in source order.

``LEGACY_TUNING`` is the summariser before text cues and word pairs (a fixed 90 % lead prior
for every article): ``bench/quality.py`` keeps measuring it beside the current one.
The algorithm as users read it, with its measurements: docs/summaries.md.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from .cues import Cues, headings, read_cues
from .priors import article_prior, thread_evidence
from .ranking import STOP_WORDS, TermMatrix, similarity_to
from .scorers import CUBIC_METHODS, METHODS, SCORERS
from .sentences import sentence_spans

__all__ = ["DEFAULT_TUNING", "KINDS", "LEGACY_TUNING", "METHODS", "Tuning", "headings"]

KINDS = ("article", "discussion")
MAX_WORDS = 60
MIN_WORDS = 7
DUPLICATE = 0.7
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Tuning:
    """Weights of the priors and of the redundancy penalty (see the module docstring)."""

    lead: float = 0.9  # article: weight of the lead prior for a text with no blog cues
    lead_blog: float = 0.35  # article: weight of the prior for a fully blog-like text
    lead_decay: float = 2.0  # article: prior of sentence i is 1 / (1 + i / lead_decay)
    consensus: float = 0.6  # discussion: weight of cross-contribution term spread
    centroid: float = 1.0  # weight of the cosine to the whole text's centroid (both kinds)
    redundancy: float = 1.2  # MMR (article): penalty per unit of cosine to a chosen sentence
    shared_words: float = 0.6  # MMR (discussion): penalty per unit of word overlap, on 0..1
    intro: float = 1.0  # penalty for a sentence that only introduces what follows ("...:")
    heading: float = 1.0  # penalty for a heading or sign-off line (see :func:`headings`)
    cues: bool = True  # article: read the text's cues (False: the lead prior everywhere)
    preamble: float = 1.0  # article: penalty for a greeting or a sentence about the post
    deictic: float = 0.4  # article: penalty for a sentence that points at nothing
    scene: float = 0.5  # article: penalty for scene-setting, times the text's blog score
    point: float = 0.8  # article: bonus for a sentence opening an enumerated item
    phrases: float = 1.5  # discussion: weight of cross-contribution phrase (bigram) spread
    quoted: float = 0.3  # article with context: bonus for a sentence commenters quote


DEFAULT_TUNING = Tuning()
LEGACY_TUNING = Tuning(cues=False, consensus=0.6, redundancy=0.8, phrases=0.0)
"""The summariser before text cues and phrase spread: a fixed 90 % lead prior for every
article, term spread only for discussions, a lighter redundancy penalty."""


@dataclass(frozen=True)
class Scored:
    """Sentences with their final scores and what selection needs to avoid repeats."""

    texts: list[str]
    scores: np.ndarray
    unit: sparse.csr_matrix
    word_counts: np.ndarray
    matrix: TermMatrix
    overlap: sparse.csr_matrix | None = None  # rows for the MMR penalty (default: unit)


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
    text: str,
    *,
    sentences: int,
    kind: str = "article",
    method: str = "lexrank",
    context: Sequence[str] = (),
    tuning: Tuning | None = None,
) -> list[str]:
    """The ``sentences`` best sentences of ``text``, verbatim, in the order they appear.

    ``kind="discussion"``: ``text`` is several contributions separated by blank lines.
    ``method``: one of ``METHODS`` (``"kl"`` falls back to LexRank for discussions).
    ``context``: for an article, the comments about it (what they quote and discuss counts
    as evidence of what the article is about). ``tuning``: the weights (default
    ``DEFAULT_TUNING``; ``LEGACY_TUNING`` is the summariser before text cues).
    """
    method = resolve_method(method, kind)
    if sentences <= 0:
        return []
    chosen = tuning or DEFAULT_TUNING
    scored = prepare(text, kind=kind, method=method, context=context, tuning=chosen)
    return [scored.texts[i] for i in sorted(select(scored, sentences, chosen))]


def prepare(
    text: str,
    *,
    kind: str,
    method: str,
    context: Sequence[str] = (),
    tuning: Tuning = DEFAULT_TUNING,
) -> Scored:
    """Split ``text`` and score its sentences (``method`` already resolved)."""
    spans = sentence_spans(text)
    texts = [text[a:b] for a, b in spans]
    blocks = block_numbers(text, [a for a, _ in spans])
    matrix = TermMatrix.of(texts)
    if kind == "article" and tuning.cues:
        cues = read_cues(text, spans, matrix.tokens)
        return score_sentences(
            texts,
            blocks,
            cues.heading,
            kind=kind,
            method=method,
            tuning=tuning,
            cues=cues,
            context=context,
            matrix=matrix,
        )
    heading = headings(text, spans, matrix.tokens)
    legacy = replace(tuning, cues=False)
    return score_sentences(
        texts, blocks, heading, kind=kind, method=method, tuning=legacy, matrix=matrix
    )


def block_numbers(text: str, starts: Sequence[int]) -> list[int]:
    """For each offset, the number of blank-line breaks before it (its contribution/paragraph)."""
    breaks = [m.start() for m in _BLANK_LINE.finditer(text)]
    return [bisect.bisect_left(breaks, start) for start in starts]


def score_sentences(
    texts: Sequence[str],
    blocks: Sequence[int],
    heading: Sequence[bool] | np.ndarray | None = None,
    *,
    kind: str,
    method: str,
    tuning: Tuning = DEFAULT_TUNING,
    cues: Cues | None = None,
    context: Sequence[str] = (),
    matrix: TermMatrix | None = None,
) -> Scored:
    """Method scores scaled to 0..1 plus the priors of ``kind`` (the cues' priors for an
    article when ``cues`` are given, the plain lead prior otherwise). ``matrix``: the term
    counts of ``texts`` when the caller has them already."""
    matrix = matrix if matrix is not None else TermMatrix.of(texts)
    if not texts:
        return Scored([], np.zeros(0), matrix.unit_smooth(), np.zeros(0), matrix)
    unit = matrix.unit_smooth()
    base = scale(SCORERS[method](texts, matrix))
    if tuning.centroid:
        base = scale(base + tuning.centroid * scale(_centroid_similarity(unit)))
    block_array = np.asarray(blocks, dtype=np.int64)
    if kind == "article" and cues is not None:
        scores = article_prior(base, block_array, cues, tuning)
        scores = scores + thread_evidence(texts, context, tuning.quoted)
    elif kind == "article":
        prior = 1.0 / (1.0 + np.arange(len(texts)) / tuning.lead_decay)
        scores = (1.0 - tuning.lead) * base + tuning.lead * prior
        scores = scores - tuning.intro * np.array([_old_intro(t) for t in texts])
    else:
        scores = base + tuning.consensus * scale(_consensus(matrix, block_array))
        if tuning.phrases:
            scores = scores + tuning.phrases * scale(_phrase_spread(matrix, block_array))
        scores = scores - tuning.intro * np.array([_old_intro(t) for t in texts])
    if heading is not None:
        scores = scores - tuning.heading * np.asarray(heading, dtype=np.float64)
    counts = matrix.word_counts if matrix.word_counts is not None else np.zeros(len(texts))
    overlap = _unit_binary(matrix) if kind == "discussion" and tuning.phrases else None
    return Scored(list(texts), scores, unit, counts, matrix, overlap)


def _unit_binary(matrix: TermMatrix) -> sparse.csr_matrix:
    """Which terms each sentence uses, rows at length 1. In a set of opinions the words many
    people use (the battery, the screen) are what two opinions share when they say the same
    thing, so the MMR penalty of a discussion weighs them fully instead of by rarity."""
    counts = matrix.counts
    present = np.ones_like(counts.data)
    norms = np.sqrt(np.bincount(matrix.rows(), present, minlength=matrix.size))
    scale_rows = np.divide(1.0, norms, out=np.zeros(matrix.size), where=norms > 0)
    data = present * scale_rows[matrix.rows()]
    return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def _old_intro(sentence: str) -> bool:
    return sentence.rstrip(" -–—").endswith(":")


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


def _phrase_spread(matrix: TermMatrix, blocks: np.ndarray) -> np.ndarray:
    """Mean share of contributions that use each word pair of the sentence (a pair counts when
    one of its words is a content word): the phrases several people use."""
    n = matrix.size
    sentences = matrix.tokens or ()
    vocabulary: dict[str, int] = {}
    add = vocabulary.setdefault
    ids = np.array([add(w.lower(), len(vocabulary)) for s in sentences for w in s], np.int64)
    lengths = np.array([len(s) for s in sentences], dtype=np.int64)
    if ids.size < 2:
        return np.zeros(n)
    stop = np.array([w in STOP_WORDS for w in vocabulary])[ids]
    row = np.repeat(np.arange(len(lengths)), lengths)
    same = row[1:] == row[:-1]  # the pair does not cross into the next sentence
    keep = same & ~(stop[1:] & stop[:-1])
    width = len(vocabulary)
    pair = ids[:-1][keep] * width + ids[1:][keep]
    owner = row[:-1][keep]
    if not pair.size:
        return np.zeros(n)
    codes, pair = np.unique(pair, return_inverse=True)
    kinds = len(codes)
    in_blocks = np.unique(blocks[owner] * kinds + pair)  # each pair once per contribution
    users = np.bincount(in_blocks % kinds, minlength=kinds)
    per_sentence = np.unique(owner * kinds + pair)  # ... and once per sentence
    who, which = per_sentence // kinds, per_sentence % kinds
    total = np.bincount(who, users[which], minlength=n)
    number = np.bincount(who, minlength=n)
    n_blocks = max(len(np.unique(blocks)), 1)
    return np.divide(total, number * n_blocks, out=np.zeros(n), where=number > 0)


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
    duplicate = np.zeros(n, dtype=bool)
    relevance, penalty = scored.scores, tuning.redundancy
    if scored.overlap is not None:  # a discussion: scores on 0..1, penalty on shared words
        relevance, penalty = scale(scored.scores), tuning.shared_words
    seen: set[str] = set()
    keys = [" ".join(t.lower().split()) for t in scored.texts]
    chosen: list[int] = []
    for tier in tiers:
        while len(chosen) < count:
            open_ = tier & ~blocked
            if not open_.any():
                break
            value = relevance - penalty * closest
            pick = int(np.argmax(np.where(open_, value, -np.inf)))
            chosen.append(pick)
            seen.add(keys[pick])
            similarity = similarity_to(scored.unit, pick)
            duplicate |= similarity >= DUPLICATE
            if scored.overlap is not None:
                similarity = similarity_to(scored.overlap, pick)
            closest = np.maximum(closest, similarity)
            blocked |= duplicate
            blocked |= np.fromiter((k in seen for k in keys), bool, n)
    return chosen
