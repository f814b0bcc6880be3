"""`digestbot corpus`, `show ID` and `summarise ID`: look at the corpus and its summaries."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.args import int_range
from bot.config import SUMMARY_METHODS, Config
from bot.corpus.folder import resolve_post
from bot.corpus.sources import load_posts
from bot.errors import UsageError
from summariser import Comment, Post, Summary, SummaryCache


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("corpus", help="list the posts of the corpus with their comment counts")
    p.add_argument("--json", action="store_true", help="print JSON (one object per post)")
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
    posts = load_posts(config)
    rows = [corpus_row(p) for p in sorted(posts.values(), key=lambda p: p.id)]
    if args.json:
        _dump(rows)
        return 0
    if not rows:
        raise UsageError(f"no posts found in {config.corpus_dir}")
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
