"""Loopback fakes of the services the bot talks to (Telegram's Bot API, ...)."""
