"""`digestbot ask QUERY`: what the posts and their commenters said about something.

A bad query (empty, only common words, too long, no letters) is a usage error: one line on
stderr, exit 2. No match is an answer: "No posts match ..." on stdout with did-you-mean words,
exit 0 (with --json the results list is empty and the hint goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any, TextIO

from bot.cli.args import int_range
from bot.cli.output import BOLD, RESET, terminal_safe
from bot.config import Config
from bot.corpus.sources import load_posts
from bot.errors import UsageError
from summariser import KeywordIndex, Match, QueryError, SearchHit

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "ask",
        help="what the posts and comments say about something (keyword search)",
        description='Words must all match (best first), "quoted phrases" match exactly, '
        "-word leaves out posts that have it. Put -- before a query that starts with -.",
    )
    p.add_argument("query", nargs="+", metavar="QUERY", help='words, "a phrase", -excluded')
    p.add_argument(
        "--limit", type=int_range(1, 50), default=5, metavar="N", help="posts (default 5)"
    )
    p.add_argument(
        "--passages",
        type=int_range(1, 10),
        default=3,
        metavar="K",
        help="passages per post (default 3)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_ask)


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "post_id": hit.post_id,
        "title": hit.title,
        "date": hit.date.isoformat(),
        "score": hit.score,
        "matches": [
            {
                "where": m.where,
                "ref": m.ref,
                "author": m.author,
                "text": m.text,
                "highlights": [list(h) for h in m.highlights],
            }
            for m in hit.matches
        ],
    }


def cmd_ask(config: Config, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    try:
        KeywordIndex.check(query)  # a bad query is answered before the corpus is loaded
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    posts = load_posts(config)
    if not posts:
        raise UsageError(f"no posts found in {config.corpus_dir}")
    index = KeywordIndex.open(config.data_dir / "index", posts.values())
    log.info("%s", index.report)
    hits = index.search(query, limit=args.limit, per_post=args.passages)
    if args.json:
        answer = {"query": query, "results": [hit_json(h) for h in hits]}
        json.dump(answer, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        if not hits:
            print(f"digestbot: {_no_match(query, index.suggest(query))}", file=sys.stderr)
        return 0
    if not hits:
        print(_no_match(query, index.suggest(query)))
        return 0
    _print_hits(sys.stdout, query, hits)
    return 0


def _no_match(query: str, suggestions: list[str]) -> str:
    shown = terminal_safe(query if len(query) <= 60 else query[:59] + "…")
    message = f'No posts match "{shown}".'
    if suggestions:
        return message + " Did you mean: " + ", ".join(suggestions) + "?"
    return message + " Try fewer or other words."


def _print_hits(out: TextIO, query: str, hits: list[SearchHit]) -> None:
    bold = hasattr(out, "isatty") and out.isatty()
    if hits[0].missing:
        out.write(f'No post has all the words of "{query}"; posts with some of them:\n')
    for number, hit in enumerate(hits, start=1):
        lacks = f"  (without: {', '.join(hit.missing)})" if hit.missing else ""
        out.write(
            f"\n{number}. {_clean(hit.title)}  ({hit.date.isoformat()}, {hit.post_id})"
            f"  score {hit.score:.2f}{lacks}\n"
        )
        for match in hit.matches:
            out.write(f"   {_where(match)}: {_marked(match, bold)}\n")


def _where(match: Match) -> str:
    if match.where != "comment":
        return match.where
    return f"[{match.ref}]" + (f" {_clean(match.author)}" if match.author else "")


def _marked(match: Match, bold: bool) -> str:
    """The passage with its highlights in ANSI bold (on a terminal only)."""
    if not bold:
        return _clean(match.text)
    pieces, last = [], 0
    for start, end in match.highlights:
        pieces += [_clean(match.text[last:start]), BOLD, _clean(match.text[start:end]), RESET]
        last = end
    pieces.append(_clean(match.text[last:]))
    return "".join(pieces)


def _clean(text: str) -> str:
    """No terminal control sequences from the corpus reach the screen (not even bold)."""
    return terminal_safe(text).replace(BOLD, "\\u001b[1m").replace(RESET, "\\u001b[0m")
