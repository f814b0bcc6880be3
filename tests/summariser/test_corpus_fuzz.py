"""Corpus fuzzing: mutated seed files never crash the parser; bad ones are named with a line.

The full run is 10,000 mutated files (``pytest -m slow``); CI runs 1,000 of them plus a mixed
folder. Mutations: truncation, bad UTF-8, BOM, CRLF, giant lines, deep reply nesting, missing
title, numbering gaps, binary bytes, shuffled and duplicated lines.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summariser import CorpusError, Post, load_folder
from summariser.corpus import decode, parse_text

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))
QUICK = os.environ.get("CI") == "true"

Mutation = Callable[[random.Random, bytes], bytes]


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def bad_utf8(rng: random.Random, data: bytes) -> bytes:
    raw = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        raw[rng.randrange(len(raw))] = rng.choice([0x80, 0x81, 0xC3, 0xE2, 0xFF, 0x9D, 0xF0])
    return bytes(raw)


def bom_crlf(rng: random.Random, data: bytes) -> bytes:
    data = data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n"]))
    return (b"\xef\xbb\xbf" if rng.random() < 0.7 else b"") + data


def giant_line(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    at = rng.randrange(len(lines))
    lines[at] = lines[at] + b" word" * rng.randint(10_000, 60_000)
    return b"\n".join(lines)


def deep_nesting(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 30)):
        depth = rng.randint(3, 40)
        at = rng.randrange(len(lines))
        lines.insert(at, b"  " * depth + f"{rng.randint(1, 9)}. nested reply".encode())
    return b"\n".join(lines)


def drop_title(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join(lines[:1] + lines[3:] if rng.random() < 0.5 else lines[2:])


def renumber(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line[:2] == b"  " and line[2:3].isdigit() and rng.random() < 0.3:
            lines[i] = b"  " + str(rng.randint(0, 99)).encode() + b". renumbered"
    return b"\n".join(lines)


def binary(rng: random.Random, data: bytes) -> bytes:
    noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4000)))
    at = rng.randrange(len(data) + 1)
    return data[:at] + noise + data[at:]


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 40)):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(i, lines[j])
    return b"\n".join(lines)


def dedent_or_indent(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 40)):
        at = rng.randrange(len(lines))
        lines[at] = (
            lines[at].lstrip() if rng.random() < 0.5 else b" " * rng.randint(1, 9) + lines[at]
        )
    return b"\n".join(lines)


MUTATIONS: list[Mutation] = [
    truncate,
    bad_utf8,
    bom_crlf,
    giant_line,
    deep_nesting,
    drop_title,
    renumber,
    binary,
    shuffle_lines,
    dedent_or_indent,
]
ORIGINALS = [path.read_bytes() for path in SEEDS]


def mutated(seed: int) -> bytes:
    rng = random.Random(seed)
    data = rng.choice(ORIGINALS)
    for mutation in rng.sample(MUTATIONS, rng.randint(1, 3)):
        data = mutation(rng, data) or b""
    return data


def check_one(seed: int) -> Post | CorpusError:
    data = mutated(seed)
    name = f"fuzz_{seed}.txt"
    try:
        post = parse_text(decode(data, name), post_id=f"fuzz_{seed}", file=name)
    except CorpusError as exc:
        assert exc.file == name
        assert str(exc).startswith(name)
        assert exc.line is None or exc.line >= 1
        return exc
    assert post.title and post.title == post.title.strip()
    refs = [c.ref for c in post.walk_comments()]
    assert len(refs) == len(set(refs)), "comment refs must be unique"
    return post


def run_many(count: int) -> tuple[int, int]:
    good = bad = 0
    for seed in range(count):
        if isinstance(check_one(seed), Post):
            good += 1
        else:
            bad += 1
    return good, bad


def test_fuzzed_seed_files_never_crash_ci_count() -> None:
    good, bad = run_many(300 if QUICK else 1_000)
    assert good > 0 and bad > 0  # the mutations exercise both outcomes


@pytest.mark.slow
def test_fuzzed_seed_files_never_crash_full_count() -> None:
    good, bad = run_many(10_000)
    assert good + bad == 10_000


def test_folder_of_mutants_reports_each_bad_file_and_loads_the_good(tmp_path: Path) -> None:
    for path in SEEDS:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    expected_bad: set[str] = set()
    for seed in range(60):
        name = f"m{seed:03d}.txt"
        (tmp_path / name).write_bytes(mutated(seed))
        if isinstance(check_one(seed), CorpusError):
            expected_bad.add(name)
    result = load_folder(tmp_path)
    assert {Path(e.file).name for e in result.errors} == expected_bad
    assert len(result.posts) == 5 + 60 - len(expected_bad)
    assert {p.id for p in result.posts} >= {path.stem for path in SEEDS}


@settings(max_examples=300 if QUICK else 1_000, deadline=None)
@given(st.binary(max_size=3_000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        parse_text(decode(data, "any.txt"), post_id="any", file="any.txt")
    except CorpusError as exc:
        assert exc.file == "any.txt"


@settings(max_examples=300 if QUICK else 1_000, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.sampled_from(["", "1. ", "2. ", "12. ", "x "]), st.text()),
        max_size=40,
    )
)
def test_arbitrary_comment_sections_parse_or_report(lines: list[tuple[int, str, str]]) -> None:
    text = "Tuesday, 14 June 2016\n\nTitle\n\nBody.\n\n3 comments:\n\n" + "\n".join(
        " " * indent + item + rest.replace("\n", " ") for indent, item, rest in lines
    )
    try:
        post = parse_text(text, post_id="p", file="p.txt")
    except CorpusError as exc:
        assert exc.line is not None and exc.line >= 7
        return
    for comment in post.walk_comments():
        assert comment.text == comment.text.strip()
