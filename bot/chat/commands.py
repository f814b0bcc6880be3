"""The command layer: Command -> Reply, shared by every front end. No platform types here.

A front end turns a platform event (a typed line, a button press) into a :class:`Command`,
calls :meth:`CommandSet.dispatch` and renders the :class:`~bot.chat.reply.Reply`. The one
:class:`CommandSet` is built at start from the handler modules' ``SPECS``
(:func:`bot.chat.handlers.build_commands`); /help and the Telegram command menu come from it.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from bot.chat.context import Context
from bot.chat.reply import Reply, Run
from bot.domain.inputs import shown
from bot.errors import OUT_OF_SPACE, OutOfSpace, UsageError

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
    """One thing a user asked for. ``pressed``: it came from a button, not a typed line."""

    name: str
    args: str
    chat: Chat
    user: User
    pressed: bool = False


Handler = Callable[[Context, Command], Reply | Awaitable[Reply]]


class BadUsage(UsageError):
    """Raised by a handler for wrong arguments: the user gets the command's usage line,
    followed by the hint given (``BadUsage("(N from 1 to 20).")``)."""


@dataclass(frozen=True)
class Spec:
    """One command: its name, usage line, one-line help and handler.

    ``button_only``: answers button presses only (not listed, not typed), e.g. "more comments".
    """

    name: str
    usage: str
    summary: str
    handler: Handler
    changes_group: bool = False
    admin_only: bool = False
    aliases: tuple[str, ...] = field(default=())
    button_only: bool = False

    @property
    def usage_line(self) -> str:
        return f"Usage: {self.usage}"


class CommandSet:
    """Every command, by name and alias; built once at start and handed to every front end."""

    def __init__(self, specs: Iterable[Spec]) -> None:
        self._specs = tuple(specs)
        self._by_name: dict[str, Spec] = {}
        for spec in self._specs:
            for key in (spec.name, *spec.aliases):
                if key in self._by_name:
                    raise ValueError(f"command /{key} is declared twice")
                self._by_name[key] = spec

    def __iter__(self) -> Iterator[Spec]:
        """The commands a user can type, once each, in declaration order."""
        return (spec for spec in self._specs if not spec.button_only)

    def __contains__(self, name: object) -> bool:
        spec = self._by_name.get(str(name))
        return spec is not None and not spec.button_only

    def names(self) -> list[str]:
        """Every name and alias a user can type."""
        return [key for key, spec in self._by_name.items() if not spec.button_only]

    def get(self, name: str) -> Spec | None:
        return self._by_name.get(name)

    def press(self, action: Run, chat: Chat, user: User) -> Command | None:
        """A pressed button's :class:`~bot.chat.reply.Run` -> the Command it runs; None when
        no command of this set answers it (an old or forged button)."""
        if action.command not in self._by_name:
            return None
        return Command(action.command, " ".join(action.args), chat, user, pressed=True)

    async def dispatch(self, ctx: Context, cmd: Command) -> Reply:
        """Run a command. User errors come back as their one-line message; bugs as an apology.

        A reply with no blocks means there is nothing more to say (e.g. /digest already sent
        the digest through the outbox).
        """
        spec = self._by_name.get(cmd.name)
        if spec is None or (spec.button_only and not cmd.pressed):
            return Reply.text(f"Unknown command /{shown(cmd.name)}. Send /help for the list.")
        refusal = _refusal(ctx, spec, cmd)
        if refusal:
            return Reply.text(refusal)
        try:
            reply = spec.handler(ctx, cmd)
            return await reply if inspect.isawaitable(reply) else reply
        except BadUsage as exc:  # the usage line, then what was wrong when the handler says
            return Reply.text(f"{spec.usage_line} {exc}".rstrip())
        except UsageError as exc:
            return Reply.text(str(exc))
        except OutOfSpace as exc:
            log.error(
                "command /%s in %s chat %s: %s", cmd.name, cmd.chat.platform, cmd.chat.id, exc
            )
            return Reply.text(OUT_OF_SPACE)
        except Exception:
            log.exception(
                "command /%s failed in %s chat %s", cmd.name, cmd.chat.platform, cmd.chat.id
            )
            return Reply.text("Sorry, something went wrong on our side. Please try again later.")

    def help_reply(self) -> Reply:
        lines = [f"{spec.usage} — {spec.summary}" for spec in self]
        return Reply.text(
            "digestbot: daily digests and answers from the blog and its comment threads.",
            "\n".join(lines),
            "In a private chat, any plain message is a question too.",
        )


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


def _refusal(ctx: Context, spec: Spec, cmd: Command) -> str | None:
    if spec.admin_only and not ctx.is_bot_admin(cmd.chat.platform, cmd.user.id):
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
