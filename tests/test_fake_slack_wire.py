"""The fake Slack server outside the test's event loop: on its own loop in a thread (for
synchronous clients), and as its own process with a control API (for tests and benchmarks
that run the bot in another process)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_standalone import FakeSlackThread, main, parse_limits
from tests.fakes.slack_state import BOT_TOKEN, DEFAULT_CHANNEL

ROOT = Path(__file__).resolve().parent.parent


def test_thread_serves_synchronous_clients_and_state_is_read_on_its_loop() -> None:
    thread = FakeSlackThread()
    with thread as slack:
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        client.chat_postMessage(channel=DEFAULT_CHANNEL, text="from a thread")
        thread.call(lambda: slack.fail("chat.postMessage", "is_archived"))
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x")
        texts = thread.call(lambda: [m.text for m in slack.messages])
    assert raised.value.response["error"] == "is_archived"
    assert texts == ["from a thread"]


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=5) as response:
        return json.loads(response.read())


def _post(base: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        base + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def standalone() -> Iterator[str]:
    """The server as ``python -m tests.fakes.slack_standalone``; its root URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.slack_standalone",
            "--port",
            "0",
            "--rate-limit",
            "1,1,50",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().split()
        assert first[0] == "base_url" and first[1].endswith("/api/"), first
        yield first[1].removesuffix("/api/")
    finally:
        process.kill()
        process.wait(5)


def test_standalone_process_with_control_api(standalone: str) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=standalone + "/api/")
    _post(standalone, "/_fake/channels", {"id": "C0EXTRA001", "name": "extra"})
    client.chat_postMessage(channel="C0EXTRA001", text="hello")
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="C0EXTRA001", text="too soon")
    assert limited.value.response.status_code == 429
    _post(standalone, "/_fake/fail", {"method": "users.info", "error": "user_not_found"})
    with pytest.raises(SlackApiError) as failed:
        client.users_info(user="U0ALICE001")
    assert failed.value.response["error"] == "user_not_found"
    assert _get(standalone, "/_fake/messages?channel=C0EXTRA001")[0]["text"] == "hello"
    assert _get(standalone, "/_fake/stats") == {"messages": 1, "duplicates": 0, "ratelimited": 1}
    calls = _get(standalone, "/_fake/calls?method=chat.postMessage")
    assert [c["error"] for c in calls] == [None, "ratelimited"]
    assert BOT_TOKEN not in json.dumps(calls)


def test_bad_rate_limit_argument_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rate-limit", "fast"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        "slack_standalone: --rate-limit wants PER_CHANNEL,BURST,WORKSPACE as positive numbers "
        "like 1,3,50; got 'fast'"
    )
    assert parse_limits("1,3,50") == (1.0, 3, 50.0)
