"""The evaluation files ship with the repository, as their README says, and the benchmark reads
them from there (a clone runs ``bench/quality.py`` with no other folder)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "bench" / "data" / "eval"


def _rows(name: str) -> list[dict[str, object]]:
    lines = (EVAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_file_has_the_rows_its_readme_names() -> None:
    readme = (EVAL / "README.md").read_text(encoding="utf-8")
    files = sorted(p.stem for p in EVAL.glob("*.jsonl"))
    assert files == ["blog_seeds", "news_summeval", "opinions_opinosis", "reviews_amazon"]
    for name in files:
        row = re.search(rf"\| `{name}\.jsonl` \|[^|]*\| (\d+) ", readme)
        assert row, f"{name} is not in the README table"
        rows = _rows(name)
        assert len(rows) == int(row.group(1)), name
        assert all(r["id"] and r["text"] and r["references"] for r in rows), name


def test_key_point_evidence_and_avoid_lines_are_in_the_post_bodies() -> None:
    for row in _rows("blog_seeds"):
        text = str(row["text"])
        for point in row["key_points"]:  # type: ignore[attr-defined]
            assert point["evidence"], point
            for phrase in point["evidence"]:
                assert phrase in text, (row["id"], phrase)
        for line in row["avoid"]:  # type: ignore[attr-defined]
            assert line in text, (row["id"], line)


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import rouge_score"], check=False).returncode != 0,
    reason="rouge-score (the bench extra) is not installed",
)
def test_quality_bench_runs_on_the_shipped_files_and_shows_before_and_after() -> None:
    done = subprocess.run(
        [sys.executable, "bench/quality.py", "--only", "blog_seeds"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "digestbot before" in done.stdout and "digestbot after (lexrank)" in done.stdout
    assert "key points %" in done.stdout
    assert "before (replies first)" in done.stdout and "after (engages the post)" in done.stdout
