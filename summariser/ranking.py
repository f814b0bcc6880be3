"""Sentence centrality in numpy / scipy.sparse: the maths of sumy's LexRank and TextRank.

sumy builds its sentence-similarity matrices in pure-Python double loops (quadratic in the
number of sentences, seconds for a long comment thread). The functions here compute the same
numbers with sparse matrix products, so :func:`lexrank` and :func:`textrank` rank sentences as
sumy's ``LexRankSummarizer`` and ``TextRankSummarizer`` do (same tokenizer, stemmer and stop
words), only much faster.

Terms follow sumy: words from :func:`summariser.sentences.words`, lower-cased, sumy's English
stop words removed, then the Snowball English stemmer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import numpy as np
from scipy import sparse

from .sentences import words


def _sumy_stop_words() -> frozenset[str]:
    """sumy's English stop words, read as ``sumy.utils.get_stop_words`` reads them (without
    importing sumy.utils, which pulls in an HTTP client)."""
    listing = resources.files("sumy") / "data" / "stopwords" / "english.txt"
    lines = listing.read_text(encoding="utf-8").splitlines()
    return frozenset(w.rstrip().lower() for w in lines if w)


STOP_WORDS: frozenset[str] = _sumy_stop_words()
LEXRANK_THRESHOLD = 0.1
LEXRANK_EPSILON = 0.1
TEXTRANK_DAMPING = 0.85
TEXTRANK_EPSILON = 1e-4
_MAX_ITERATIONS = 1000


@cache
def _snowball() -> Any:
    """sumy's English stemmer. Imported on first use: it loads nltk, which takes most of a
    second, so commands that never summarise do not pay for it."""
    from sumy.nlp.stemmers import Stemmer

    return Stemmer("english")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word (cached: stemming is the slow part)."""
    return str(_snowball()(word))


def terms(sentence: str) -> list[str]:
    """Content terms of a sentence as sumy's summarisers see them: lower, no stop words, stems."""
    return terms_of_words(words(sentence))


_TERM_OF_WORD: dict[str, str] = {}
_TERM_CACHE_SIZE = 200_000


def clear_caches() -> None:
    """Forget every cached stem and term (benchmarks use this to time a cold start)."""
    stem.cache_clear()
    _TERM_OF_WORD.clear()


def terms_of_words(tokens: Sequence[str]) -> list[str]:
    """Content terms of word tokens (a word -> term table makes repeats cost one lookup)."""
    table = _TERM_OF_WORD
    found = []
    for token in tokens:
        term = table.get(token)
        if term is None:
            if len(table) >= _TERM_CACHE_SIZE:
                table.clear()
            lowered = token.lower()
            term = table[token] = "" if lowered in STOP_WORDS else stem(lowered)
        if term:
            found.append(term)
    return found


@dataclass(frozen=True)
class TermMatrix:
    """Term counts of a list of sentences: a sparse ``sentences x vocabulary`` matrix.

    The CSR arrays are used directly with numpy (scipy.sparse operations carry a fixed cost
    that dominates for the few dozen sentences of a blog post).
    """

    counts: sparse.csr_matrix
    vocabulary: dict[str, int]
    word_counts: np.ndarray | None = None  # words per sentence (stop words included)
    tokens: Sequence[Sequence[str]] | None = None  # the words of each sentence (from ``of``)

    @classmethod
    def build(cls, sentence_terms: Sequence[Sequence[str]]) -> TermMatrix:
        vocabulary: dict[str, int] = {}
        add = vocabulary.setdefault
        indices = [add(term, len(vocabulary)) for items in sentence_terms for term in items]
        indptr = np.zeros(len(sentence_terms) + 1, dtype=np.int32)
        np.cumsum([len(items) for items in sentence_terms], out=indptr[1:])
        shape = (len(sentence_terms), max(len(vocabulary), 1))
        data = np.ones(len(indices), dtype=np.float64)
        counts = sparse.csr_matrix((data, np.array(indices, dtype=np.int32), indptr), shape=shape)
        counts.sum_duplicates()
        return cls(counts, vocabulary)

    @classmethod
    def of(cls, sentences: Sequence[str]) -> TermMatrix:
        """Terms of each sentence, counted; also keeps the number of words of each."""
        tokens = [words(s) for s in sentences]
        built = cls.build([terms_of_words(t) for t in tokens])
        counts = np.array([len(t) for t in tokens])
        return cls(built.counts, built.vocabulary, counts, tokens)

    @property
    def size(self) -> int:
        return int(self.counts.shape[0])

    def rows(self) -> np.ndarray:
        """The sentence (row) of each stored entry."""
        return np.repeat(np.arange(self.size), np.diff(self.counts.indptr))

    def lengths(self) -> np.ndarray:
        """Number of terms (with repeats) in each sentence."""
        return np.bincount(self.rows(), self.counts.data, minlength=self.size)

    def unit_tfidf(self) -> sparse.csr_matrix:
        """LexRank's weights (tf / max tf of the sentence x log(N / (1 + df))), rows at length 1.

        Sentences whose weights are all zero (no terms, or only terms in nearly every sentence)
        keep an all-zero row: they are similar to nothing, as in sumy.
        """
        counts, rows, n = self.counts, self.rows(), self.size
        row_max = np.ones(n)
        if counts.nnz:
            np.maximum.at(row_max, rows, counts.data)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log(max(n, 1) / (1.0 + df))
        weights = counts.data / row_max[rows] * idf[counts.indices]
        norms = np.sqrt(np.bincount(rows, weights * weights, minlength=n))
        scale = np.divide(1.0, norms, out=np.zeros(n), where=norms > 0)
        data = weights * scale[rows]
        return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)

    def unit_smooth(self) -> sparse.csr_matrix:
        """Term counts x (1 + log(N / df)), rows at length 1: for telling repeats apart.

        Unlike LexRank's idf this weight never reaches zero, so two copies of one sentence are
        always at cosine 1 (unless the sentence has no content terms at all).
        """
        counts, rows, n = self.counts, self.rows(), self.size
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = 1.0 + np.log(max(n, 1) / np.maximum(df, 1))
        weights = counts.data * idf[counts.indices]
        norms = np.sqrt(np.bincount(rows, weights * weights, minlength=n))
        scale = np.divide(1.0, norms, out=np.zeros(n), where=norms > 0)
        data = weights * scale[rows]
        return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def similarity_to(unit: sparse.csr_matrix, row: int) -> np.ndarray:
    """Dot product of every row of ``unit`` with its row ``row`` (a cosine for unit rows)."""
    start, end = unit.indptr[row], unit.indptr[row + 1]
    dense = np.zeros(unit.shape[1])
    dense[unit.indices[start:end]] = unit.data[start:end]
    return np.asarray(unit @ dense)


def cosine_matrix(matrix: TermMatrix) -> sparse.csr_matrix:
    """LexRank's idf-modified cosine between every pair of sentences (sparse, symmetric)."""
    unit = matrix.unit_tfidf()
    return sparse.csr_matrix(unit @ unit.T)


def lexrank(
    matrix: TermMatrix,
    *,
    threshold: float = LEXRANK_THRESHOLD,
    epsilon: float = LEXRANK_EPSILON,
    similarity: sparse.csr_matrix | None = None,
) -> np.ndarray:
    """sumy's LexRank scores: thresholded cosine graph, row-normalised, sumy's power method.

    ``similarity`` may pass a :func:`cosine_matrix` already computed for ``matrix``.
    """
    n = matrix.size
    if n == 0:
        return np.zeros(0)
    cosine = cosine_matrix(matrix) if similarity is None else similarity
    linked = cosine.data > threshold
    adjacency = sparse.csr_matrix(
        (linked.astype(np.float64), cosine.indices, cosine.indptr), shape=cosine.shape
    )
    degrees = np.bincount(_rows(cosine), linked.astype(np.float64), minlength=n)
    degrees[degrees == 0] = 1.0
    # The graph is symmetric, so (A / degrees)^T p == A @ (p / degrees): no transpose needed.
    p = np.full(n, 1.0 / n)
    for _ in range(_MAX_ITERATIONS):
        nxt = adjacency @ (p / degrees)
        length = float(np.linalg.norm(nxt))
        if length == 0.0 or math.isnan(length):
            return p
        nxt /= length
        change = float(np.linalg.norm(nxt - p))
        p = nxt
        if not change > epsilon:
            break
    return p


def textrank(
    matrix: TermMatrix,
    *,
    damping: float = TEXTRANK_DAMPING,
    epsilon: float = TEXTRANK_EPSILON,
) -> np.ndarray:
    """sumy's TextRank scores: word-overlap graph / (log len + log len), damped PageRank."""
    n = matrix.size
    if n == 0:
        return np.zeros(0)
    overlap = sparse.csr_matrix(matrix.counts @ matrix.counts.T)
    rows, cols = _rows(overlap), overlap.indices
    logs = np.log(np.maximum(matrix.lengths(), 1.0))
    norm = logs[rows] + logs[cols]
    close = np.isclose(norm, 0.0)
    data = np.where(close, overlap.data, overlap.data / np.where(close, 1.0, norm))
    row_sums = np.bincount(rows, data, minlength=n) + 1e-7
    data = data / row_sums[rows]
    # weights^T @ p without building the transpose: scatter p[row] * w into column sums.
    teleport = (1.0 - damping) / n
    p = np.full(n, 1.0 / n)
    for _ in range(_MAX_ITERATIONS):
        spread = np.bincount(cols, data * p[rows], minlength=n)
        nxt = teleport * p.sum() + damping * spread
        change = float(np.linalg.norm(nxt - p))
        p = nxt
        if not change > epsilon:
            break
    return p


def _rows(matrix: sparse.csr_matrix) -> np.ndarray:
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def best(scores: np.ndarray, count: int) -> list[int]:
    """Indexes of the ``count`` best scores, in source order; ties go to the earlier sentence."""
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    return sorted(order[: max(count, 0)])
