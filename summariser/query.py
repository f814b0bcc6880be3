"""The query language of keyword search, parsed into terms (see :mod:`summariser.analysis`).

- plain words: every one should match (best first); when no post has them all, posts with any
  of them are returned instead. Stop words ("the", "of", "what") are ignored.
- ``"quoted phrases"``: the words in this order, next to each other (stop words count here).
  A quoted single word is required even when it is a stop word. Curly quotes work too; an
  unclosed quote runs to the end of the query.
- ``-word`` and ``-"a phrase"``: posts containing it are left out.
- ``right-wing``, ``U.K``, ``don't``: words joined by ``-``, ``.``, ``/`` or an apostrophe are
  searched as a phrase.
- everything else (``*``, ``(``, ``:``, ``NEAR``, emoji, control characters) is plain text:
  symbols are ignored and operator words are just words. Nothing is passed to an engine as syntax.

A problem the user can fix (empty, too long, only stop words...) raises :class:`QueryError`
whose message says what to do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .analysis import is_stop_word, terms
from .sentences import words

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_TOKEN = re.compile(r'(?P<neg>-*)"(?P<phrase>[^"]*)(?:"|$)|(?P<chunk>[^\s"]+)')
_JOINED = re.compile(r"^[^\w]*\w+(?:[-./]\w+)+[^\w]*$")


class QueryError(ValueError):
    """A query the user can fix (empty, too long, only stop words...); the message says how."""


@dataclass(frozen=True)
class ParsedQuery:
    """A query as terms: required or optional ``terms``, ``phrases`` and ``excluded`` ones."""

    text: str
    terms: tuple[str, ...] = ()
    words: tuple[str, ...] = ()  # the plain words as typed, one per term (for did-you-mean)
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    ignored: tuple[str, ...] = field(default=(), compare=False)  # stop words left out

    @property
    def all_terms(self) -> frozenset[str]:
        """Every term a passage may be highlighted for: plain words and phrase words."""
        return frozenset(self.terms).union(*self.phrases)


def clean(text: str) -> str:
    """Control and format characters become spaces; surrounding space is trimmed."""
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") else c for c in text
    ).strip()


def parse_query(text: str) -> ParsedQuery:
    """Parse what a user typed; raises QueryError with a helpful message when it cannot be used."""
    if len(text) > MAX_QUERY_CHARS * 4:  # do not even scan a pasted essay
        raise QueryError(_too_long(len(text)))
    cleaned = clean(text).translate(_QUOTES)
    if not cleaned:
        raise QueryError("empty query: type one or more words, e.g. probation officers")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(_too_long(len(cleaned)))
    builder = _Builder()
    for match in _TOKEN.finditer(cleaned):
        if match.group("chunk") is not None:
            builder.chunk(match.group("chunk"))
        else:
            builder.phrase(match.group("phrase"), negative=bool(match.group("neg")))
    return builder.result(cleaned)


def _too_long(length: int) -> str:
    return f"query too long ({length} characters): use at most {MAX_QUERY_CHARS}"


class _Builder:
    def __init__(self) -> None:
        self.terms: dict[str, str] = {}  # term -> word as typed
        self.phrases: list[tuple[str, ...]] = []
        self.excluded: list[tuple[str, ...]] = []
        self.ignored: list[str] = []

    def chunk(self, chunk: str) -> None:
        negative = chunk.startswith("-")
        body = chunk.lstrip("-+")
        found = words(body)
        if len(found) > 1 and _JOINED.match(body):
            self.phrase(body, negative=negative)
            return
        for word in found:
            self.word(word, negative=negative)

    def word(self, word: str, *, negative: bool) -> None:
        found = tuple(terms(word))
        if not found:
            return  # longer than any indexed word
        if negative:
            self.excluded.append(found)
        elif is_stop_word(word):
            self.ignored.append(word.lower())
        elif len(found) > 1:  # "don't", "naïve" split by the analyzer: keep the parts together
            self.phrase(word, negative=False)
        else:
            self.terms.setdefault(found[0], word)

    def phrase(self, text: str, *, negative: bool) -> None:
        found = tuple(terms(text))
        if not found:
            return
        if negative:
            self.excluded.append(found)
        elif len(found) == 1:
            self.terms.setdefault(found[0], words(text)[0])
        elif found not in self.phrases:
            self.phrases.append(found)

    def result(self, cleaned: str) -> ParsedQuery:
        count = len(self.terms) + sum(len(p) for p in self.phrases) + len(self.excluded)
        if count > MAX_TERMS:
            raise QueryError(f"too many words ({count}): use at most {MAX_TERMS}")
        if not self.terms and not self.phrases:
            raise QueryError(self._nothing_to_search())
        return ParsedQuery(
            text=cleaned,
            terms=tuple(self.terms),
            words=tuple(self.terms.values()),
            phrases=tuple(self.phrases),
            excluded=tuple(self.excluded),
            ignored=tuple(self.ignored),
        )

    def _nothing_to_search(self) -> str:
        if self.excluded:
            return "only excluded words: add a word to search for, e.g. probation -prison"
        if self.ignored:
            shown = ", ".join(dict.fromkeys(self.ignored[:5]))
            return (
                f"only common words ({shown}) that every post has: add a more specific word,"
                ' or quote an exact phrase, e.g. "out of order"'
            )
        return "no words to search for: use letters or digits (symbols and emoji are ignored)"
