"""The real slack_sdk AsyncWebClient against the loopback Slack Web API server: the methods.

Proves the fake answers every Web API method the Slack front end will call the way Slack
does (auth.test, chat.*, views.*, users.info, conversations.*) and checks the token on every
call. What Slack refuses, errors on demand and rate limits: test_fake_slack_errors.py; Socket
Mode and bolt: test_fake_slack_socket.py; HTTP mode: test_fake_slack_http.py; the server in a
thread or its own process: test_fake_slack_wire.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_clients import Clock, client_for, section, slack_error
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import BOT_ID, BOT_USER_ID, DEFAULT_CHANNEL, DEFAULT_USER, TEAM_ID

JSON = dict[str, Any]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


# ------------------------------------------------------------------ methods


async def test_auth_test_names_the_bot_and_the_answer_carries_scopes(slack: FakeSlack) -> None:
    answer = await client_for(slack).auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == (
        BOT_USER_ID,
        BOT_ID,
        TEAM_ID,
    )
    assert "chat:write" in answer.headers["x-oauth-scopes"]
    assert "commands" in answer.headers["x-oauth-scopes"]


async def test_post_message_records_channel_ts_text_blocks_and_threads(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="digest", blocks=[section("*Today*")]
    )
    reply = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="post 1", thread_ts=parent["ts"]
    )
    nested = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="post 2", thread_ts=reply["ts"]
    )
    first, second, third = slack.messages
    assert (first.channel, first.ts, first.text, first.thread_ts) == (
        DEFAULT_CHANNEL,
        parent["ts"],
        "digest",
        None,
    )
    assert first.blocks is not None and first.blocks[0]["text"]["text"] == "*Today*"
    assert first.blocks[0]["block_id"]  # Slack gives every block an id
    assert second.thread_ts == parent["ts"] and third.thread_ts == parent["ts"]
    assert parent["ts"] < reply["ts"] < nested["ts"]
    assert parent["message"]["bot_id"] == BOT_ID
    assert [m.text for m in slack.messages_in(DEFAULT_CHANNEL, thread_ts=parent["ts"])] == [
        "post 1",
        "post 2",
    ]
    link = await client.chat_getPermalink(channel=DEFAULT_CHANNEL, message_ts=reply["ts"])
    assert link["permalink"].endswith(f"?thread_ts={parent['ts']}&cid={DEFAULT_CHANNEL}")


async def test_thread_ts_rules_as_on_slack(slack: FakeSlack) -> None:
    client = client_for(slack)
    error = await slack_error(
        client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x", thread_ts="0")
    )
    assert error.response["error"] == "invalid_thread_ts"
    assert error.response["response_metadata"]["messages"] == ["[ERROR] 0 is not a valid thread_ts"]
    ghost = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="lost", thread_ts="1700000000.000001"
    )
    assert ghost["ok"] and slack.messages == []  # accepted, shown nowhere
    assert [m.text for m in slack.lost] == ["lost"]
    assert slack.misses([(DEFAULT_CHANNEL, "lost")]) == [(DEFAULT_CHANNEL, "lost")]


async def test_posting_to_a_user_id_lands_in_the_direct_message(slack: FakeSlack) -> None:
    client = client_for(slack)
    sent = await client.chat_postMessage(channel=DEFAULT_USER, text="hello")
    assert sent["channel"].startswith("D")
    opened = await client.conversations_open(users=DEFAULT_USER)
    assert opened["channel"]["id"] == sent["channel"] and opened["already_open"] is True
    info = await client.conversations_info(channel=sent["channel"])
    assert info["channel"]["is_im"] is True and info["channel"]["user"] == DEFAULT_USER
    assert slack.messages_in(sent["channel"])[0].text == "hello"
    slack.add_user("U0BOB00001", "bob")
    fresh = await client.conversations_open(users="U0BOB00001")
    assert "already_open" not in fresh.data
    error = await slack_error(client.conversations_open(users="U0NOBODY01"))
    assert error.response["error"] == "user_not_found"


async def test_update_edits_bot_messages_only(slack: FakeSlack) -> None:
    client = client_for(slack)
    sent = await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="v1")
    await client.chat_update(
        channel=DEFAULT_CHANNEL, ts=sent["ts"], text="v2", blocks=[section("v2")]
    )
    [message] = slack.messages
    assert (message.text, message.edits) == ("v2", 1)
    assert message.blocks is not None and message.blocks[0]["text"]["text"] == "v2"
    theirs = slack.app_mention("hi")["event"]["ts"]
    error = await slack_error(
        client.chat_update(channel=DEFAULT_CHANNEL, ts=theirs, text="mine now")
    )
    assert error.response["error"] == "cant_update_message"
    error = await slack_error(
        client.chat_update(channel=DEFAULT_CHANNEL, ts="1700000000.000009", text="x")
    )
    assert error.response["error"] == "message_not_found"


async def test_ephemeral_goes_to_one_member_of_the_channel(slack: FakeSlack) -> None:
    client = client_for(slack)
    answer = await client.chat_postEphemeral(
        channel=DEFAULT_CHANNEL, user=DEFAULT_USER, text="only you"
    )
    [ephemeral] = slack.ephemerals
    assert (ephemeral.user, ephemeral.text, ephemeral.message_ts) == (
        DEFAULT_USER,
        "only you",
        answer["message_ts"],
    )
    assert slack.messages == []
    slack.add_user("U0BOB00001", "bob")
    error = await slack_error(
        client.chat_postEphemeral(channel=DEFAULT_CHANNEL, user="U0BOB00001", text="x")
    )
    assert error.response["error"] == "user_not_in_channel"


def modal(title: str = "Share summary", **extra: Any) -> JSON:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section("Where to?")],
        **extra,
    }


async def test_views_open_needs_a_fresh_unused_trigger_id(slack: FakeSlack) -> None:
    clock = Clock()
    slack.clock = clock
    client = client_for(slack)
    trigger = slack.slash_command("share")["trigger_id"]
    opened = await client.views_open(trigger_id=trigger, view=modal())
    view_id = opened["view"]["id"]
    assert view_id.startswith("V") and slack.views[view_id].view["title"]["text"] == "Share summary"
    assert (await slack_error(client.views_open(trigger_id=trigger, view=modal()))).response[
        "error"
    ] == "exchanged_trigger_id"
    late = slack.slash_command("share")["trigger_id"]
    clock.now += 3.5
    assert (await slack_error(client.views_open(trigger_id=late, view=modal()))).response[
        "error"
    ] == "expired_trigger_id"
    assert (await slack_error(client.views_open(trigger_id="123.abc", view=modal()))).response[
        "error"
    ] == "invalid_trigger_id"
    too_long = await slack_error(
        client.views_open(trigger_id=slack.new_trigger_id(), view=modal("x" * 25))
    )
    assert too_long.response["error"] == "invalid_arguments"
    assert too_long.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


async def test_views_update_by_id_and_hash(slack: FakeSlack) -> None:
    client = client_for(slack)
    opened = await client.views_open(trigger_id=slack.new_trigger_id(), view=modal())
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    updated = await client.views_update(view_id=view_id, hash=first_hash, view=modal("Shared"))
    assert updated["view"]["title"]["text"] == "Shared" and slack.views[view_id].updates == 1
    stale = await slack_error(client.views_update(view_id=view_id, hash=first_hash, view=modal()))
    assert stale.response["error"] == "hash_conflict"
    missing = await slack_error(client.views_update(view_id="V000000999", view=modal()))
    assert missing.response["error"] == "not_found"


async def test_users_info_reports_time_zone_and_roles(slack: FakeSlack) -> None:
    slack.add_user("U0BOSS0001", "boss", tz="America/New_York", is_admin=True, is_owner=True)
    client = client_for(slack)
    user = (await client.users_info(user="U0BOSS0001"))["user"]
    offset = dt.datetime.now(ZoneInfo("America/New_York")).utcoffset()
    assert offset is not None
    assert user["tz"] == "America/New_York" and user["tz_offset"] == int(offset.total_seconds())
    assert (user["is_admin"], user["is_owner"], user["is_bot"]) == (True, True, False)
    alice = (await client.users_info(user=DEFAULT_USER))["user"]
    assert (alice["is_admin"], alice["is_owner"], alice["tz"]) == (False, False, "Europe/London")
    error = await slack_error(client.users_info(user="U0NOBODY01"))
    assert error.response["error"] == "user_not_found"


async def test_conversations_info_and_members_as_slack_pages_them(slack: FakeSlack) -> None:
    people = [f"U0MEMBER{i:02d}" for i in range(7)]
    for user_id in people:
        slack.add_user(user_id, user_id.lower())
    slack.add_channel("C0BIG00001", "big", creator=people[0], members=people, is_archived=True)
    client = client_for(slack)
    info = (await client.conversations_info(channel="C0BIG00001"))["channel"]
    assert (info["creator"], info["is_archived"], info["is_member"]) == (people[0], True, True)
    seen: list[str] = []
    cursor = ""
    while True:
        page = await client.conversations_members(channel="C0BIG00001", limit=3, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([*people, BOT_USER_ID])
    bad = await slack_error(client.conversations_members(channel="C0BIG00001", cursor="bm9wZQ=="))
    assert bad.response["error"] == "invalid_cursor"
    slack.add_channel("C0SECRET01", "secret", is_private=True, bot_member=False)
    hidden = await slack_error(client.conversations_info(channel="C0SECRET01"))
    assert hidden.response["error"] == "channel_not_found"


# ------------------------------------------------------------------ tokens


async def test_every_call_checks_the_token(slack: FakeSlack) -> None:
    cases = [
        (None, "chat.postMessage", "not_authed"),
        ("xoxb-test-not-a-real-one", "chat.postMessage", "invalid_auth"),
        (slack.app_token, "chat.postMessage", "not_allowed_token_type"),
        (slack.bot_token, "apps.connections.open", "not_allowed_token_type"),
    ]
    for token, method, code in cases:
        client = AsyncWebClient(token=token, base_url=slack.base_url)
        error = await slack_error(
            client.api_call(method, json={"channel": DEFAULT_CHANNEL, "text": "x"})
        )
        assert error.response["error"] == code, (token, method)
        assert slack.bot_token not in str(error) and slack.app_token not in str(error)
    assert slack.messages == []


async def test_token_as_form_field_works_and_in_a_json_body_does_not(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        form = {"token": slack.bot_token, "channel": DEFAULT_CHANNEL, "text": "form"}
        async with session.post(slack.base_url + "chat.postMessage", data=form) as response:
            assert (await response.json())["ok"] is True
        body = {"token": slack.bot_token, "channel": DEFAULT_CHANNEL, "text": "json"}
        async with session.post(slack.base_url + "chat.postMessage", json=body) as response:
            assert (response.status, (await response.json())["error"]) == (200, "not_authed")
    assert [m.text for m in slack.messages] == ["form"]
    assert all("token" not in call.params for call in slack.calls)


@pytest.mark.parametrize("code", ["token_revoked", "account_inactive"])
async def test_a_revoked_token_stays_refused(slack: FakeSlack, code: str) -> None:
    slack.revoke(error=code)
    client = client_for(slack)
    for _ in range(2):
        error = await slack_error(client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x"))
        assert error.response["error"] == code
