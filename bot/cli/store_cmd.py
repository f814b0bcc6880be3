"""`digestbot store`: bring the store's schema up to date, or copy it to the other backend."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import STORE_BACKENDS, Config
from bot.errors import UsageError
from bot.store.base import Store
from bot.store.copy import copy_store
from bot.store.open import open_store


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "store",
        help="migrate the store's schema, or copy every record to the other backend",
        description="migrate: apply missing schema migrations (the bot does so at start too). "
        "copy: every subscriber, delivery, history record and run from one store into an "
        "empty other one, checked by counts (e.g. --from tinydb --to postgresql).",
        epilog="example: digestbot --config config.toml store copy --from tinydb --to postgresql",
    )
    p.add_argument("action", choices=("migrate", "copy"), metavar="migrate|copy",
                   help="what to do")  # fmt: skip
    p.add_argument("--from", dest="source", choices=STORE_BACKENDS,
                   help="copy: the store to read (tinydb = the data folder)")  # fmt: skip
    p.add_argument("--to", dest="target", choices=STORE_BACKENDS,
                   help="copy: the empty store to fill; migrate: which store (default: "
                   "[store] backend)")  # fmt: skip
    p.set_defaults(handler=cmd_store)


def cmd_store(config: Config, args: argparse.Namespace) -> int:
    if args.action == "migrate":
        print(migrate(config, args.target or config.store.backend))
        return 0
    if not args.source or not args.target:
        raise UsageError("store copy needs --from and --to, e.g. --from tinydb --to postgresql")
    if args.source == args.target:
        raise UsageError(f"--from and --to both name {args.source}; copy to the other backend")
    print(asyncio.run(_copy(config, args.source, args.target)))
    return 0


def migrate(config: Config, backend: str) -> str:
    if backend == "postgresql":
        from bot.store.postgres.connect import parse_url
        from bot.store.postgres.pool import prepare_now

        target = parse_url(config.database_url(), config.store.url_env)
        version, applied = prepare_now(target)
        done = ", ".join(f"{m.version} ({m.name})" for m in applied)
        return f"database {target.shown}: schema version {version}" + (
            f"; applied {done}" if applied else "; up to date"
        )
    from bot.store.tinydb.schema import SCHEMA_VERSION

    store = open_store(config, backend="tinydb")
    asyncio.run(store.close())
    return f"{config.data_dir}: TinyDB store at schema version {SCHEMA_VERSION}; up to date"


async def _copy(config: Config, source_name: str, target_name: str) -> str:
    source = open_store(config, backend=source_name)
    try:
        target = open_store(config, backend=target_name)
        try:
            slack = await _slack_copy(config, source, target, source_name)
            lines = [(await copy_store(source, target)).line(source_name, target_name)]
            if slack is not None:
                lines.append(await slack())
        finally:
            await target.close()
    finally:
        await source.close()
    return "\n".join(lines)


async def _slack_copy(
    config: Config, source: Store, target: Store, source_name: str
) -> Callable[[], Awaitable[str]] | None:
    """The Slack OAuth installs' copy (checked before anything is copied), when there may be
    any: a folder of them, or a database (whose Slack tables only the Slack package reads)."""
    folder = config.data_dir / "slack" / "installations"
    if source_name != "postgresql" and not folder.is_dir():
        return None
    from bot.platforms.slack.install_copy import prepare

    return await prepare(config, source, target)
