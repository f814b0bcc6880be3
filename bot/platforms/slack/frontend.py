"""The Slack front end (slack-bolt AsyncApp): thin listeners around the command layer.

Socket Mode (an app-level token, no public URL) or HTTP mode (Events API and interactivity at
/slack/events, every request's signature checked with the signing secret: a forged or stale
one gets 401 and a log line). One place registers the listeners (:func:`register`):

- ``/digestbot <command> [args]``: acked at once (Slack allows 3 s), answered through the
  response_url; commands that change a channel's subscription are answered in the channel,
  everything else only to the user who asked;
- a direct message to the bot, and an @mention in a channel: a command or a question,
  answered in the same conversation (a mention in a thread, in the thread);
- buttons and the "Share summary" shortcut (bot.platforms.slack.actions).

Every command and button press goes through the same per-user limit (CommandThrottle keyed by
workspace and user). Events Slack redelivers (same event_id) are handled once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.chat.commands import PRIVATE, Command, User
from bot.chat.reply import Reply, Run
from bot.chat.throttle import CommandThrottle
from bot.delivery.shared_limits import SharedLimits
from bot.errors import UsageError
from bot.platforms.slack.actions import (
    EXPIRED,
    SHARE_SHORTCUT,
    SHARE_VIEW,
    TARGET_BLOCK,
    alias_in,
    decode_button,
    share_metadata,
    share_target,
    share_view,
    shared_by,
    shared_reply,
)
from bot.platforms.slack.blocks import SlackMessage, render_blocks
from bot.platforms.slack.events import SeenEvents, chat_of, command_from_text, team_of
from bot.platforms.slack.install import Installations, register_uninstall
from bot.platforms.slack.pacing import SlackPacing
from bot.platforms.slack.people import REFUSAL, People
from bot.platforms.slack.send import SlackSender, post_message, split_chat_id

log = logging.getLogger(__name__)

JSON = dict[str, Any]
MAX_RESPONSES = 5  # a response_url takes five posts
NOT_A_SUMMARY = "Run “Share summary” on one of my summaries or digests."


def not_in_channel_text(name: str) -> str:
    where = f"#{name}" if name else "this channel"
    return (
        f"I'm not a member of {where} yet, so I could not post digests there. "
        "Type /invite @digestbot in the channel, then try again."
    )


async def prepare(frontend: SlackFrontend, client: AsyncWebClient, cmd: Command) -> Command | Reply:
    """Per-user limit, channel permissions, membership and the user's time zone: the command to
    run (with what Slack knows filled in) or the reply that refuses it."""
    team, channel = split_chat_id(cmd.chat.id)
    verdict = await frontend.throttle.admit(f"{team}:{cmd.user.id}")
    if not verdict.allowed:
        return Reply.text(frontend.throttle.notice(verdict)) if verdict.notify else Reply(())
    spec = frontend.app.commands.get(cmd.name)
    people = frontend.people
    if spec is not None and spec.changes_group and cmd.chat.kind != PRIVATE:
        if not await people.may_change(client, team, channel, cmd.user.id):
            log.info("refused /%s in %s for %s (not an admin)", cmd.name, cmd.chat.id, cmd.user.id)
            return Reply.text(REFUSAL)
        if cmd.name == "subscribe":
            people.forget_channel(team, channel)  # the bot may have been invited since
            conversation = await people.conversation(client, team, channel)
            if not conversation.is_member:
                return Reply.text(not_in_channel_text(conversation.name))
        cmd = replace(cmd, user=User(cmd.user.id, cmd.user.name, True))
    if cmd.name == "subscribe" and not _names_zone(cmd.args):
        tz = (await people.person(client, team, cmd.user.id)).tz
        if tz:
            cmd = replace(cmd, args=f"{cmd.args} {tz}".strip())
    return cmd


def _names_zone(args: str) -> bool:
    return any("/" in word or word.lower() == "utc" for word in args.split())


async def run_command(frontend: SlackFrontend, client: AsyncWebClient, cmd: Command) -> Reply:
    prepared = await prepare(frontend, client, cmd)
    if isinstance(prepared, Reply):
        return prepared
    return await frontend.app.dispatch(prepared)


class SlackFrontend:
    """Owns the bolt AsyncApp, the digest Sender and the per-user limit for one App (the
    runner owns the scheduler; bot.platforms.slack.serve connects this to Slack)."""

    def __init__(
        self,
        app: App,
        client: AsyncWebClient,
        *,
        signing_secret: str,
        admins: tuple[str, ...] = (),
        pacing: SlackPacing | None = None,
        oauth: AsyncOAuthSettings | None = None,
        installations: Installations | None = None,
    ) -> None:
        self.app = app
        self.client = client
        self.installations = installations  # None: one workspace, the token of ``client``
        self.sender = SlackSender(self.client_for, pacing or SlackPacing())
        self.people = People(admins)
        self.seen = SeenEvents()
        shared = app.store if isinstance(app.store, SharedLimits) else None
        self.throttle = CommandThrottle(shared=shared, platform="slack")  # for all instances
        self.team = ""
        self.bot_user = ""
        self.bolt = AsyncApp(
            client=client,
            signing_secret=signing_secret or "socket-mode-has-no-signing-secret",
            request_verification_enabled=bool(signing_secret),
            ignoring_self_events_enabled=True,
            oauth_settings=oauth,
        )
        register(self.bolt, self)
        if installations is not None:
            register_uninstall(self.bolt, installations)

    async def start(self) -> None:
        """auth.test (which workspace, which bot user: a bad token fails here), then the
        digest Sender joins the outbox. With OAuth a bot token is optional (its workspace is
        kept as one more installation)."""
        if self.installations is None:
            answer = await self.client.auth_test()
            self.team, self.bot_user = str(answer["team_id"]), str(answer["user_id"])
        elif self.client.token:
            self.team = await self.installations.adopt(self.client)
        self.app.add_sender(self.sender)

    async def client_for(self, team: str) -> AsyncWebClient | None:
        """The Web API client of workspace ``team`` (None: the app is not installed there)."""
        if self.installations is None:
            return self.client
        return await self.installations.client_for(team)

    async def post(self, client: AsyncWebClient, team: str, channel: str, reply: Reply,
                   thread_ts: str | None = None) -> list[str]:  # fmt: skip
        """Every message of ``reply`` posted to ``channel`` (paced); their ts."""
        pacing = self.sender.pacing
        return [
            await post_message(client, pacing, team, channel, m, thread_ts)
            for m in render_blocks(reply)
        ]


async def respond_with(respond: Any, reply: Reply, *, in_channel: bool) -> None:
    messages: list[SlackMessage] = render_blocks(reply)[:MAX_RESPONSES]
    kind = "in_channel" if in_channel else "ephemeral"
    for message in messages:
        await respond(text=message.text, blocks=message.blocks, response_type=kind,
                      replace_original=False)  # fmt: skip


def register(bolt: AsyncApp, frontend: SlackFrontend) -> None:
    """Every listener, in one place."""

    async def dedupe(body: JSON, next: Any) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not frontend.seen.first(event_id):
            log.info("event %s delivered again: already handled", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    bolt.use(dedupe)

    @bolt.command("/digestbot")
    async def on_slash(ack: Any, respond: Any, command: JSON, client: AsyncWebClient) -> None:
        await ack()
        team = team_of(command)
        chat = chat_of(team, command["channel_id"], command.get("channel_name", ""))
        user = User(command["user_id"], command.get("user_name", ""))
        text = command.get("text", "")
        cmd = command_from_text(frontend.app.commands, text, chat, user, slash=True)
        assert cmd is not None
        reply = await run_command(frontend, client, cmd)
        spec = frontend.app.commands.get(cmd.name)
        shared = spec is not None and spec.changes_group and chat.kind != PRIVATE
        if reply.blocks:
            await respond_with(respond, reply, in_channel=shared)

    @bolt.event("app_mention")
    async def on_mention(event: JSON, body: JSON, client: AsyncWebClient) -> None:
        await _answer_message(frontend, client, team_of(body), event, mention=True)

    @bolt.event("message")
    async def on_message(event: JSON, body: JSON, client: AsyncWebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, the bot's own messages; channel text needs a mention
        await _answer_message(frontend, client, team_of(body), event, mention=False)

    @bolt.error
    async def on_error(error: Exception, body: JSON) -> None:
        log.error("error while handling a Slack %s", body.get("type", "request"), exc_info=error)

    register_buttons(bolt, frontend)


async def _answer_message(
    frontend: SlackFrontend, client: AsyncWebClient, team: str, event: JSON, *, mention: bool
) -> None:
    channel = str(event.get("channel", ""))
    chat = chat_of(team, channel, "directmessage" if channel.startswith("D") else "")
    user = User(str(event.get("user", "")))
    cmd = command_from_text(frontend.app.commands, str(event.get("text", "")), chat, user)
    if cmd is None:
        return
    reply = await run_command(frontend, client, cmd)
    if reply.blocks:
        thread = event.get("thread_ts") if mention else None
        await frontend.post(client, team, channel, reply, thread)


def register_buttons(bolt: AsyncApp, frontend: SlackFrontend) -> None:
    """Buttons, the Share modal and the "Share summary" message shortcut."""

    @bolt.action(re.compile(r"^cb:"))
    async def on_button(
        ack: Any, body: JSON, action: JSON, respond: Any, client: AsyncWebClient
    ) -> None:
        await ack()
        reply = await press(frontend, client, body, decode_button(str(action.get("value", ""))))
        channel = str(body.get("channel", {}).get("id") or "")
        if reply.blocks:
            await respond_with(respond, reply, in_channel=channel.startswith("D"))

    @bolt.action(re.compile(r"^share:"))
    async def on_share(ack: Any, body: JSON, action: JSON, client: AsyncWebClient) -> None:
        await ack()
        alias = str(action.get("value", "")).removeprefix("post ").strip()
        origin = str(body.get("channel", {}).get("id") or "")
        await client.views_open(trigger_id=body["trigger_id"], view=share_view(alias, origin))

    @bolt.shortcut(SHARE_SHORTCUT)
    async def on_shortcut(ack: Any, shortcut: JSON, client: AsyncWebClient, respond: Any) -> None:
        await ack()
        alias = alias_in(shortcut.get("message") or {})
        if alias is None:
            await respond_with(respond, Reply.text(NOT_A_SUMMARY), in_channel=False)
            return
        origin = str(shortcut.get("channel", {}).get("id") or "")
        await client.views_open(trigger_id=shortcut["trigger_id"], view=share_view(alias, origin))

    @bolt.view(SHARE_VIEW)
    async def on_share_submit(ack: Any, body: JSON, view: JSON, client: AsyncWebClient) -> None:
        await share_submitted(frontend, client, ack, body, view)


async def press(
    frontend: SlackFrontend, client: AsyncWebClient, body: JSON, run: Run | None
) -> Reply:
    """A button press runs its command through the same path as a typed one (the per-user
    limit, the channel's permissions); a button no command answers has expired."""
    team = team_of(body)
    channel = body.get("channel") or {}
    chat = chat_of(team, str(channel.get("id") or ""), str(channel.get("name") or ""))
    who = body.get("user") or {}
    user = User(str(who.get("id", "")), str(who.get("username") or who.get("name") or ""))
    cmd = frontend.app.commands.press(run, chat, user) if run is not None else None
    if cmd is None:
        return Reply.text(EXPIRED)
    return await run_command(frontend, client, cmd)


async def share_submitted(
    frontend: SlackFrontend, client: AsyncWebClient, ack: Any, body: JSON, view: JSON
) -> None:
    """Post the summary into the picked conversation, or keep the modal open with why not."""
    team, user = team_of(body), str(body.get("user", {}).get("id", ""))
    target = share_target(view)
    alias, _ = share_metadata(view)
    verdict = await frontend.throttle.admit(f"{team}:{user}")
    problem = frontend.throttle.notice(verdict) if not verdict.allowed else None
    if problem is None:
        try:
            problem = await _share(frontend, client, team, target, alias, user)
        except UsageError as exc:
            problem = str(exc)
    if problem:
        await ack(response_action="errors", errors={TARGET_BLOCK: problem[:150]})
    else:
        await ack()


async def _share(
    frontend: SlackFrontend, client: AsyncWebClient, team: str, target: str, alias: str, user: str
) -> str | None:
    reply = shared_reply(frontend.app, alias)
    messages = render_blocks(reply)
    messages[-1].blocks.append(shared_by(user))
    try:
        for message in messages:
            await post_message(client, frontend.sender.pacing, team, target, message)
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "")
        if code == "not_in_channel":
            return "I'm not in that channel: type /invite @digestbot there first."
        log.warning("sharing %s into %s failed: %s", alias, target, code)
        return f"Slack did not take the message ({code}); try another channel."
    log.info("%s shared %s into %s", user, alias, target)
    return None
