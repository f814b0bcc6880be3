"""`digestbot corpus`, `show ID` and `summarise ID`: look at the corpus and its summaries."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.args import int_range
from bot.config import SUMMARY_METHODS, Config
from bot.corpus.folder import resolve_post
from bot.corpus.source import SourceStatus
from bot.corpus.sources import Corpus, load_posts
from bot.errors import UsageError
from summariser import Comment, Post, Summary, SummaryCache


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "corpus", help="list the corpus sources, then the posts with their comment counts"
    )
    p.add_argument("--json", action="store_true", help="print JSON (one object per post)")
    p.add_argument(
        "--sources", action="store_true", help="only the sources: posts, last fetch, last error"
    )
    p.set_defaults(handler=cmd_corpus)

    p = sub.add_parser("show", help="print one parsed post: body and comment tree")
    p.add_argument("id", metavar="ID", help="post id (file stem), its number ('000') or a prefix")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser(
        "summarise", aliases=["summarize"], help="summarise a post and its top comments"
    )
    p.add_argument("id", metavar="ID", help="post id (file stem), its number ('000') or a prefix")
    p.add_argument(
        "--sentences", type=int_range(1, 50), metavar="N", help="body sentences (default 3)"
    )
    p.add_argument(
        "--comments", type=int_range(0, 50), metavar="K", help="top comments (default 3)"
    )
    p.add_argument("--method", choices=SUMMARY_METHODS, help="ranking algorithm (default lexrank)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_summarise)


def corpus_row(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "date": post.date.isoformat(),
        "title": post.title,
        "comments": {
            "declared": post.declared_comments,
            "parsed": post.comment_count,
            "top_level": post.top_level_count,
            "replies": post.reply_count,
        },
    }


def source_json(status: SourceStatus) -> dict[str, Any]:
    when = status.last_fetch
    return {
        "name": status.name,
        "kind": status.kind,
        "location": status.location,
        "posts": status.posts,
        "last_fetch": when.isoformat(timespec="seconds") if when else None,
        "last_error": status.last_error,
    }


def source_line(status: SourceStatus) -> str:
    """'feed garden (https://...): 12 posts, last fetch 2026-11-23 06:00 UTC, last error: ...'"""
    parts = [f"{status.posts} post{'' if status.posts == 1 else 's'}"]
    if status.kind != "folder":
        when = status.last_fetch
        parts.append(f"last fetch {when:%Y-%m-%d %H:%M} UTC" if when else "not fetched yet")
        parts.append(f"last error: {status.last_error}" if status.last_error else "no error")
    return f"{status.kind} {status.name} ({status.location}): {', '.join(parts)}"


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "ref": comment.ref,
        "author": comment.author,
        "posted_at": comment.posted_at.isoformat(timespec="minutes") if comment.posted_at else None,
        "text": comment.text,
        "replies": [comment_json(r) for r in comment.replies],
    }


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "date": post.date.isoformat(),
        "title": post.title,
        "body": list(post.body),
        "comments": [comment_json(c) for c in post.comments],
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "id": summary.post_id,
        "title": summary.title,
        "body": list(summary.body),
        "comments": [q.to_json() for q in summary.comments],
    }


def _dump(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_corpus(config: Config, args: argparse.Namespace) -> int:
    corpus = Corpus.from_config(config)
    posts = load_posts(config, corpus=corpus)
    if args.sources:
        statuses = corpus.statuses()
        if args.json:
            _dump([source_json(s) for s in statuses])
        for line in () if args.json else map(source_line, statuses):
            print(line)
        return 0
    rows = [corpus_row(p) for p in sorted(posts.values(), key=lambda p: p.id)]
    if args.json:
        _dump(rows)
        return 0
    for status in corpus.statuses():
        print(source_line(status))
    if not rows:
        where = config.corpus_dir if config.use_folder and not config.feeds else "the sources"
        raise UsageError(f"no posts found in {where}")
    for row in rows:
        c = row["comments"]
        declared = "-" if c["declared"] is None else c["declared"]
        print(
            f"{row['id']}  {row['date']}  {c['top_level']:>3} comments + {c['replies']:>3} replies"
            f" (declared {declared})  {row['title']}"
        )
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    post = resolve_post(load_posts(config), args.id)
    if args.json:
        _dump(post_json(post))
        return 0
    print(f"{post.title}\n{post.date:%A %d %B %Y}  ({post.id})\n")
    print("\n\n".join(post.body))
    print(f"\n--- {post.comment_count} comments ---")
    for comment in post.walk_comments():
        indent = "    " * comment.depth
        who = " — ".join(x for x in (comment.author, _stamp(comment)) if x)
        print(f"\n{indent}[{comment.ref}]{' ' + who if who else ''}")
        for line in comment.text.splitlines():
            print(f"{indent}  {line}" if line else "")
    return 0


def _stamp(comment: Comment) -> str | None:
    return comment.posted_at.strftime("%d %b %Y %H:%M") if comment.posted_at else None


def cmd_summarise(config: Config, args: argparse.Namespace) -> int:
    post = resolve_post(load_posts(config), args.id)
    s = config.summary
    summary = SummaryCache(config.data_dir / "summaries").get(
        post,
        sentences=args.sentences or s.sentences,
        comments=s.comments if args.comments is None else args.comments,
        method=args.method or s.method,
    )
    if args.json:
        _dump(summary_json(summary))
        return 0
    print(f"{summary.title}  ({summary.date:%d %B %Y}, {post.id})\n")
    for sentence in summary.body:
        print(f"  {sentence}")
    if summary.comments:
        print("\nTop comments:")
        for quote in summary.comments:
            who = f" {quote.author}" if quote.author else ""
            print(f"  [{quote.ref}]{who}: {quote.text}")
    return 0
