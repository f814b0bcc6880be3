"""What people type: numbers, times, zones and weekdays follow one rule in chat, config and CLI.

Each case is what a user sees: the chat reply (through the real command layer and store), the
configuration error naming file and key, or the CLI's exit status and stderr line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.commands import PRIVATE, Chat, User, parse
from bot.cli import main
from bot.config import ConfigError, load_config
from tests.app_fixtures import FakeClock, open_app

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
ME = Chat("console", "c1", PRIVATE)
USER = User("u1", "Ann")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    opened = open_app(tmp_path, FakeClock())
    yield opened
    opened.close()


async def say(app: App, text: str) -> str:
    cmd = parse(text, ME, USER)
    assert cmd is not None, text
    return (await app.dispatch(cmd)).plain_text()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/posts ²", "Usage: /posts N (N from 1 to 20)."),
        ("/posts ①", "Usage: /posts N (N from 1 to 20)."),
        ("/posts ٣", "Usage: /posts N (N from 1 to 20)."),  # an Arabic-Indic three
        ("/posts 50", "Usage: /posts N (N from 1 to 20)."),
        ("/posts 99999999999999999999", "Usage: /posts N (N from 1 to 20)."),
        ("/latest ①", "Usage: /latest [N] (N from 1 to 20)."),
        ("/latest ²", "Usage: /latest [N] (N from 1 to 20)."),
        ("/latest 1000", "Usage: /latest [N] (N from 1 to 20)."),
        (
            "/time 25:00",
            "Usage: /time HH:MM (a 24-hour time from 00:00 to 23:59, e.g. /time 07:30).",
        ),
        ("/time ０８:００", "Usage: /time HH:MM (a 24-hour time"),  # full-width digits
        ("/time ²:00", "Usage: /time HH:MM (a 24-hour time"),
    ],
)
async def test_numbers_are_ascii_digits_and_usage_gives_the_range(
    app: App, line: str, expected: str
) -> None:
    await say(app, "/subscribe 08:00 Europe/London")
    answer = await say(app, line)
    assert answer.startswith(expected)
    assert "went wrong" not in answer and "\n" not in answer
    assert "topics: all posts" in await say(app, "/settings")
    assert ", 3 posts," in await say(app, "/settings")  # nothing changed


async def test_subscribe_with_an_out_of_range_time_says_the_range(app: App) -> None:
    answer = await say(app, "/subscribe 25:00 Europe/London")
    assert answer == (
        "Usage: /subscribe [HH:MM] [Area/City] [daily|weekly DAY] "
        "(HH:MM is a 24-hour time from 00:00 to 23:59)."
    )


@pytest.mark.parametrize(
    ("zone", "stored"),
    [
        ("europe/london", "Europe/London"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("EST", "EST"),
        ("utc", "UTC"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
async def test_one_zone_rule_for_subscribe_and_timezone(app: App, zone: str, stored: str) -> None:
    assert f"at 08:00 ({stored})" in await say(app, f"/subscribe 08:00 {zone}")
    await say(app, "/timezone Asia/Tokyo")
    assert f"({stored})" in await say(app, f"/timezone {zone}")
    assert f"({stored})" in await say(app, "/settings")


@pytest.mark.parametrize("zone", ["localtime", "Factory", "right/UTC", "posix/Europe/London"])
async def test_files_of_the_zone_database_that_are_not_zones_are_refused(
    app: App, zone: str
) -> None:
    refusal = f"Unknown time zone '{zone}'; use a name like Europe/London, America/New_York"
    assert (await say(app, f"/subscribe 08:00 {zone}")).startswith(refusal)
    assert "This chat has no subscription yet" in await say(app, "/settings")
    await say(app, "/subscribe 08:00 Europe/Paris")
    assert (await say(app, f"/timezone {zone}")).startswith(refusal)
    assert "(Europe/Paris)" in await say(app, "/settings")


async def test_weekday_in_any_case_and_full_name(app: App) -> None:
    assert "every Fri at 18:00 (UTC)" in await say(app, "/subscribe weekly FRIDAY 18:00 utc")


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_uses_the_same_rules_and_stores_canonical_values(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "[digest]\ntime = '7:05'\ntimezone = 'europe/london'\nweekday = 'Friday'\n"
    )
    digest = load_config(path).digest
    assert (digest.time, digest.timezone, digest.weekday) == ("07:05", "Europe/London", "fri")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[digest]\ntimezone = 'localtime'\n",
            "'digest.timezone' is 'localtime'; expected an IANA",
        ),
        ("[digest]\ntimezone = 'posix/UTC'\n", "'digest.timezone' is 'posix/UTC'"),
        ("[digest]\ntime = '²:00'\n", "'digest.time' is '²:00'; expected HH:MM from 00:00"),
        ("[digest]\nweekday = 'someday'\n", "'digest.weekday' is 'someday'; expected one of mon"),
        ("[summary]\nsentences = true\n", "'summary.sentences' must be int, got True"),
    ],
)
def test_config_refuses_what_chat_refuses(tmp_path: Path, toml: str, message: str) -> None:
    path = _config(tmp_path, toml)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_config_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[summary]\nsentences = 2\n")
    assert load_config(path).summary.sentences == 2


@pytest.mark.parametrize("now", ["9999-12-31T23:59", "0001-01-01", "9999-12-31T23:59:59+14:00"])
def test_digest_now_out_of_range_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now: str
) -> None:
    argv = ["--corpus", str(SEEDS), "--data", str(tmp_path), "digest", "--now", now]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"digestbot: --now '{now}' is out of range; give a time from 1970 to 9998\n"
    )
    assert captured.out == ""


def test_digest_now_at_the_edges_of_the_range_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for now in ("9998-12-31T23:59", "1970-01-01T00:00"):
        argv = ["--corpus", str(SEEDS), "--data", str(tmp_path), "digest", "--now", now, "--json"]
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["now"].startswith(now)


@pytest.mark.parametrize("number", ["٣", "1_0", "²", " 5"])
def test_cli_numbers_are_ascii_digits_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], number: str
) -> None:
    argv = ["--corpus", str(SEEDS), "--data", str(tmp_path), "summarise", "000"]
    with pytest.raises(SystemExit) as leaving:
        main([*argv, "--sentences", number])
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert f"'{number}' is not a whole number" in err and err.count("\n") == 1
