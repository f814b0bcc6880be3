"""Summary quality: ROUGE-1/2/Lsum of digestbot's summariser against LEAD-k and stock sumy.

Reads every ``*.jsonl`` of the evaluation folder (one ``{"id", "text", "references": [...]}``
per line; see its README). Every system gets the same sentence budget and the same offline
sentence splitter and word tokenizer. Scores are F1 x 100 (rouge-score, ``use_stemmer=True``,
``rougeLsum`` over sentences joined by newlines, in summaries and references alike), averaged
over the references of a document, then over documents.

    .venv/bin/python bench/quality.py [--eval-dir DIR] [--quick] [--methods]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _util import progress, table
from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from summariser import OfflineTokenizer, split_sentences, summarise
from summariser.extractive import METHODS

DEFAULT_EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
# Sentence budget and kind per data set, as given in the evaluation README.
BUDGETS = {"reviews_amazon": (4, "discussion"), "news_summeval": (3, "article")}
DEFAULT_BUDGET = (3, "article")
QUICK_ROWS = 20
System = Callable[[str, int, str], list[str]]


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    references: tuple[str, ...]


class BadInput(Exception):
    """A data file that cannot be read; the message names the file and the line."""


def load_rows(path: Path) -> list[Row]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            refs = tuple("\n".join(split_sentences(str(r))) for r in item["references"])
            rows.append(Row(str(item["id"]), str(item["text"]), refs))
        except (ValueError, KeyError, TypeError) as error:
            raise BadInput(
                f"{path}:{number}: not a row with id, text, references ({error})"
            ) from None
    if not rows:
        raise BadInput(f"{path}: no rows")
    return rows


def ours(method: str) -> System:
    def run(text: str, budget: int, kind: str) -> list[str]:
        return summarise(text, sentences=budget, kind=kind, method=method)

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
    found: dict[str, System] = {"digestbot lexrank": ours("lexrank")}
    if all_methods:
        found.update({f"digestbot {m}": ours(m) for m in METHODS if m != "lexrank"})
    found.update(
        {
            "LEAD-k": lead,
            "sumy LexRank": stock(LexRankSummarizer),
            "sumy TextRank": stock(TextRankSummarizer),
            "sumy Luhn": stock(LuhnSummarizer),
            "sumy SumBasic": stock(SumBasicSummarizer),
        }
    )
    return found


def evaluate(
    rows: Sequence[Row], system: System, budget: int, kind: str, label: str
) -> list[float]:
    """Mean ROUGE-1, ROUGE-2, ROUGE-Lsum F1 x 100 and mean words per summary."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    totals = [0.0, 0.0, 0.0, 0.0]
    for row in progress(rows, label):
        chosen = system(row.text, budget, kind)
        prediction = "\n".join(chosen)
        per_ref = [scorer.score(ref, prediction) for ref in row.references]
        for i, key in enumerate(("rouge1", "rouge2", "rougeLsum")):
            totals[i] += 100 * sum(s[key].fmeasure for s in per_ref) / len(per_ref)
        totals[3] += sum(len(s.split()) for s in chosen)
    return [t / len(rows) for t in totals]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL, help="folder of *.jsonl")
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_ROWS} rows per file")
    parser.add_argument("--methods", action="store_true", help="also digestbot's other methods")
    args = parser.parse_args(argv)
    files = sorted(args.eval_dir.glob("*.jsonl")) if args.eval_dir.is_dir() else []
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
        budget, kind = BUDGETS.get(name, DEFAULT_BUDGET)
        results = [
            [label, *evaluate(rows, system, budget, kind, f"{name} {label}")]
            for label, system in systems(args.methods).items()
        ]
        print(f"\n{name}: {len(rows)} documents, {budget} sentences, kind={kind}\n")
        print(table(["system", "ROUGE-1", "ROUGE-2", "ROUGE-Lsum", "words"], results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
