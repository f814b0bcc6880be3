"""How much a comment engages the post it is under: the features of top-comment ranking.

A reply count says a comment started a conversation, not that it is about the post: gossip
("Big announcement coming next week apparently") and pasted news stories draw replies too.
These features measure the comment against the post itself:

- **relation**: cosine between the comment and the post's key terms (title and body, each term
  weighted by how often the post uses it and how rare it is across the thread's comments, so
  words every comment uses count little);
- **quotes the post**: the comment repeats six words or more of the body verbatim, in a
  sentence with quote marks (or a sentence that is all the post's words);
- **gossip**: a short comment (under ``SHORT_WORDS`` words) whose relation is under
  ``LOW_RELATION`` times the mean relation of the ``TOP_RELATED`` most related comments: it
  shares next to nothing with the post ("Big announcement from MOJ coming next week
  apparently.");
- **pasted**: a long comment (``LONG_WORDS`` words or more) as little related to the post, most
  of whose vocabulary no other comment uses either: a news story or a notice pasted in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .ranking import TermMatrix
from .sentences import words

SHORT_WORDS = 15
LONG_WORDS = 80
QUOTE_WORDS = 6
QUOTE_MARKS = ('"', "“", "”", "‘", "«", "»")
POINT_WORDS = 8  # sentences shorter than this are not compared point to point
LOW_RELATION = 0.3  # gossip, pasted: relation under this share of the most related comments
TOP_RELATED = 3  # ... the mean relation of this many most related comments
PASTED_THREAD = 0.6  # pasted: at most this share of its terms used by another comment
MIX = 0.5  # relation: share of the whole-comment cosine (the rest: its closest point)


@dataclass(frozen=True)
class Engagement:
    relation: np.ndarray  # 0..1, scaled over the thread
    quotes_post: np.ndarray  # bool
    gossip: np.ndarray  # bool
    pasted: np.ndarray  # bool


class Body:
    """A post body prepared once for "does this repeat the post?" questions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._normal = _normal(text)
        tokens = [w.lower() for w in words(text)]
        last = len(tokens) - QUOTE_WORDS + 1
        self._grams = {tuple(tokens[i : i + QUOTE_WORDS]) for i in range(max(last, 0))}

    def echoes(self, sentence: str) -> bool:
        """Whether ``sentence`` is (up to case, spacing and quote marks) a piece of the body."""
        bare = _normal(sentence).strip("\"'“”‘’ ")
        return bare.count(" ") + 1 >= QUOTE_WORDS and bare in self._normal

    def quoted_in(self, tokens: Sequence[str]) -> bool:
        """Whether the words ``tokens`` repeat QUOTE_WORDS consecutive words of the body."""
        said = [w.lower() for w in tokens]
        span = range(max(len(said) - QUOTE_WORDS + 1, 0))
        return any(tuple(said[i : i + QUOTE_WORDS]) in self._grams for i in span)


@dataclass(frozen=True)
class Thread:
    """A thread's sentences as :func:`summariser.threads` already has them: the text and term
    counts of every sentence, and which comment each belongs to (in walk order)."""

    sentences: Sequence[str]
    owner: np.ndarray  # comment index of each sentence
    matrix: TermMatrix  # term counts of the sentences (words per sentence included)
    comments: Sequence[str]  # the comments' texts
    echoes: np.ndarray  # which sentences only repeat the post (see Body.echoes)


def engagement(
    title: Sequence[str], body: Body, body_matrix: TermMatrix, thread: Thread
) -> Engagement:
    """The engagement features of each comment of ``thread`` with the post: its ``title`` terms
    and its ``body`` (``body_matrix``: term counts of the body's sentences).

    Relation is measured on the comment's own words: sentences that only repeat the post do
    not make a comment related (they earn ``quotes_post`` instead)."""
    n = len(thread.comments)
    own = ~thread.echoes
    counts = _per_comment(thread, own)
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log((n + 1) / (df + 1.0)) + 1.0
    weighted = counts.copy()
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices]
    key, key_norm = _key(title, body_matrix, thread.matrix.vocabulary, idf, n)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel()) * key_norm
    dots = np.asarray(weighted @ key).ravel()
    whole = np.divide(dots, norms, out=np.zeros(n), where=norms > 0)
    relation = MIX * whole + (1 - MIX) * _closest_point(body_matrix, thread, own)
    binary = counts.copy()
    binary.data = np.ones_like(binary.data)
    distinct = np.asarray(binary.sum(axis=1)).ravel()
    shared = np.asarray(binary @ (df >= 2).astype(np.float64)).ravel()
    share = np.divide(shared, distinct, out=np.zeros(n), where=distinct > 0)
    words_per = thread.matrix.word_counts if thread.matrix.word_counts is not None else 0
    sizes = np.bincount(thread.owner, np.where(own, words_per, 0), minlength=n)
    quoting = np.zeros(n, dtype=bool)
    for row, tokens in enumerate(thread.matrix.tokens or ()):
        if quoting[thread.owner[row]]:
            continue
        marked = thread.echoes[row] or any(q in thread.sentences[row] for q in QUOTE_MARKS)
        quoting[thread.owner[row]] = marked and body.quoted_in(tokens)
    top = np.sort(relation)[-TOP_RELATED:]
    below = relation < LOW_RELATION * (float(top.mean()) if top.size else 0.0)
    return Engagement(
        relation=_scale(relation),
        quotes_post=quoting,
        gossip=(sizes < SHORT_WORDS) & below & ~quoting,
        pasted=(sizes >= LONG_WORDS) & below & (share < PASTED_THREAD) & ~quoting,
    )


def _per_comment(thread: Thread, rows: np.ndarray) -> sparse.csr_matrix:
    """Term counts of each comment, summed over its sentences where ``rows`` is true."""
    n_rows = len(thread.sentences)
    picked = np.flatnonzero(rows)
    owner = sparse.csr_matrix(
        (np.ones(len(picked)), (thread.owner[picked], picked)),
        shape=(len(thread.comments), n_rows),
    )
    return sparse.csr_matrix(owner @ thread.matrix.counts)


def _key(
    title: Sequence[str],
    body_matrix: TermMatrix,
    vocabulary: dict[str, int],
    idf: np.ndarray,
    n: int,
) -> tuple[np.ndarray, float]:
    """The post's key-term vector over the thread's vocabulary, and its full length (terms no
    comment uses count in the length with the largest idf)."""
    totals = np.asarray(body_matrix.counts.sum(axis=0)).ravel()
    found = {t: float(totals[i]) for t, i in body_matrix.vocabulary.items() if totals[i] > 0}
    for term in title:
        found[term] = found.get(term, 0.0) + 1.0
    key = np.zeros(len(idf))
    unused = math.log(n + 1) + 1.0
    length = 0.0
    for term, count in found.items():
        index = vocabulary.get(term)
        weight = (1.0 + math.log(count)) * (idf[index] if index is not None else unused)
        length += weight * weight
        if index is not None:
            key[index] = weight
    return key, math.sqrt(length)


def _closest_point(body_matrix: TermMatrix, thread: Thread, own: np.ndarray) -> np.ndarray:
    """For each comment, the best cosine between one of its own sentences and one body
    sentence, both of POINT_WORDS words or more (a comment that takes up one point of the post
    scores high, however long it is)."""
    n = len(thread.comments)
    body_rows = _long_rows(body_matrix)
    comment_rows = np.flatnonzero(own & (_word_counts(thread.matrix) >= POINT_WORDS))
    if not body_rows.size or not comment_rows.size:
        return np.zeros(n)
    joint = _stack(body_matrix, body_rows, thread.matrix, comment_rows)
    unit = joint.unit_smooth()
    body_unit, comment_unit = unit[: body_rows.size], unit[body_rows.size :]
    best = np.asarray((comment_unit @ body_unit.T).max(axis=1).todense()).ravel()
    result = np.zeros(n)
    np.maximum.at(result, thread.owner[comment_rows], best)
    return result


def _word_counts(matrix: TermMatrix) -> np.ndarray:
    if matrix.word_counts is None:
        return np.zeros(matrix.size)
    return matrix.word_counts


def _long_rows(matrix: TermMatrix) -> np.ndarray:
    return np.flatnonzero(_word_counts(matrix) >= POINT_WORDS)


def _stack(a: TermMatrix, a_rows: np.ndarray, b: TermMatrix, b_rows: np.ndarray) -> TermMatrix:
    """Rows ``a_rows`` of ``a`` above rows ``b_rows`` of ``b``, in one vocabulary."""
    vocabulary = dict(a.vocabulary)
    remap = np.empty(max(b.counts.shape[1], 1), dtype=np.int64)
    for term, index in b.vocabulary.items():
        remap[index] = vocabulary.setdefault(term, len(vocabulary))
    top = a.counts[a_rows]
    bottom = b.counts[b_rows]
    width = max(len(vocabulary), 1)
    top = sparse.csr_matrix((top.data, top.indices, top.indptr), shape=(top.shape[0], width))
    bottom = sparse.csr_matrix(
        (bottom.data, remap[bottom.indices], bottom.indptr), shape=(bottom.shape[0], width)
    )
    return TermMatrix(sparse.csr_matrix(sparse.vstack([top, bottom])), vocabulary)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _scale(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    return np.full(values.shape, 0.5) if not high > low else (values - low) / (high - low)
