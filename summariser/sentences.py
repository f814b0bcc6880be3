"""Offline sentence splitting and word tokenising (no NLTK data, no downloads, ever).

The splitter works on character spans so that every sentence is an exact slice of the text it
came from (summaries quote verbatim, search highlights point into the text). Rules:

- a line break always ends a sentence (seed files hold one paragraph or list item per line);
- ``!`` and ``?`` end a sentence unless a lower-case word follows;
- ``.`` ends a sentence unless it closes a known abbreviation (``Mr.``, ``e.g.``, ``No. 5``),
  an initial (``J. Smith``), or a list number at the start of a line (``1. Over emphasis``);
- an ellipsis (``...`` or ``…``) ends a sentence only when a capital letter follows;
- a stop glued to the next word ends a sentence when a lower-case word precedes it and a
  capitalised word follows ("looks great on her.I cannot say");
- closing quotes and brackets after the stop stay with the sentence they close;
- a quote mark that opens a quotation closed in another sentence (or closes one opened in
  another) is left out of the span, so no sentence starts or ends with a stray quote mark:
  ``"Met #probation officer in a CRC today who told me exact same thing.`` gives ``Met
  #probation officer ... same thing.``
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_ABBREVIATION_LIST = """
    mr mrs ms mx dr prof rev hon sr jr st mt ft gen col capt cpt sgt lt cmdr cllr gov govt
    pres dept univ assn bros inc ltd co corp plc llp cf vs etc al approx apprx est min max
    no nos nr vol vols ch chap sec para paras pp p fig figs ed eds eg ie e.g i.e viz am pm
    a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs
    fri sat sun tel ext dept ref refs op cit ibid misc esp incl excl
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
# Abbreviations after which a following number does not start a new sentence ("No. 5").
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "nr", "p", "pp", "para", "paras", "fig", "figs"})
_OPEN_AFTER_STOP = "\"'”’)]»"
_CANDIDATE = re.compile(r"[.!?…]+([\"'”’)\]»]*)(?=\s+(\S))")
# A stop with no space after it, between a lower-case word and a capitalised one: "her.I can".
_GLUED = re.compile(r"[.!?](?=[A-Z](?:[a-z]|\s))")  # and two lower-case letters before it
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}|[ivxlcdm]{1,6}|[a-zA-Z])$", re.IGNORECASE)
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_HAS_WORD = re.compile(r"[^\W_]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of each sentence of ``text`` (whitespace trimmed, empty dropped)."""
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _line_spans(text):
        start = line_start
        for cut in _cuts(text, line_start, line_end):
            _append_trimmed(spans, text, start, cut)
            start = cut
        _append_trimmed(spans, text, start, line_end)
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each an exact substring of it."""
    return [text[a:b] for a, b in sentence_spans(text)]


def words(sentence: str) -> list[str]:
    """Word tokens (letters and digits, inner apostrophes kept): "don't", "2016", "CRC's"."""
    return _WORD_RE.findall(sentence)


def word_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) for every word token of ``text``."""
    for match in _WORD_RE.finditer(text):
        yield match.start(), match.end(), match.group()


class OfflineTokenizer:
    """A sumy tokenizer (``language``, ``to_sentences``, ``to_words``) that needs no NLTK data."""

    def __init__(self, language: str = "english") -> None:
        self._language = language

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in re.finditer(r"\n", text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    start, end = _strip_space(text, start, end)
    if start < end and _stray_opening(text[start:end]):
        start, end = _strip_space(text, start + 1, end)
    if start < end and _stray_closing(text[start:end]):
        start, end = _strip_space(text, start, end - 1)
    if start < end and _HAS_WORD.search(text, start, end):
        spans.append((start, end))


def _strip_space(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_PAIRS = {"“": "”", "‘": "’", "«": "»"}
_CLOSING = {v: k for k, v in _PAIRS.items()}


def _quote_marks(sentence: str, mark: str) -> int:
    """How many times ``mark`` is used as a quote mark (not as an apostrophe inside a word)."""
    count = 0
    for i, ch in enumerate(sentence):
        if ch != mark:
            continue
        inside = (
            0 < i < len(sentence) - 1 and sentence[i - 1].isalnum() and sentence[i + 1].isalnum()
        )
        count += not inside
    return count


def _stray_opening(sentence: str) -> bool:
    """Whether the sentence starts with a quote mark whose quotation it does not close."""
    first = sentence[0]
    if first in _PAIRS:
        return _quote_marks(sentence, _PAIRS[first]) == 0
    if first in "\"'":
        return _quote_marks(sentence, first) % 2 == 1
    return False


def _stray_closing(sentence: str) -> bool:
    """Whether the sentence ends with a quote mark closing a quotation it did not open."""
    last = sentence[-1]
    if last in _CLOSING:
        return _CLOSING[last] not in sentence
    if last in "\"'":
        return _quote_marks(sentence, last) % 2 == 1
    return False


def _cuts(text: str, line_start: int, line_end: int) -> list[int]:
    """Offsets inside one line where a sentence ends (just after the stop and its quotes)."""
    cuts = []
    for match in _CANDIDATE.finditer(text, line_start, line_end):
        stop = text[match.start() : match.start(1)]
        nxt = match.group(2)
        if _is_boundary(text, line_start, match.start(), stop, nxt):
            cuts.append(match.end())
    for match in _GLUED.finditer(text, line_start, line_end):
        if _glued_boundary(text, line_start, match.start()):
            cuts.append(match.end())
    return sorted(cuts)


def _glued_boundary(text: str, line_start: int, at: int) -> bool:
    """A stop with no space after it ends a sentence after two lower-case ASCII letters that do
    not close an abbreviation ("her.I" yes, "etc.The" no)."""
    before = text[max(at - 2, line_start) : at]
    if not (len(before) == 2 and before.isascii() and before.islower() and before.isalpha()):
        return False
    return _word_before(text, line_start, at).lower() not in ABBREVIATIONS


def _is_boundary(text: str, line_start: int, stop_at: int, stop: str, nxt: str) -> bool:
    first = nxt.lstrip("\"'“‘([«")[:1] or nxt[:1]
    if stop.startswith("..") or stop == "…":
        return first.isupper()
    if "." not in stop:  # ! or ?
        return not first.islower()
    word = _word_before(text, line_start, stop_at)
    if not word:
        return not first.islower()
    lowered = word.lower()
    if _LIST_MARKER.match(text[line_start:stop_at]):
        return False  # "1. Over emphasis", "b. the second point"
    if lowered in ABBREVIATIONS:
        if first.isdigit():
            return lowered not in _NUMBER_ABBREVIATIONS
        return lowered == "etc" and first.isupper()
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. Smith"
    if _DOTTED.match(word):  # a dotted acronym such as U.K or e.g
        return first.isupper()
    return True


def _word_before(text: str, line_start: int, end: int) -> str:
    start = end
    while start > line_start and (text[start - 1].isalnum() or text[start - 1] in ".'’"):
        start -= 1
    return text[start:end].strip(".'’")
