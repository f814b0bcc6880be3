"""The command layer: Command -> Reply, shared by every front end. No platform types here.

A front end turns a platform event into a :class:`Command` (who, where, which command, the rest of
the line), calls :func:`dispatch`, and renders the :class:`~bot.chat.reply.Reply`. Every command is
declared once in :data:`REGISTRY`; /help and the Telegram command menu are generated from it.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.chat.reply import Reply
from bot.domain.inputs import shown
from bot.errors import OUT_OF_SPACE, OutOfSpace, UsageError

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PRIVATE, GROUP, CHANNEL = "private", "group", "channel"
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.S)


@dataclass(frozen=True)
class Chat:
    """Where a command came from. ``kind``: private, group (incl. supergroup) or channel."""

    platform: str
    id: str
    kind: str = PRIVATE
    title: str = ""

    @property
    def is_group(self) -> bool:
        return self.kind in (GROUP, CHANNEL)


@dataclass(frozen=True)
class User:
    """Who sent it. ``is_chat_admin``: an admin of this group (the front end finds out)."""

    id: str
    name: str = ""
    is_chat_admin: bool = False


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    chat: Chat
    user: User


Handler = Callable[["App", Command], Reply | Awaitable[Reply]]


@dataclass(frozen=True)
class Spec:
    """One command: its name, usage line, one-line help and handler."""

    name: str
    usage: str
    summary: str
    handler: Handler
    changes_group: bool = False
    admin_only: bool = False
    aliases: tuple[str, ...] = field(default=())

    @property
    def usage_line(self) -> str:
        return f"Usage: {self.usage}"


REGISTRY: dict[str, Spec] = {}


def command(
    name: str,
    usage: str,
    summary: str,
    *,
    changes_group: bool = False,
    admin_only: bool = False,
    aliases: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    """Declare a command; the decorated function answers it."""

    def register(handler: Handler) -> Handler:
        spec = Spec(name, usage, summary, handler, changes_group, admin_only, aliases)
        for key in (name, *aliases):
            REGISTRY[key] = spec
        return handler

    return register


def commands() -> list[Spec]:
    """Every command once, in declaration order."""
    seen: dict[str, Spec] = {}
    for spec in REGISTRY.values():
        seen.setdefault(spec.name, spec)
    return list(seen.values())


def parse(text: str, chat: Chat, user: User, *, bot_username: str = "") -> Command | None:
    """A chat line -> Command; None for a command addressed to another bot.

    ``/cmd``, ``/cmd@thisbot args`` are commands. In a private chat any other text is a question
    (``/ask text``); in groups plain text is ignored (None).
    """
    stripped = text.strip()
    match = _COMMAND_RE.match(stripped)
    if match:
        name, addressee, rest = match.group(1).lower(), match.group(2), match.group(3) or ""
        if addressee and bot_username and addressee.lower() != bot_username.lower():
            return None
        return Command(name, rest.strip(), chat, user)
    if stripped.startswith("/"):
        return Command(stripped[1:].split()[0].lower() if stripped[1:] else "", "", chat, user)
    if chat.kind == PRIVATE and stripped:
        return Command("ask", stripped, chat, user)
    return None


async def dispatch(app: App, cmd: Command) -> Reply:
    """Run a command. User errors come back as their one-line message; bugs as an apology.

    A reply with no blocks means there is nothing more to say (e.g. /digest already sent the
    digest through the outbox).
    """
    spec = REGISTRY.get(cmd.name)
    if spec is None:
        return Reply.text(f"Unknown command /{shown(cmd.name)}. Send /help for the list.")
    refusal = _refusal(app, spec, cmd)
    if refusal:
        return Reply.text(refusal)
    try:
        reply = spec.handler(app, cmd)
        return await reply if inspect.isawaitable(reply) else reply
    except UsageError as exc:
        return Reply.text(str(exc))
    except OutOfSpace as exc:
        log.error("command /%s in %s chat %s: %s", cmd.name, cmd.chat.platform, cmd.chat.id, exc)
        return Reply.text(OUT_OF_SPACE)
    except Exception:
        log.exception("command /%s failed in %s chat %s", cmd.name, cmd.chat.platform, cmd.chat.id)
        return Reply.text("Sorry, something went wrong on our side. Please try again later.")


def _refusal(app: App, spec: Spec, cmd: Command) -> str | None:
    if spec.admin_only and not app.is_bot_admin(cmd.chat.platform, cmd.user.id):
        log.warning(
            "refused /%s for %s user %s (not a bot admin)",
            spec.name,
            cmd.chat.platform,
            cmd.user.id,
        )
        return "Sorry, /" + spec.name + " is for the bot's administrators."
    if spec.changes_group and cmd.chat.is_group and not cmd.user.is_chat_admin:
        log.info("refused /%s in group %s for non-admin %s", spec.name, cmd.chat.id, cmd.user.id)
        return "Only this group's admins can change its subscription."
    return None


def help_reply() -> Reply:
    lines = [f"{spec.usage} — {spec.summary}" for spec in commands()]
    return Reply.text(
        "digestbot: daily digests and answers from the blog and its comment threads.",
        "\n".join(lines),
        "In a private chat, any plain message is a question too.",
    )


def usage(name: str) -> UsageError:
    """The one-line usage error of a command."""
    return UsageError(REGISTRY[name].usage_line)
