"""Summary quality: digestbot before and after, against LEAD-k and stock sumy, in one run.

Reads every ``*.jsonl`` of the evaluation folder (default ``bench/data/eval``, shipped with the
repository; one ``{"id", "text", "references": [...]}`` per line, see its README). Every system
gets the same sentence budget and the same offline sentence splitter and word tokenizer. Scores
are F1 x 100 (rouge-score, ``use_stemmer=True``, ``rougeLsum`` over sentences joined by
newlines, in summaries and references alike), averaged over the references of a document, then
over documents. Rows with ``key_points`` (our annotation of the seed posts) also get key point
recall (share of the points a summary sentence states, by the annotated evidence phrases) and
the share of summaries quoting a line annotated as one to avoid (preamble, scene-setting...);
their posts' top comments are scored against the annotated engaging and off-topic comments.

"digestbot before" is the summariser as it was (a 90 % lead prior for every article, term
spread only for discussions; top comments mostly by reply count), kept selectable as the
presets ``summariser.extractive.LEGACY_TUNING`` and ``summariser.threads.LEGACY_WEIGHTS``.
sumy's KL-Sum is cubic in the number of sentences: it runs on documents of at most
``KL_MAX_SENTENCES`` sentences; when that leaves some out, digestbot is scored again on the
same documents beside it.

    .venv/bin/python bench/quality.py [--eval-dir DIR] [--quick] [--methods] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _util import progress, table
from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from summariser import (
    OfflineTokenizer,
    load_folder,
    split_sentences,
    summarise,
    summarise_post,
    top_comments,
)
from summariser.extractive import LEGACY_TUNING, METHODS
from summariser.threads import LEGACY_WEIGHTS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT / "bench" / "data" / "eval"
# Sentence budget and kind per data set, as given in the evaluation README.
BUDGETS = {
    "reviews_amazon": (4, "discussion"),
    "news_summeval": (3, "article"),
    "opinions_opinosis": (2, "discussion"),
    "blog_seeds": (3, "article"),
}
DEFAULT_BUDGET = (3, "article")
QUICK_ROWS = 20
KL_MAX_SENTENCES = 150
TOP_COMMENTS = 3
System = Callable[[str, int, str], list[str]]


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    references: tuple[str, ...]
    key_points: tuple[tuple[str, ...], ...] = ()  # evidence phrases of each point
    avoid: frozenset[str] = frozenset()
    engage: frozenset[str] = frozenset()
    off_topic: frozenset[str] = frozenset()


@dataclass
class Score:
    values: list[float] = field(default_factory=lambda: [0.0] * 6)
    documents: int = 0


class BadInput(Exception):
    """A data file that cannot be read; the message names the file and the line."""


def load_rows(path: Path) -> list[Row]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(_row(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            raise BadInput(
                f"{path}:{number}: not a row with id, text, references ({error})"
            ) from None
    if not rows:
        raise BadInput(f"{path}: no rows")
    return rows


def _row(item: dict[str, Any]) -> Row:
    refs = tuple("\n".join(split_sentences(str(r))) for r in item["references"])
    if not refs:
        raise ValueError("no references")
    points = tuple(tuple(str(e) for e in p["evidence"]) for p in item.get("key_points", ()))
    return Row(
        str(item["id"]),
        str(item["text"]),
        refs,
        points,
        frozenset(map(str, item.get("avoid", ()))),
        frozenset(map(str, item.get("engage", ()))),
        frozenset(map(str, item.get("off_topic", ()))),
    )


def ours(method: str, *, before: bool = False) -> System:
    tuning = LEGACY_TUNING if before else None

    def run(text: str, budget: int, kind: str) -> list[str]:
        return summarise(text, sentences=budget, kind=kind, method=method, tuning=tuning)

    return run


def lead(text: str, budget: int, kind: str) -> list[str]:
    return split_sentences(text)[:budget]


def stock(cls: Any) -> System:
    """A stock sumy summariser with the offline tokenizer, English stemmer and stop words."""
    tokenizer = OfflineTokenizer()

    def run(text: str, budget: int, kind: str) -> list[str]:
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        document = ObjectDocumentModel(
            [Paragraph([Sentence(s, tokenizer) for s in split_sentences(p)]) for p in paragraphs]
        )
        summarizer = cls(Stemmer("english"))
        summarizer.stop_words = get_stop_words("english")
        return [str(s) for s in summarizer(document, budget)]

    return run


def systems(all_methods: bool) -> dict[str, System]:
    found: dict[str, System] = {
        "digestbot before": ours("lexrank", before=True),
        "digestbot after (lexrank)": ours("lexrank"),
    }
    if all_methods:
        found.update({f"digestbot after ({m})": ours(m) for m in METHODS if m != "lexrank"})
    found.update(
        {
            "LEAD-k": lead,
            "sumy LexRank": stock(LexRankSummarizer),
            "sumy TextRank": stock(TextRankSummarizer),
            "sumy Luhn": stock(LuhnSummarizer),
            "sumy LSA": stock(LsaSummarizer),
            "sumy SumBasic": stock(SumBasicSummarizer),
        }
    )
    return found


def evaluate(rows: Sequence[Row], system: System, budget: int, kind: str, label: str) -> Score:
    """Mean ROUGE-1, -2, -Lsum, words, key point recall %, summaries quoting an avoid line %."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    score = Score()
    for row in progress(rows, label):
        chosen = system(row.text, budget, kind)
        prediction = "\n".join(chosen)
        per_ref = [scorer.score(ref, prediction) for ref in row.references]
        for i, key in enumerate(("rouge1", "rouge2", "rougeLsum")):
            score.values[i] += 100 * sum(s[key].fmeasure for s in per_ref) / len(per_ref)
        score.values[3] += sum(len(s.split()) for s in chosen)
        score.values[4] += 100 * key_point_recall(row, chosen)
        score.values[5] += 100 * any(s in row.avoid for s in chosen)
        score.documents += 1
    score.values = [v / max(score.documents, 1) for v in score.values]
    return score


def key_point_recall(row: Row, chosen: Sequence[str]) -> float:
    """Share of the row's key points stated by a chosen sentence (0 without key points)."""
    if not row.key_points:
        return 0.0
    lowered = [" ".join(s.lower().split()) for s in chosen]
    hits = sum(
        any(" ".join(e.lower().split()) in s for e in evidence for s in lowered)
        for evidence in row.key_points
    )
    return hits / len(row.key_points)


def with_thread(rows: Sequence[Row]) -> System:
    """digestbot's body summary as the bot makes it: ``summarise_post``, the thread as context."""
    posts = {p.id: p for p in load_folder(ROOT / "seeds").posts}
    by_text = {r.text: posts[r.id] for r in rows}

    def run(text: str, budget: int, kind: str) -> list[str]:
        return list(summarise_post(by_text[text], sentences=budget, comments=0).body)

    return run


def sentence_count(row: Row) -> int:
    return len(split_sentences(row.text))


def set_table(name: str, rows: Sequence[Row], all_methods: bool) -> str:
    budget, kind = BUDGETS.get(name, DEFAULT_BUDGET)
    annotated = any(r.key_points for r in rows)
    results = []
    for label, system in systems(all_methods).items():
        score = evaluate(rows, system, budget, kind, f"{name} {label}")
        results.append(_cells(label, score, annotated))
    if all(r.engage or r.off_topic for r in rows):  # the seed posts: also with their threads
        score = evaluate(rows, with_thread(rows), budget, kind, f"{name} with thread")
        results.append(_cells("digestbot after, thread as context (the bot)", score, annotated))
    small = [r for r in rows if sentence_count(r) <= KL_MAX_SENTENCES]
    kl_systems: list[tuple[str, System]] = [("sumy KL-Sum", stock(KLSummarizer))]
    if len(small) < len(rows):
        kl_systems.append(("digestbot after (lexrank)", ours("lexrank")))
    for label, system in kl_systems if small else []:
        score = evaluate(small, system, budget, kind, f"{name} {label}")
        suffix = f" ({len(small)} of {len(rows)} docs: <= {KL_MAX_SENTENCES} sentences)"
        results.append(_cells(label + suffix, score, annotated))
    headers = ["system", "ROUGE-1", "ROUGE-2", "ROUGE-Lsum", "words"]
    if annotated:
        headers += ["key points %", "avoid lines %"]
    title = f"\n{name}: {len(rows)} documents, {budget} sentences, kind={kind}\n\n"
    return title + table(headers, results)


def _cells(label: str, score: Score, annotated: bool) -> list[object]:
    cells: list[object] = [label, *score.values[:4]]
    return cells + score.values[4:] if annotated else cells


def comments_table(rows: Sequence[Row]) -> str | None:
    """Top comments of the annotated seed posts: engaging and off-topic shares, before/after."""
    annotated = [r for r in rows if r.engage or r.off_topic]
    if not annotated:
        return None
    posts = {p.id: p for p in load_folder(ROOT / "seeds").posts}
    results = []
    rankings = (
        ("before (replies first)", LEGACY_WEIGHTS, LEGACY_TUNING),
        ("after (engages the post)", None, None),
    )
    for label, weights, tuning in rankings:
        engaging = off = total = 0
        for row in annotated:
            found = top_comments(posts[row.id], TOP_COMMENTS, weights=weights, tuning=tuning)
            refs = [q.ref for q in found]
            engaging += sum(r in row.engage for r in refs)
            off += sum(r in row.off_topic for r in refs)
            total += len(refs)
        results.append([label, 100 * engaging / total, 100 * off / total])
    title = f"\ntop {TOP_COMMENTS} comments of {len(annotated)} annotated seed posts\n\n"
    return title + table(["ranking", "engaging %", "off-topic %"], results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL, help="folder of *.jsonl")
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_ROWS} rows per file")
    parser.add_argument("--methods", action="store_true", help="also digestbot's other methods")
    parser.add_argument("--only", metavar="NAME", help="only the file NAME.jsonl")
    args = parser.parse_args(argv)
    files = sorted(args.eval_dir.glob("*.jsonl")) if args.eval_dir.is_dir() else []
    if args.only:
        files = [f for f in files if f.stem == args.only]
    if not files:
        print(
            f"quality: no evaluation data (*.jsonl) in {args.eval_dir}; pass --eval-dir DIR",
            file=sys.stderr,
        )
        return 2
    try:
        data = {path.stem: load_rows(path) for path in files}
    except (BadInput, OSError, UnicodeDecodeError) as error:
        print(f"quality: {error}", file=sys.stderr)
        return 2
    for name, rows in data.items():
        rows = rows[:QUICK_ROWS] if args.quick else rows
        print(set_table(name, rows, args.methods))
        extra = comments_table(rows)
        if extra:
            print(extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
