"""Text analysis for keyword search: words, case and accent folding, English stems, stop words.

One function turns a word as written into the term the index stores, so the index, the query
and the highlighting of passages always agree:

    term("Sentences") == term("sentence") == "sentenc"
    term("Café") == term("cafe") == "cafe"        (accents folded, any case)
    term("don't") == term("dont") == "dont"        (apostrophes dropped)

Stems come from the Snowball English stemmer (the one sumy ships via nltk; it needs no NLTK
data). Stop words are sumy's English list. Words longer than ``MAX_WORD`` characters are not
indexed (nobody searches for them and they only bloat the index).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from sumy.nlp.stemmers import Stemmer
from sumy.utils import get_stop_words

from .sentences import word_spans, words

MAX_WORD = 40
# Letters that Unicode does not decompose into a base letter plus an accent.
_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "'": "",
        "’": "",
    }
)
_STEMMER = Stemmer("english")  # nltk's Snowball English stemmer, no NLTK data needed
_CACHE_LIMIT = 500_000
_terms: dict[str, str] = {}


def fold(word: str) -> str:
    """Lower case, accents and apostrophes removed: "Café" -> "cafe", "Don’t" -> "dont"."""
    folded = word.casefold().translate(_SPECIAL)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def term(word: str) -> str:
    """The indexed term of one word as written (folded, then stemmed); "" if it is too long."""
    found = _terms.get(word)
    if found is None:
        folded = fold(word)
        found = _STEMMER(folded) if len(folded) <= MAX_WORD else ""
        if len(_terms) >= _CACHE_LIMIT:
            _terms.clear()
        _terms[word] = found
    return found


def terms(text: str) -> list[str]:
    """The terms of every word of ``text``, stop words included (phrases need them)."""
    get = _terms.get
    out = []
    for word in words(text):
        found = get(word)
        out.append(found if found is not None else term(word))
    return out


def index_text(text: str) -> str:
    """``text`` as the space-separated terms the index stores."""
    return " ".join(t for t in terms(text) if t)


def surface_words(text: str) -> set[str]:
    """The distinct folded (not stemmed) words of ``text``: the did-you-mean vocabulary."""
    return {f for f in map(fold, set(words(text))) if 1 < len(f) <= MAX_WORD}


def word_terms(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, term) for every word of ``text``; offsets index into ``text``."""
    for start, end, word in word_spans(text):
        yield start, end, term(word)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """sumy's English stop words, folded like indexed words ("don't" -> "dont")."""
    return frozenset(fold(w) for w in get_stop_words("english"))


def is_stop_word(word: str) -> bool:
    return fold(word) in stop_words()
