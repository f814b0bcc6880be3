"""The chat commands, declared in read.py and settings.py; :func:`build_commands` collects them."""

from bot.chat.commands import CommandSet
from bot.chat.handlers import read, settings


def build_commands() -> CommandSet:
    """The one CommandSet of a running bot: every command, in the order /help lists them."""
    return CommandSet((*read.SPECS, *settings.SPECS))
