"""What a sentence does in a post, read from the text alone: cues for the article priors.

News states its point first, so the lead is its summary. A blog post often does not: it opens
with a preamble ("Here is the latest blog post ...:-", "Dear Readers"), sets the scene (on which
day, where, who organised and who spoke), and makes its points later, often as a numbered list.
The cues here let the priors tell those apart; they look only at the text, never at where it
came from:

- **heading**: a short line of its own that does not end like a sentence ("Paul Senior");
- **intro**: a line that only introduces what follows ("... the following communication:-",
  "A number of important themes stood out;");
- **preamble**: a greeting or a sentence about the post itself ("Dear Readers", "This is the
  second batch of ...", "thanks go to the reader for forwarding ...");
- **deictic** (0..1): a sentence that points at something it does not say ("Like this in fact
  on ... from last December.", "This was the view ...");
- **scene** (0..1): scene-setting: dates, venues, organisers, names of people;
- **point** (0..1): the sentence that opens an item of an enumerated list ("1. Over emphasis
  on speed ..."; the sentence after a bare item heading such as "2) Data Sharing");
- **blog** (0..1, the whole text): how much of this the text shows (preambles, intro lines,
  headings, lists). A news story shows none of it and keeps its lead prior.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .sentences import words

HEADING_WORDS = 12
ITEM_DECAY = 3.0
HEADED_ITEM = 0.5  # an item under a bare heading: its first sentence only starts the point
_STOPS = frozenset(".!?…")
_CLOSERS = "\"'”’)]» "
_NUMBERED = re.compile(r"[ \t]*(?:\(?(\d{1,2})[.)]|\(([a-h])\))[ \t]+\S")
_BULLET = re.compile(r"[ \t]*[•▪●◦‣∙*–-][ \t]+\S")
_INTRO_END = re.compile(
    r"(?:[:;][ \t]*[-–—]*|[-–—]{1,2}[ \t]*[:>]|\b(?:as follows|the following|below)\W*)$",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(
    r"^(?:dear|hi|hello|greetings|good (?:morning|afternoon|evening))\b"
    r"|^here (?:is|are)\b|^here's\b"
    r"|\bthanks? (?:go(?:es)? )?to\b.*\bfor (?:forwarding|sending|passing|sharing)\b"
    r"|^(?:this|these|the following|below) (?:is|are) (?:the|a|an|my|our|his|her|their|some)"
    r"(?: \w+)? (?:batch|post|blog|part|instalment|installment|selection|collection"
    r"|round-?up|set|extract|letter|communication|message|update|piece|thread)\b",
    re.IGNORECASE,
)
_POINTING = re.compile(
    r"^(?:like (?:this|that|these|those)|as (?:this|that) \w+|see (?:below|above|here)"
    r"|but what (?:of|about)|so to return|(?:or|and) is it)\b",
    re.IGNORECASE,
)
_ANAPHORIC = re.compile(
    r"^(?:this|that|these|those|it|such)(?:'s)? (?:is|was|were|are|has|had|will|would|seems"
    r"|appears|means|shows)\b",
    re.IGNORECASE,
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b{_WEEKDAY}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:hosted|held (?:at|in|on)|organi[sz]ed|took place|attendees|attended|venue"
    r"|keynote|speakers? (?:was|were)|gave an? (?:\w+ )*?(?:presentation|talk|speech|lecture))\b",
    re.IGNORECASE,
)
# Words without which _DATE and _EVENT cannot match (a cheap test before the regexes).
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DATE_WORDS = (
    frozenset(f"{d}day" for d in ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun"))
    | frozenset(_MONTHS)
    | frozenset(m[:3] for m in _MONTHS)
    | {"sept"}
)
_EVENT_WORDS = frozenset(
    [
        "hosted",
        "held",
        "organised",
        "organized",
        "took",
        "attendees",
        "attended",
        "venue",
        "keynote",
        "speaker",
        "speakers",
        "gave",
    ]
)
_LEADING_MARK = re.compile(r"^[\s\"'“‘«(\[•▪●◦‣∙*–-]*(?:\d{1,3}[.)/:]\S*\s+)?")


@dataclass(frozen=True)
class Cues:
    heading: np.ndarray
    intro: np.ndarray
    preamble: np.ndarray
    deictic: np.ndarray
    scene: np.ndarray
    point: np.ndarray
    blog: float

    @property
    def skipped(self) -> np.ndarray:
        """Sentences that do not count as the start of the text for the lead prior."""
        return self.heading | self.intro | self.preamble


def read_cues(
    text: str,
    spans: Sequence[tuple[int, int]],
    tokens: Sequence[Sequence[str]] | None = None,
) -> Cues:
    """The cues of every sentence of ``text`` (``spans`` from :func:`sentence_spans`;
    ``tokens``: the words of each sentence, when the caller has them)."""
    texts = [text[a:b] for a, b in spans]
    tokens = tokens if tokens is not None else [words(t) for t in texts]
    heading = np.array(headings(text, spans, tokens), dtype=bool)
    intro = np.array([bool(_INTRO_END.search(t.rstrip())) for t in texts], dtype=bool)
    preamble = np.array([bool(_PREAMBLE.search(_bare(t))) for t in texts], dtype=bool)
    deictic = np.array([_deictic(t) for t in texts])
    scene = np.array([_scene(t, w) for t, w in zip(texts, tokens, strict=True)])
    point = enumerated_points(text, spans, heading)
    blog = _blog_score(heading, intro, preamble, point)
    return Cues(heading, intro, preamble, deictic, scene, point, blog)


def headings(
    text: str,
    spans: Sequence[tuple[int, int]],
    tokens: Sequence[Sequence[str]] | None = None,
) -> list[bool]:
    """Which sentences look like headings or sign-offs: a short line of their own that does not
    end like a sentence ("A Comment from the Conference – Paul Senior", "Dear Readers")."""
    flags = []
    for index, (start, end) in enumerate(spans):
        own_line = (start == 0 or text[start - 1] == "\n") and text[end : end + 1] in ("", "\n")
        stop = text[start:end].rstrip(_CLOSERS)[-1:] in _STOPS
        if not own_line or stop:
            flags.append(False)
            continue
        found = tokens[index] if tokens is not None else words(text[start:end])
        flags.append(len(found) <= HEADING_WORDS)
    return flags


def enumerated_points(
    text: str, spans: Sequence[tuple[int, int]], heading: np.ndarray
) -> np.ndarray:
    """The mark of the sentence opening an item of a numbered list ("1.", "2)", "(b)"): 1 for
    the first item, falling as 1 / (1 + rank / ITEM_DECAY) down the list (authors tend to put
    first what matters most); 0.6 times that for a bulleted list. When the item line is a bare
    heading, its next sentence takes the mark. A list needs two items or more; lone "1." lines
    mark nothing."""
    marks = np.zeros(len(spans))
    starts = [a for a, _ in spans]
    numbered, bulleted = _item_lines(text)
    for lines, value in ((numbered, 1.0), (bulleted, 0.6)):
        if len(lines) < 2:
            continue
        for rank, line_start in enumerate(lines):
            index = _first_sentence_at(starts, line_start)
            if index is None:
                continue
            mark = value / (1.0 + rank / ITEM_DECAY)
            if heading[index] and index + 1 < len(spans):
                index, mark = index + 1, mark * HEADED_ITEM
            marks[index] = max(marks[index], mark)
    return marks


def _item_lines(text: str) -> tuple[list[int], list[int]]:
    numbered: list[int] = []
    bulleted: list[int] = []
    numbers: list[str] = []
    offset = 0
    for line in text.split("\n"):
        found = _NUMBERED.match(line)
        if found:
            numbered.append(offset)
            numbers.append(found.group(1) or found.group(2))
        elif _BULLET.match(line):
            bulleted.append(offset)
        offset += len(line) + 1
    if not ({"1", "2"} <= set(numbers) or {"a", "b"} <= set(numbers)):
        numbered = []
    return numbered, bulleted


def _first_sentence_at(starts: Sequence[int], line_start: int) -> int | None:
    for index, start in enumerate(starts):
        if start >= line_start:
            return index
    return None


def _bare(sentence: str) -> str:
    """The sentence without leading quote marks, bullets or an item number."""
    return _LEADING_MARK.sub("", sentence, count=1)


def _deictic(sentence: str) -> float:
    bare = _bare(sentence)
    if _POINTING.search(bare):
        return 1.0
    return 0.5 if _ANAPHORIC.search(bare) else 0.0


def _scene(sentence: str, tokens: Sequence[str]) -> float:
    if not tokens:
        return 0.0
    names = sum(1 for w in tokens[1:] if w[:1].isupper() and not w.isupper())
    density = names / max(len(tokens) - 1, 1)
    lowered = {w.lower() for w in tokens}
    dated = bool(lowered & _DATE_WORDS or any(w[:1].isdigit() for w in tokens))
    evented = bool(lowered & _EVENT_WORDS)
    score = 0.4 * (dated and bool(_DATE.search(sentence)))
    score += 0.4 * (evented and bool(_EVENT.search(sentence)))
    return float(min(1.0, score + max(0.0, density - 0.2) * 1.5))


def _blog_score(
    heading: np.ndarray, intro: np.ndarray, preamble: np.ndarray, point: np.ndarray
) -> float:
    """0 for a text with none of the blog cues, 1 for one with several of them."""
    evidence = (
        int(heading.sum()) * 0.5
        + int(intro.sum()) * 0.5
        + int(preamble.sum())
        + (1.0 if (point >= 0.99).any() else 0.0)
    )
    return float(min(1.0, evidence / 2.0))
