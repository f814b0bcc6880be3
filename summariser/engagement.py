"""How much a comment engages the post it is under: the features of top-comment ranking.

A reply count says a comment started a conversation, not that it is about the post: gossip
("Big announcement coming next week apparently") and pasted news stories draw replies too.
These features measure the comment against the post itself:

- **relation**: cosine between the comment and the post's key terms (title and body, each term
  weighted by how often the post uses it and how rare it is across the thread's comments, so
  words every comment uses count little);
- **quotes the post**: the comment repeats six words or more of the body verbatim;
- **gossip**: a short comment (under ``SHORT_WORDS`` words) whose relation is under
  ``LOW_RELATION`` times the mean relation of the ``TOP_RELATED`` most related comments: it
  shares next to nothing with the post ("Big announcement from MOJ coming next week
  apparently.");
- **pasted**: a long comment (``LONG_WORDS`` words or more) as little related to the post, most
  of whose vocabulary no other comment uses either: a news story or a notice pasted in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .ranking import TermMatrix, terms
from .sentences import split_sentences, words

SHORT_WORDS = 15
LONG_WORDS = 80
QUOTE_WORDS = 6
POINT_WORDS = 8  # sentences shorter than this are not compared point to point
LOW_RELATION = 0.3  # gossip, pasted: relation under this share of the most related comments
TOP_RELATED = 3  # ... the mean relation of this many most related comments
PASTED_THREAD = 0.6  # pasted: at most this share of its terms used by another comment
MIX = 0.5  # relation: share of the whole-comment cosine (the rest: its closest point)
_SPACE = re.compile(r"\s+")


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
        return len(bare.split()) >= QUOTE_WORDS and bare in self._normal

    def quoted_in(self, comment: str) -> bool:
        """Whether ``comment`` repeats QUOTE_WORDS consecutive words of the body."""
        said = [w.lower() for w in words(comment)]
        span = range(max(len(said) - QUOTE_WORDS + 1, 0))
        return any(tuple(said[i : i + QUOTE_WORDS]) in self._grams for i in span)


def engagement(title: str, body: Body, comments: Sequence[str]) -> Engagement:
    """The engagement features of each of ``comments`` with the post (``title``, ``body``).

    Relation is measured on the comment's own words: sentences that only repeat the post do
    not make a comment related (they earn ``quotes_post`` instead)."""
    own = [" ".join(s for s in split_sentences(c) if not body.echoes(s)) for c in comments]
    comment_terms = [terms(c) for c in own]
    post_terms = terms(title) + terms(body.text)
    df: dict[str, int] = {}
    for found in comment_terms:
        for term in set(found):
            df[term] = df.get(term, 0) + 1
    n = max(len(comments), 1)

    def idf(term: str) -> float:
        return math.log((n + 1) / (df.get(term, 0) + 1)) + 1.0

    key = _weights(post_terms, idf)
    whole = np.array([_cosine(_weights(found, idf), key) for found in comment_terms])
    relation = MIX * whole + (1 - MIX) * _closest_point(body.text, own)
    thread = np.array([_thread_share(found, df) for found in comment_terms])
    sizes = np.array([len(words(c)) for c in own])
    quoting = np.array([body.quoted_in(c) for c in comments], dtype=bool)
    top = np.sort(relation)[-TOP_RELATED:]
    below = relation < LOW_RELATION * (float(top.mean()) if top.size else 0.0)
    return Engagement(
        relation=_scale(relation),
        quotes_post=quoting,
        gossip=(sizes < SHORT_WORDS) & below & ~quoting,
        pasted=(sizes >= LONG_WORDS) & below & (thread < PASTED_THREAD) & ~quoting,
    )


def _closest_point(body: str, comments: Sequence[str]) -> np.ndarray:
    """For each comment, the best cosine between one of its sentences and one body sentence
    (a comment that takes up one point of the post scores high, however long it is)."""
    body_sentences = [s for s in split_sentences(body) if len(words(s)) >= POINT_WORDS]
    spans = [[s for s in split_sentences(c) if len(words(s)) >= POINT_WORDS] for c in comments]
    flat = [s for found in spans for s in found]
    if not body_sentences or not flat:
        return np.zeros(len(comments))
    unit = TermMatrix.of(body_sentences + flat).unit_smooth()
    body_unit, comment_unit = unit[: len(body_sentences)], unit[len(body_sentences) :]
    best = np.asarray((comment_unit @ body_unit.T).max(axis=1).todense()).ravel()
    sizes = np.array([len(found) for found in spans])
    result = np.zeros(len(comments))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    has = sizes > 0
    result[has] = np.maximum.reduceat(best, starts[has])
    return result


def _weights(found: Sequence[str], idf: Callable[[str], float]) -> dict[str, float]:
    """Sublinear term frequency times idf."""
    counts: dict[str, int] = {}
    for term in found:
        counts[term] = counts.get(term, 0) + 1
    return {t: (1.0 + math.log(c)) * idf(t) for t, c in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _thread_share(found: Sequence[str], df: dict[str, int]) -> float:
    """Share of the comment's distinct terms that at least one other comment uses."""
    distinct = set(found)
    if not distinct:
        return 0.0
    return sum(df.get(t, 0) >= 2 for t in distinct) / len(distinct)


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.lower()).strip()


def _scale(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    return np.full(values.shape, 0.5) if not high > low else (values - low) / (high - low)
