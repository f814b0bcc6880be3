"""`digestbot run`: start the bot (console front end until the chat front ends land)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from summariser import summarise_post

from ..config import Config
from ..errors import UsageError
from ..posts import load_corpus, resolve_post

HELP = """Commands:
  help            this list
  corpus          the posts, with their comment counts
  summarise ID    a post's summary and its top comments (ID: '000' or the full id)
  quit            leave (or Ctrl-D)"""


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("run", help="start the bot (console prompt; reads commands from stdin)")
    p.set_defaults(handler=cmd_run)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    posts = load_corpus(config.corpus_dir)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"digestbot: {len(posts)} posts from {config.corpus_dir}. Type 'help'.")
    while True:
        try:
            line = input("digestbot> " if interactive else "")
        except EOFError:
            return 0
        words = line.strip().lstrip("/").split()
        if not words:
            continue
        if words[0] in ("quit", "exit"):
            return 0
        try:
            print(answer(posts, config, words))
        except UsageError as exc:
            print(str(exc))


def answer(posts: dict[str, Any], config: Config, words: list[str]) -> str:
    command, rest = words[0].lower(), words[1:]
    if command in ("help", "start"):
        return HELP
    if command == "corpus":
        return "\n".join(
            f"{p.id[:3]}  {p.date}  {p.comment_count:>3} comments  {p.title}"
            for p in sorted(posts.values(), key=lambda p: p.id)
        )
    if command in ("summarise", "summarize"):
        if len(rest) != 1:
            raise UsageError("usage: summarise ID  (e.g. summarise 000)")
        post = resolve_post(posts, rest[0])
        s = summarise_post(
            post, sentences=config.summary.sentences, comments=config.summary.comments
        )
        lines = [f"{s.title} ({s.date:%d %B %Y})", *(f"  {x}" for x in s.body)]
        lines += [f"  [{q.ref}] {q.author or 'Anonymous'}: {q.text}" for q in s.comments]
        return "\n".join(lines)
    raise UsageError(f"unknown command '{command}'; type 'help'")
