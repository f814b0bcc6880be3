"""Text analysis for keyword search: words, case and accent folding, English stems, stop words.

One analyzer (tantivy's, run in Rust) turns text into the terms the index stores, and the very
same analyzer is used for queries and for highlighting passages, so they always agree:

    terms("Sentences") == terms("sentence") == ["sentenc"]
    terms("Café") == terms("CAFE") == ["cafe"]          (accents and case folded)
    terms("don't") == ["don", "t"]                      (words are runs of letters and digits)

Steps: split on anything that is not a letter or digit, drop words over ``MAX_WORD``
characters, lower-case, fold accents to ASCII (``é`` -> ``e``, ``ß`` -> ``ss``, ``ø`` -> ``o``),
then the Snowball English stemmer. Stop words (sumy's English list) are dropped from plain
query words only; the index keeps them so that quoted phrases like "out of order" work.

The stemmer is Snowball English (Porter 2) as in rust-stemmers; on the seed vocabulary it agrees
with nltk's ``SnowballStemmer("english")`` on all but 5 of 3,975 words (``added`` -> ``add``
here, ``ad`` in nltk).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from tantivy import Filter, TextAnalyzer, TextAnalyzerBuilder, Tokenizer

ANALYZER = "digestbot_en"  # the name the index registers the stemming analyzer under
MAX_WORD = 40


@lru_cache(maxsize=1)
def stemming_analyzer() -> TextAnalyzer:
    """Words -> folded, stemmed terms (what the index stores)."""
    return _builder().filter(Filter.stemmer("english")).build()


@lru_cache(maxsize=1)
def folding_analyzer() -> TextAnalyzer:
    """Words -> folded words, not stemmed (for stop words and did-you-mean)."""
    return _builder().build()


def _builder() -> TextAnalyzerBuilder:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_WORD + 1))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
    )


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order, stop words included."""
    return list(stemming_analyzer().analyze(text))


def folded(text: str) -> list[str]:
    """The words of ``text`` lower-cased and accent-folded, not stemmed."""
    return list(folding_analyzer().analyze(text))


def word_terms(text: str) -> list[tuple[int, int, str]]:
    """(start, end, term) for every word of ``text``; offsets are character offsets into it."""
    tokens = stemming_analyzer().pre_tokenize(text).tokens
    return [(t.char_offset_from, t.char_offset_to, t.text) for t in tokens]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """sumy's English stop words, folded like indexed words ("don't" gives "don" and "t").

    Read from sumy's data file directly: ``sumy.utils`` would import ``requests`` (~0.1 s).
    """
    listing = resources.files("sumy") / "data" / "stopwords" / "english.txt"
    return frozenset(w for word in listing.read_text("utf-8").split() for w in folded(word))


def is_stop_word(word: str) -> bool:
    """True when every folded part of ``word`` is a stop word ("The", "don't", "what's")."""
    parts = folded(word)
    return bool(parts) and all(p in stop_words() for p in parts)
