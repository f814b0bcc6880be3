"""Reaching the database: the URL's password kept secret, failures said in one line.

The URL comes from the environment variable named by ``[store] url_env``. Its password is
registered with :mod:`bot.redact` before anything else is done with it, and every message this
module makes names the database as ``user@host:port/dbname`` (never the password or the raw URL,
which psycopg would quote back in some of its own errors).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import conninfo

from bot import redact
from bot.errors import StoreError

_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)@")


class DatabaseUnreachable(StoreError):
    """The server could not be reached or refused the login."""


def _mask_urls(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1[redacted]@", text)


@dataclass(frozen=True)
class Target:
    """A parsed URL: what to connect with, and how to name it in messages."""

    url: str
    shown: str


def parse_url(url: str, env_name: str) -> Target:
    """Check the URL (registering its password as a secret first); StoreError naming the
    variable, never its value, when it is not a PostgreSQL URL."""
    url = url.strip()
    _register_password(url)
    where = f"the database URL in {env_name}"
    if not url.startswith(("postgresql://", "postgres://")):
        raise StoreError(f"{where} must start with postgresql:// (e.g. postgresql://user@host/db)")
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise StoreError(f"{where} is not a valid PostgreSQL URL") from None
    if params.get("password"):
        redact.add_secret(str(params["password"]))
    return Target(url, _shown(params))


def _register_password(url: str) -> None:
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        redact.add_secret(password)
        redact.add_secret(unquote(password))
    match = _URL_PASSWORD.search(url)
    if match and match.group(2):
        redact.add_secret(match.group(2))


def _shown(params: Mapping[str, object]) -> str:
    user = str(params.get("user") or "")
    host = str(params.get("host") or "localhost")
    port = str(params.get("port") or 5432)
    db = str(params.get("dbname") or user)
    return f"{user + '@' if user else ''}{host}:{port}/{db}"


def unreachable(target: Target, exc: BaseException) -> DatabaseUnreachable:
    """One line: which database, and what the server or the network said."""
    reason = _mask_urls(redact.redact(str(exc))).strip().splitlines()
    said = _reason(reason[0] if reason else type(exc).__name__)
    return DatabaseUnreachable(
        f"database {target.shown} is unreachable: {said}; check that PostgreSQL is running "
        "and the URL is right"
    )


def _reason(line: str) -> str:
    line = re.sub(r'^connection (?:failed|is bad): (?:connection to server at "[^"]*"[^:]*: )?',
                  "", line)  # fmt: skip
    return line.rstrip(".") or "no answer"
