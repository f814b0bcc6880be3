"""Rebuild the evaluation files that are derived from other sources (see eval/README.md).

    .venv/bin/python bench/data/build_eval.py opinosis DIR   # unzipped OpinosisDataset1.0_0.zip
    .venv/bin/python bench/data/build_eval.py seeds [SEEDS]  # our key points of seeds/*.txt

``opinosis`` writes ``eval/opinions_opinosis.jsonl``: one row per topic, its review sentences
as contributions separated by blank lines, the topic's human summaries as references.
``seeds`` writes ``eval/blog_seeds.jsonl`` from the seed posts and ``seed_keypoints.py``, and
refuses evidence or avoid lines that are not in the post body.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVAL = HERE / "eval"
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from seed_keypoints import SEEDS  # noqa: E402

from summariser import load_folder, split_sentences  # noqa: E402


def read_text(path: Path) -> str:
    """Opinosis files are mostly ASCII, some Windows-1252: decode as such, CRLF -> LF."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def opinosis_rows(folder: Path) -> Iterable[dict[str, Any]]:
    for topic in sorted((folder / "topics").glob("*.txt.data")):
        name = topic.name.removesuffix(".txt.data")
        lines = [" ".join(line.split()) for line in read_text(topic).splitlines()]
        sentences = [line for line in lines if re.search(r"\w", line)]
        gold = sorted((folder / "summaries-gold" / name).glob("*.gold"))
        references = [
            "\n".join(line.strip() for line in read_text(g).splitlines() if line.strip())
            for g in gold
        ]
        yield {
            "id": name,
            "text": "\n\n".join(sentences),
            "references": [r for r in references if r],
            "source": "Opinosis 1.0 (kavgan/opinosis-summarization, OpinosisDataset1.0_0.zip)",
        }


def seed_rows(seeds: Path) -> Iterable[dict[str, Any]]:
    posts = {p.id: p for p in load_folder(seeds).posts}
    for post_id, notes in SEEDS.items():
        body = posts[post_id].body_text
        sentences = set(split_sentences(body))
        points = [{"point": point, "evidence": list(evidence)} for point, evidence in
                  notes["key_points"]]
        for point in points:
            for phrase in point["evidence"]:
                if phrase not in body:
                    raise SystemExit(f"{post_id}: evidence not in the body: {phrase!r}")
        for line in notes["avoid"]:
            if line not in sentences:
                raise SystemExit(f"{post_id}: avoid line is not a sentence: {line!r}")
        yield {
            "id": post_id,
            "text": body,
            "references": ["\n".join(p["point"] for p in points)],
            "key_points": points,
            "avoid": list(notes["avoid"]),
            "engage": list(notes["engage"]),
            "off_topic": list(notes["off_topic"]),
            "source": f"seeds/{post_id}.txt; key points: digestbot's own annotation",
        }


def write(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path}: {len(lines)} rows, {path.stat().st_size:,} bytes")


def main(argv: Sequence[str]) -> int:
    if len(argv) >= 2 and argv[0] == "opinosis":
        write(EVAL / "opinions_opinosis.jsonl", opinosis_rows(Path(argv[1])))
    elif argv and argv[0] == "seeds":
        seeds = Path(argv[1]) if len(argv) > 1 else HERE.parent.parent / "seeds"
        write(EVAL / "blog_seeds.jsonl", seed_rows(seeds))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
