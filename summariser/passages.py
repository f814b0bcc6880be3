"""Query-focused passages: the sentences of a post and its comments that answer a query.

Every sentence of the body and of every comment (replies too) that contains a query word or a
quoted phrase is a candidate. They are picked greedily, so the passages come best first: each
pick is the candidate that adds the most not-yet-covered query weight (rarer words weigh more),
with its own match strength as a tie breaker; a candidate whose words mostly repeat an already
chosen passage (a quote of it, the same point again) is skipped. Texts are exact substrings of
the body paragraph or comment they come from, cut to at most ``MAX_PASSAGE`` characters around
the matches; highlights are ``(start, end)`` offsets into the passage text.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from .analysis import folded, terms, word_terms
from .models import Match, Post
from .query import ParsedQuery
from .sentences import sentence_spans

MAX_PASSAGE = 400
NEAR_DUPLICATE = 0.5  # Jaccard similarity of two passages' terms at which the later is dropped
_CACHE_POSTS = 32


@dataclass(frozen=True)
class _Sentence:
    where: str
    ref: str | None
    author: str | None
    text: str
    words: tuple[tuple[int, int, str], ...]  # (start, end, term), offsets into text


@dataclass(frozen=True)
class _Candidate:
    sentence: _Sentence
    covered: frozenset[str]  # query keys found: terms, and phrases as space-joined terms
    highlights: tuple[tuple[int, int], ...]
    strength: float
    order: int


class PassageFinder:
    """Finds passages in posts; remembers the analysed sentences of recently seen posts."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, tuple[Post, list[_Sentence]]] = OrderedDict()
        self._lock = threading.Lock()

    def find(
        self, post: Post, query: ParsedQuery, weights: Mapping[str, float], limit: int
    ) -> tuple[Match, ...] | None:
        """Up to ``limit`` diverse passages; None when a quoted phrase is nowhere in the post."""
        candidates = []
        found: set[str] = set(_covered_in_title(post.title, query))
        for order, sentence in enumerate(self._sentences(post)):
            candidate = _candidate(sentence, query, weights, order)
            if candidate is not None:
                candidates.append(candidate)
                found |= candidate.covered
        if any(" ".join(p) not in found for p in query.phrases):
            return None
        return tuple(_to_match(c) for c in _choose(candidates, weights, limit))

    def _sentences(self, post: Post) -> list[_Sentence]:
        with self._lock:
            cached = self._cache.get(post.id)
            if cached is not None and cached[0] is post:
                self._cache.move_to_end(post.id)
                return cached[1]
        sentences = _analyse(post)
        with self._lock:
            self._cache[post.id] = (post, sentences)
            if len(self._cache) > _CACHE_POSTS:
                self._cache.popitem(last=False)
        return sentences

    def terms_of(self, post: Post) -> set[str]:
        """Every term of the post's title, body and comments."""
        found = set(terms(post.title))
        for sentence in self._sentences(post):
            found.update(t for _, _, t in sentence.words)
        return found

    def forms(self, post: Post, stem: str) -> Counter[str]:
        """How often each written form (folded) of ``stem`` occurs in the post."""
        found: Counter[str] = Counter()
        for text, spans in [(post.title, word_terms(post.title))] + [
            (s.text, s.words) for s in self._sentences(post)
        ]:
            found.update(" ".join(folded(text[a:b])) for a, b, t in spans if t == stem)
        return found

    def forget(self, post_id: str) -> None:
        with self._lock:
            self._cache.pop(post_id, None)


def _analyse(post: Post) -> list[_Sentence]:
    parts: list[tuple[str, str | None, str | None, str]] = [
        ("body", None, None, paragraph) for paragraph in post.body
    ]
    parts += [("comment", c.ref, c.author, c.text) for c in post.walk_comments()]
    sentences = []
    for where, ref, author, text in parts:
        tokens = word_terms(text)
        i = 0
        for start, end in sentence_spans(text):
            while i < len(tokens) and tokens[i][0] < start:
                i += 1
            j = i
            while j < len(tokens) and tokens[j][1] <= end:
                j += 1
            found = tuple((a - start, b - start, t) for a, b, t in tokens[i:j])
            sentences.append(_Sentence(where, ref, author, text[start:end], found))
            i = j
    return sentences


def _covered_in_title(title: str, query: ParsedQuery) -> set[str]:
    seq = terms(title)
    return {" ".join(p) for p in query.phrases if _occurrences(seq, p)}


def _occurrences(seq: list[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [
        i
        for i in range(len(seq) - n + 1)
        if seq[i] == phrase[0] and tuple(seq[i : i + n]) == phrase
    ]


def _candidate(
    sentence: _Sentence, query: ParsedQuery, weights: Mapping[str, float], order: int
) -> _Candidate | None:
    seq = [t for _, _, t in sentence.words]
    marks: list[tuple[int, int]] = []
    covered: set[str] = set()
    plain = set(query.terms)
    for start, end, found in sentence.words:
        if found in plain:
            covered.add(found)
            marks.append((start, end))
    for phrase in query.phrases:
        for i in _occurrences(seq, phrase):
            covered.add(" ".join(phrase))
            marks.append((sentence.words[i][0], sentence.words[i + len(phrase) - 1][1]))
    if not covered:
        return None
    strength = sum(weights.get(k, 1.0) for k in covered) + 0.1 * len(marks) - len(seq) / 500
    return _Candidate(sentence, frozenset(covered), _merge(marks), strength, order)


def _merge(marks: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(marks):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _choose(
    candidates: list[_Candidate], weights: Mapping[str, float], limit: int
) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    covered: set[str] = set()
    pool = list(candidates)
    while pool and len(chosen) < limit:
        best = max(
            pool,
            key=lambda c: (
                sum(weights.get(k, 1.0) for k in c.covered - covered) + 0.3 * c.strength,
                -c.order,
            ),
        )
        pool = [c for c in pool if c is not best and not _near_duplicate(c, best)]
        chosen.append(best)
        covered |= best.covered
    return chosen  # best first


def _near_duplicate(a: _Candidate, b: _Candidate) -> bool:
    ta = {t for _, _, t in a.sentence.words}
    tb = {t for _, _, t in b.sentence.words}
    union = len(ta | tb)
    return union > 0 and len(ta & tb) / union >= NEAR_DUPLICATE


def _to_match(candidate: _Candidate) -> Match:
    s = candidate.sentence
    text, highlights = _window(s.text, candidate.highlights)
    return Match(where=s.where, ref=s.ref, author=s.author, text=text, highlights=highlights)


def _window(
    text: str, highlights: tuple[tuple[int, int], ...]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Cut a long sentence to MAX_PASSAGE characters around its first match, at spaces."""
    if len(text) <= MAX_PASSAGE:
        return text, highlights
    start = max(0, highlights[0][0] - MAX_PASSAGE // 3)
    if start > 0:
        space = text.find(" ", start, highlights[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + MAX_PASSAGE)
    if end < len(text):
        space = text.rfind(" ", max(start, highlights[0][1]), end)
        end = space if space > start else end
    piece = text[start:end].strip()
    offset = start + (len(text[start:end]) - len(text[start:end].lstrip()))
    kept = tuple(
        (a - offset, b - offset) for a, b in highlights if a >= offset and b <= offset + len(piece)
    )
    return piece, kept
