"""Sending to Slack: Reply -> chat.postMessage calls, and the digest Sender for the outbox.

A chat id is ``TEAM:CHANNEL`` (the workspace and the channel, DM or conversation id), so one bot
serves several workspaces. A digest that fits one message (50 blocks, ~40,000 characters) is
one message; a bigger one is a header message plus one thread reply per post.

Slack's answers map to outbox outcomes:
- ``ratelimited`` (429): the channel and workspace pacers are held for Retry-After and the
  message is tried again then (up to :data:`RATE_LIMIT_RETRIES` times); after that the delivery
  stays pending (``Failed(retryable=True)``) and the messages already sent are recorded.
- ``channel_not_found``, ``is_archived``, ``not_in_channel``, ``account_inactive``,
  ``token_revoked``, ``invalid_auth``, ...: Blocked (the subscription is paused).
- ``msg_too_long``, ``invalid_blocks``: Failed, not retried (Unknown when part of the digest
  already went out).
- a timeout after the request went out: Unknown (never resent blindly).
- the network down, Slack's 5xx: Failed(retryable=True).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.reply import Heading, Paragraph, Reply, italic
from bot.chat.views import digest_item_reply, digest_reply
from bot.delivery.sender import NO_PROGRESS, Blocked, Failed, Outcome, Progress, Sent, Unknown
from bot.domain.digest import Digest
from bot.platforms.slack.blocks import SlackMessage, render_blocks
from bot.platforms.slack.pacing import SlackPacing

log = logging.getLogger(__name__)

PLATFORM = "slack"
RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 60.0  # longer waits leave the delivery pending for the next run
GONE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
        "not_authed",
        "user_not_found",
        "user_disabled",
        "team_access_not_granted",
        "missing_scope",
        "restricted_action",
        "cannot_dm_bot",
    }
)
BAD_MESSAGE = frozenset({"msg_too_long", "invalid_blocks", "no_text", "invalid_arguments"})
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


def chat_id(team: str, channel: str) -> str:
    return f"{team}:{channel}"


def split_chat_id(value: str) -> tuple[str, str]:
    """``TEAM:CHANNEL`` -> (team, channel); ValueError for anything else."""
    team, sep, channel = value.partition(":")
    if not sep or not team or not channel:
        raise ValueError(f"not a Slack chat id (TEAM:CHANNEL): {value!r}")
    return team, channel


def error_code(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "")


def retry_after(exc: SlackApiError) -> float:
    try:
        return float(exc.response.headers.get("Retry-After", 1))
    except (TypeError, ValueError):
        return 1.0


def digest_messages(digest: Digest) -> tuple[list[SlackMessage], bool]:
    """The digest's messages and whether all but the first go into the first one's thread."""
    whole = render_blocks(digest_reply(digest))
    if len(whole) <= 1:
        return whole, False
    count = len(digest.items)
    header = Reply(
        (Heading(digest.title), Paragraph((italic(f"{count} posts: one per reply in the thread"),)))
    )
    messages = render_blocks(header)
    for item in digest.items:
        messages.extend(render_blocks(digest_item_reply(item)))
    return messages, True


async def post_message(
    client: AsyncWebClient,
    pacing: SlackPacing,
    team: str,
    channel: str,
    message: SlackMessage,
    thread_ts: str | None = None,
) -> str:
    """One paced chat.postMessage (429s waited out, up to :data:`RATE_LIMIT_RETRIES`); its ts."""
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        await pacing.turn(team, channel)
        try:
            answer = await client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
            return str(answer["ts"])
        except SlackApiError as exc:
            wait = retry_after(exc)
            last = attempt == RATE_LIMIT_RETRIES
            if error_code(exc) != "ratelimited" or last or wait > MAX_RETRY_AFTER:
                raise
            pacing.rate_limited(team, channel, wait)
            log.info("Slack rate limit in %s/%s: waiting %g s", team, channel, wait)
    raise AssertionError("unreachable")


@dataclass
class SlackSender:
    """The outbox's Sender for Slack chats (``TEAM:CHANNEL``)."""

    client_for: ClientFor = field(repr=False)
    pacing: SlackPacing = field(default_factory=SlackPacing)
    platform: str = PLATFORM
    max_in_flight: int = 50

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        try:
            team, channel = split_chat_id(chat_id)
        except ValueError as exc:
            return Failed(retryable=False, reason=str(exc))
        client = await self.client_for(team)
        if client is None:
            return Blocked(f"the app is no longer installed in workspace {team}")
        messages, threaded = digest_messages(digest)
        ids = list(progress.done)
        for number, message in enumerate(messages[len(ids) :], start=len(ids)):
            thread = ids[0] if threaded and ids else None
            try:
                ts = await post_message(client, self.pacing, team, channel, message, thread)
            except TimeoutError:
                return Unknown(f"timed out after sending message {number + 1} of {len(messages)}")
            except SlackApiError as exc:
                return _failure(error_code(exc), number, len(messages))
            except aiohttp.ClientError as exc:  # refused or reset before an answer came
                return Failed(retryable=True, reason=f"network: {type(exc).__name__}")
            ids.append(ts)
            await progress.record(tuple(ids))
        return Sent(tuple(ids))


def _failure(code: str, number: int, total: int) -> Outcome:
    if code in GONE:
        return Blocked(f"Slack: {code}")
    retryable = code == "ratelimited" or code in TRANSIENT
    if retryable:  # the messages sent so far are recorded; a retry sends the rest
        return Failed(retryable=True, reason=f"Slack: {code}")
    if number > 0:
        return Unknown(f"{number} of {total} messages sent, then Slack: {code}")
    return Failed(retryable=False, reason=f"Slack: {code or 'error'}")
