"""Configuration: read once, at start, from TOML into frozen dataclasses.

``load_config(None)`` gives the embedded default (console front end, ./data, ./seeds), so the bot
runs with no file and no token. Secrets are never in the file: the file names the environment
variable that holds them, and ``Config.telegram_token()`` reads it when asked, never at import.
Relative paths in a file are taken relative to that file's folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot import redact
from bot.config_toml import (
    ConfigError,
    choice,
    dataclass_from,
    folder_path,
    list_of,
    public_url,
    reject_unknown,
    section,
)
from bot.domain import inputs
from bot.platforms.telegram.tokens import token_problem

SUMMARY_METHODS = ("lexrank", "textrank", "luhn", "lsa", "sumbasic", "kl")


@dataclass(frozen=True)
class SummaryConfig:
    sentences: int = 3
    comments: int = 3
    method: str = "lexrank"


@dataclass(frozen=True)
class DigestDefaults:
    """Defaults for /subscribe when the user gives no time, zone or frequency."""

    time: str = "08:00"
    timezone: str = "Europe/London"
    frequency: str = "daily"
    weekday: str = "mon"
    posts: int = 3


@dataclass(frozen=True)
class TelegramConfig:
    token_env: str = "DIGESTBOT_TELEGRAM_TOKEN"
    base_url: str = ""
    mode: str = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_url: str = ""
    webhook_secret_env: str = "DIGESTBOT_WEBHOOK_SECRET"
    admins: tuple[int, ...] = ()
    max_in_flight: int = 8


STORE_BACKENDS = ("tinydb", "postgresql")


@dataclass(frozen=True)
class StoreConfig:
    """Where subscribers and deliveries are kept: TinyDB in the data folder (one instance), or
    PostgreSQL (several instances), its URL in the environment variable ``url_env``."""

    backend: str = "tinydb"
    url_env: str = "DIGESTBOT_DATABASE_URL"
    lease_seconds: int = 300  # how long an instance holds a claimed digest (renewed per message)


@dataclass(frozen=True)
class SlackConfig:
    """``[slack]``: secrets come from the environment variables named here (docs/slack.md)."""

    mode: str = "socket"  # "socket" (app-level token) | "http" (Events API, signed requests)
    bot_token_env: str = "DIGESTBOT_SLACK_BOT_TOKEN"
    app_token_env: str = "DIGESTBOT_SLACK_APP_TOKEN"
    signing_secret_env: str = "DIGESTBOT_SLACK_SIGNING_SECRET"
    http_listen: str = "127.0.0.1"
    http_port: int = 3000
    admins: tuple[str, ...] = ()  # Slack user ids (U...) who may change any channel's digest
    base_url: str = ""  # another Web API base, e.g. http://127.0.0.1:PORT/api/ (tests)
    workspace_per_second: float = 10.0  # chat.postMessage pace per workspace
    # OAuth (many workspaces, HTTP mode): on when both variables are set
    client_id_env: str = "DIGESTBOT_SLACK_CLIENT_ID"
    client_secret_env: str = "DIGESTBOT_SLACK_CLIENT_SECRET"
    install_path: str = "/slack/install"
    redirect_path: str = "/slack/oauth_redirect"
    oauth_base: str = ""  # another base for https://slack.com/oauth/... (tests)


@dataclass(frozen=True)
class SlackSecrets:
    """The Slack tokens and signing secret, read from the environment (never from a file);
    the OAuth client id and secret when the app installs itself into many workspaces."""

    bot_token: str
    app_token: str = ""
    signing_secret: str = ""
    client_id: str = ""
    client_secret: str = ""

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def __repr__(self) -> str:
        return "SlackSecrets(...)"


@dataclass(frozen=True)
class FeedConfig:
    """One ``[[corpus.feeds]]``: a blog's feed URL, a name, an optional comments feed URL."""

    url: str
    name: str = ""
    comments_url: str = ""
    interval: int = 30  # minutes between fetches

    @property
    def label(self) -> str:
        return self.name or (urlsplit(self.url).hostname or self.url)


@dataclass(frozen=True)
class Config:
    corpus_dir: Path = Path("seeds")
    feeds: tuple[FeedConfig, ...] = ()
    use_folder: bool = True  # False when the file lists feeds and names no corpus folder
    data_dir: Path = Path("data")
    frontends: tuple[str, ...] = ("auto",)  # bot.runner.FRONTENDS names, or auto
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    digest: DigestDefaults = field(default_factory=DigestDefaults)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    console_admins: tuple[str, ...] = ("console",)
    source: str = "<embedded default>"

    def bot_admins(self, platform: str) -> frozenset[str]:
        """The user ids that may run admin-only commands on ``platform`` (each platform's
        section lists its own: ``[telegram] admins``, ``[slack] admins``, ``[console] admins``)."""
        ids = {
            "console": self.console_admins,
            "telegram": self.telegram.admins,
            "slack": self.slack.admins,
        }.get(platform, ())
        return frozenset(str(uid) for uid in ids)

    def telegram_token(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The bot token from the environment variable named in the config, or None when it is
        unset or empty. Registered for redaction as soon as it is read; ConfigError (never
        showing it) when it is malformed (spaces, a line break, quotes, not ``ID:SECRET``)."""
        env = os.environ if environ is None else environ
        value = env.get(self.telegram.token_env) or None
        if value is None:
            return None
        redact.add_secret(value)
        problem = token_problem(self.telegram.token_env, value)
        if problem:
            raise ConfigError(problem)
        return value

    def slack_secrets(self, environ: Mapping[str, str] | None = None) -> SlackSecrets | None:
        """The Slack secrets from the variables named in ``[slack]`` (None when neither the bot
        token nor the OAuth client is set), registered for redaction when read. ConfigError
        (never showing them) when one is malformed or missing; OAuth needs HTTP mode."""
        env = os.environ if environ is None else environ
        sc = self.slack
        names = (sc.bot_token_env, sc.app_token_env, sc.signing_secret_env, sc.client_id_env)
        token, app_token, secret, client_id, client_secret = (
            (env.get(name) or "").strip() for name in (*names, sc.client_secret_env)
        )
        for value in (token, app_token, secret, client_secret):
            redact.add_secret(value)
        if bool(client_id) != bool(client_secret):
            raise ConfigError(
                f"Slack OAuth needs both ${sc.client_id_env} and ${sc.client_secret_env} "
                "(Basic Information -> App Credentials); set both, or neither for one workspace"
            )
        if not token and not client_id:
            return None
        if token and not token.startswith("xoxb-"):
            raise ConfigError(f"${sc.bot_token_env} is not a Slack bot token (xoxb-...)")
        if client_id and sc.mode != "http":
            raise ConfigError(
                f"{self.source}: Slack OAuth (${sc.client_id_env}, ${sc.client_secret_env}) needs "
                "[slack] mode = 'http': Slack sends installers to [slack] redirect_path"
            )
        if sc.mode == "socket" and not app_token.startswith("xapp-"):
            raise ConfigError(
                f"Slack Socket Mode needs an app-level token (xapp-...) in ${sc.app_token_env}"
            )
        if sc.mode == "http" and not secret:
            raise ConfigError(
                f"Slack HTTP mode needs the signing secret in ${sc.signing_secret_env}"
            )
        return SlackSecrets(token, app_token, secret, client_id, client_secret)

    def database_url(self, environ: Mapping[str, str] | None = None) -> str:
        """The PostgreSQL URL from the variable named by ``[store] url_env`` (its password is
        registered for redaction by the store before use); ConfigError when it is unset."""
        env = os.environ if environ is None else environ
        value = (env.get(self.store.url_env) or "").strip()
        if not value:
            raise ConfigError(
                f"{self.source}: [store] backend = 'postgresql' needs the database URL in the "
                f"environment variable {self.store.url_env} "
                "(e.g. postgresql://digestbot:PASSWORD@localhost/digestbot)"
            )
        return value


def load_config(path: str | Path | None = None) -> Config:
    """Read a TOML file into a Config; None gives the embedded default. Raises ConfigError."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM (Notepad) is fine
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _from_toml(raw, path)


def _from_toml(raw: dict[str, Any], path: Path) -> Config:
    where = str(path)
    known = {"corpus", "data", "bot", "summary", "digest", "telegram", "slack", "console", "store"}
    reject_unknown(raw, known, where, "")
    base = path.parent
    corpus = section(raw, "corpus", where, {"folder", "feeds"})
    data = section(raw, "data", where, {"folder"})
    botsec = section(raw, "bot", where, {"frontend", "frontends"})
    console = section(raw, "console", where, {"admins"})
    config = Config(
        corpus_dir=folder_path(base, corpus.get("folder", "seeds"), where, "corpus.folder"),
        feeds=_feeds(corpus.get("feeds", []), where),
        use_folder="folder" in corpus or not corpus.get("feeds"),
        data_dir=folder_path(base, data.get("folder", "data"), where, "data.folder"),
        frontends=_frontends(botsec, where),
        summary=dataclass_from(
            SummaryConfig, section(raw, "summary", where, None), where, "summary"
        ),
        digest=dataclass_from(DigestDefaults, section(raw, "digest", where, None), where, "digest"),
        telegram=dataclass_from(
            TelegramConfig, section(raw, "telegram", where, None), where, "telegram"
        ),
        slack=dataclass_from(SlackConfig, section(raw, "slack", where, None), where, "slack"),
        store=dataclass_from(StoreConfig, section(raw, "store", where, None), where, "store"),
        console_admins=tuple(
            list_of(console.get("admins", ["console"]), str, where, "console.admins")
        ),
        source=where,
    )
    _validate(config, where)
    return replace(config, digest=_digest_defaults(config.digest, where))


FEED_KEYS = {"url", "name", "comments_url", "interval"}


def _feeds(value: Any, where: str) -> tuple[FeedConfig, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: 'corpus.feeds' must be tables ([[corpus.feeds]] url = ...)")
    feeds = tuple(_feed(table, where, f"corpus.feeds[{n}]") for n, table in enumerate(value, 1))
    labels = [feed.label for feed in feeds]
    for label in labels:
        if labels.count(label) > 1:
            raise ConfigError(f"{where}: two corpus.feeds are named {label!r}; give each a name")
    return feeds


def _feed(table: dict[str, Any], where: str, key: str) -> FeedConfig:
    reject_unknown(table, FEED_KEYS, where, f"{key}.")
    if "url" not in table:
        raise ConfigError(f"{where}: '{key}.url' is missing (the blog's feed URL)")
    for name in ("url", "name", "comments_url"):
        if not isinstance(table.get(name, ""), str):
            raise ConfigError(f"{where}: '{key}.{name}' must be a string")
    for name in ("url", "comments_url"):
        url = table.get(name, "")
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ConfigError(
                f"{where}: '{key}.{name}' is {public_url(url)!r}; expected an http(s) URL"
            )
    interval = table.get("interval", 30)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 5 <= interval <= 10080:
        raise ConfigError(
            f"{where}: '{key}.interval' is {interval!r}; expected minutes from 5 to 10080"
        )
    return FeedConfig(**table)


def _frontends(botsec: dict[str, Any], where: str) -> tuple[str, ...]:
    """``frontends = ["telegram", "slack"]``, or the older ``frontend = "telegram"``; the names
    are checked against the platforms by ``bot.runner.choose_frontends``."""
    if "frontend" in botsec and "frontends" in botsec:
        raise ConfigError(f"{where}: set 'bot.frontends' only ('bot.frontend' is its old name)")
    if "frontend" in botsec:
        if not isinstance(botsec["frontend"], str):
            raise ConfigError(f"{where}: 'bot.frontend' must be a string (or use 'bot.frontends')")
        return (botsec["frontend"],)
    names = list_of(botsec.get("frontends", ["auto"]), str, where, "bot.frontends")
    if not names:
        raise ConfigError(f"{where}: 'bot.frontends' is empty; use [\"auto\"] or name one")
    return tuple(names)


def _digest_defaults(d: DigestDefaults, where: str) -> DigestDefaults:
    """The [digest] time, zone and weekday by the chat commands' rules, in their stored form."""
    time, zone = inputs.parse_time(d.time), inputs.zone_name(d.timezone)
    if time is None:
        raise ConfigError(
            f"{where}: 'digest.time' is {d.time!r}; "
            "expected HH:MM from 00:00 to 23:59, e.g. '08:00'"
        )
    if zone is None:
        raise ConfigError(
            f"{where}: 'digest.timezone' is {d.timezone!r}; expected an IANA zone name like "
            f"{inputs.ZONE_EXAMPLES}"
        )
    day = inputs.parse_weekday(d.weekday)
    if day is None:
        raise ConfigError(
            f"{where}: 'digest.weekday' is {d.weekday!r}; expected one of "
            f"{', '.join(inputs.WEEKDAYS)} (or the full name)"
        )
    return replace(d, time=time, timezone=zone, weekday=day)


def _validate(config: Config, where: str) -> None:
    s, d, t = config.summary, config.digest, config.telegram
    choice(s.method, SUMMARY_METHODS, where, "summary.method")
    for key, value, low, high in (
        ("summary.sentences", s.sentences, 1, 50),
        ("summary.comments", s.comments, 0, 50),
        ("digest.posts", d.posts, 1, 20),
        ("telegram.webhook_port", t.webhook_port, 1, 65535),
        ("telegram.max_in_flight", t.max_in_flight, 1, 30),
        ("store.lease_seconds", config.store.lease_seconds, 5, 86400),
    ):
        if not low <= value <= high:
            raise ConfigError(f"{where}: '{key}' is {value}; expected {low} to {high}")
    choice(d.frequency, inputs.FREQUENCIES, where, "digest.frequency")
    choice(t.mode, ("polling", "webhook"), where, "telegram.mode")
    _validate_slack(config.slack, where)
    choice(config.store.backend, STORE_BACKENDS, where, "store.backend")
    if not config.store.url_env.strip():
        raise ConfigError(f"{where}: 'store.url_env' must name an environment variable")
    if t.mode == "webhook" and not t.webhook_url:
        raise ConfigError(
            f"{where}: 'telegram.webhook_url' is required when telegram.mode = 'webhook'"
        )


def _validate_slack(sc: SlackConfig, where: str) -> None:
    choice(sc.mode, ("socket", "http"), where, "slack.mode")
    if not 1 <= sc.http_port <= 65535:
        raise ConfigError(f"{where}: 'slack.http_port' is {sc.http_port}; expected 1 to 65535")
    if not 0.1 <= sc.workspace_per_second <= 100:
        raise ConfigError(
            f"{where}: 'slack.workspace_per_second' is {sc.workspace_per_second}; "
            "expected 0.1 to 100"
        )
    for key in ("base_url", "oauth_base"):
        value = getattr(sc, key)
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: 'slack.{key}' must start with http:// or https://")
    for key in ("install_path", "redirect_path"):
        if not (value := getattr(sc, key)).startswith("/") or value == "/slack/events":
            raise ConfigError(f"{where}: 'slack.{key}' is {value!r}; expected a path like /slack/x")
    if sc.install_path == sc.redirect_path:
        raise ConfigError(f"{where}: 'slack.install_path' and 'slack.redirect_path' must differ")
