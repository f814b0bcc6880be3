"""Seed files added, edited or removed while the bot runs: picked up at the next tick, and
said once, in the console's words (which post, which file and line)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
from pathlib import Path

import pytest

from bot.app import App, CorpusChange
from tests.app_fixtures import SEEDS, FakeClock, make_config
from tests.console_process import ROOT, command, set_clock

FIRST = "000_63c8db97991e146f.txt"
TITLE = "News from Probation Institute 2"
WORSE = "Tuesday, 14 June 2016\n\nTitle\n\nbody\n\n3 comments:\n\n1. x\n"  # bad at line 9


def new_post(title: str) -> str:
    return (SEEDS / FIRST).read_text().replace(TITLE, title, 1)


def listening(app: App) -> list[CorpusChange]:
    heard: list[CorpusChange] = []
    app.corpus_listeners.append(heard.append)
    return heard


async def test_a_new_seed_file_is_announced_once_at_the_next_tick(tmp_path: Path) -> None:
    clock = FakeClock()
    app = App.open(make_config(tmp_path), clock=clock)
    heard = listening(app)
    try:
        (tmp_path / "seeds" / "006_new.txt").write_text(new_post("A brand new post"))
        await app.tick(clock.advance(minutes=1))
        assert [c.lines() for c in heard] == [
            ["corpus: 1 post added (006_new: 'A brand new post')"]
        ]
        assert "006_new" in app.posts
        assert [hit.post_id for hit in app.index.search("brand new")][:1] == ["006_new"]
        await app.tick(clock.advance(minutes=1))
        await app.tick(clock.advance(minutes=1))
        assert len(heard) == 1  # nothing changed since: nothing more to say
    finally:
        app.close()


def test_a_bad_file_is_said_once_not_at_every_later_reload(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    seeds = config.corpus_dir
    (seeds / "bad.txt").write_text("not a date\n\nTitle\n")
    err = io.StringIO()
    app = App.open(config, stderr=err)
    heard = listening(app)
    try:
        assert err.getvalue().count("bad.txt") == 1  # said at start, on stderr
        (seeds / "006_new.txt").write_text(new_post("A brand new post"))
        change = app.refresh_if_changed()
        assert change is not None and change.lines() == [
            "corpus: 1 post added (006_new: 'A brand new post')"
        ]  # bad.txt was already reported at start and has not changed

        (seeds / "worse.txt").write_text(WORSE)
        change = app.refresh_if_changed()
        assert change is not None and change.lines() == [
            f"corpus: {seeds / 'worse.txt'} skipped: line 9: {change.skipped[0].message}"
        ]
        assert change.skipped[0].message.startswith("unindented text inside the comments")
        assert app.refresh_if_changed() is None

        (seeds / "bad.txt").write_text("still not a date\n")  # edited, still bad: said again
        change = app.refresh_if_changed()
        assert change is not None and [e.file for e in change.skipped] == [str(seeds / "bad.txt")]
        assert len(heard) == 3
    finally:
        app.close()


def test_updated_and_removed_posts_are_named(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    app = App.open(config)
    try:
        first = config.corpus_dir / FIRST
        first.write_text(new_post("A better title"))
        (config.corpus_dir / "004_ef1d1aa6b437a289.txt").unlink()
        os.utime(config.corpus_dir / "003_15a94c804d3a0ae1.txt")  # touched, same text
        change = app.refresh_if_changed()
        assert change is not None
        assert change.lines() == [
            "corpus: 1 post updated (000_63c8db97991e146f: 'A better title'), "
            "1 removed (004_ef1d1aa6b437a289: 'It's Definitely not Probation')"
        ]
        assert "004_ef1d1aa6b437a289" not in app.posts
    finally:
        app.close()


def test_piped_console_says_a_corpus_change_once_on_stderr(tmp_path: Path) -> None:
    config = make_config(tmp_path)  # copies the seeds
    clock = tmp_path / "clock"
    set_clock(clock, FakeClock().now)
    argv = command(config.data_dir, config.corpus_dir, clock, every=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT")}
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write("/start\n")
    proc.stdin.flush()
    assert proc.stdout.readline().startswith("Hello!")  # running, ticking every second
    (config.corpus_dir / "006_new.txt").write_text(new_post("A brand new post\x1b]0;pwned\x07"))
    (config.corpus_dir / "bad.txt").write_text("not a date\n")
    notice = [proc.stderr.readline(), proc.stderr.readline()]
    proc.stdin.write("/start\n")  # a few more ticks while it answers
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert notice[0].startswith("corpus: 1 post added (006_new: 'A brand new post")
    assert "\x1b" not in notice[0] and "\x07" not in notice[0]  # a title cannot drive the terminal
    assert notice[1].startswith(f"corpus: {config.corpus_dir / 'bad.txt'} skipped: line 1:")
    assert err.count("corpus:") == 0  # said once
    assert "corpus:" not in out and out.count("Hello!") == 1


def test_without_a_console_a_new_bad_file_is_one_warning_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path)
    app = App.open(config)  # no listener: as under the Telegram front end
    try:
        (config.corpus_dir / "bad.txt").write_text("not a date\n")
        app.refresh_if_changed()
        (config.corpus_dir / "006_new.txt").write_text(new_post("A brand new post"))
        app.refresh_if_changed()
    finally:
        app.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # said once, though the folder changed again after it
    assert warnings[0].startswith(f"corpus: {config.corpus_dir / 'bad.txt'} skipped: line 1: ")
