"""Platform-neutral replies for posts, summaries, search answers and digests.

Everything quoted from the corpus goes into plain spans or Quote blocks, so no renderer ever
treats a commenter's text as markup. Buttons run commands or share a post (bot.chat.reply).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.reply import (
    Block,
    Button,
    Heading,
    Paragraph,
    Quote,
    Reply,
    Run,
    Share,
    Span,
    bold,
    italic,
    link,
    plain,
)
from bot.corpus.folder import short_id
from bot.domain.digest import Digest, DigestItem
from summariser import Post, SearchHit, Summary


def _source(ref: str, author: str | None) -> str:
    return f"[{ref}] {author or 'Anonymous'}"


def post_buttons(post_id: str, *, comments_shown: int) -> tuple[tuple[Button, ...], ...]:
    """Share, more comments and full summary buttons for one post."""
    alias = short_id(post_id)
    return (
        (
            Button("Share", Share(alias)),
            Button("More comments", Run("more", (alias, str(comments_shown)))),
            Button("Full summary", Run("post", (alias,))),
        ),
    )


def summary_blocks(summary: Summary, *, comment_count: int | None = None) -> list[Block]:
    alias = short_id(summary.post_id)
    meta = f"{summary.date.day} {summary.date:%B %Y} · /post {alias}"
    if comment_count is not None:
        meta += f" · {comment_count} comments"
    blocks: list[Block] = [Heading(summary.title), Paragraph((italic(meta),))]
    if summary.body:
        blocks.append(Paragraph((plain("\n".join(summary.body)),)))
    if summary.comments:
        blocks.append(Paragraph((bold("Top comments"),)))
        blocks.extend(Quote(q.text, _source(q.ref, q.author)) for q in summary.comments)
    return blocks


def summary_reply(summary: Summary, post: Post, *, buttons: bool = True) -> Reply:
    keyboard = post_buttons(post.id, comments_shown=len(summary.comments)) if buttons else ()
    return Reply(tuple(summary_blocks(summary, comment_count=post.comment_count)), keyboard)


def latest_reply(posts: Sequence[Post]) -> Reply:
    blocks: list[Block] = [Heading("Latest posts")]
    for post in posts:
        blocks.append(
            Paragraph.of(
                bold(post.title),
                f"\n{post.date.day} {post.date:%B %Y} · {post.comment_count} comments"
                f" · /post {short_id(post.id)}",
            )
        )
    return Reply(tuple(blocks))


def _highlighted(text: str, marks: Sequence[tuple[int, int]]) -> tuple[Span, ...]:
    spans: list[Span] = []
    at = 0
    for start, end in sorted(marks):
        if start < at or end <= start:
            continue
        if start > at:
            spans.append(plain(text[at:start]))
        spans.append(bold(text[start:end]))
        at = end
    if at < len(text):
        spans.append(plain(text[at:]))
    return tuple(spans)


def answer_reply(query: str, hits: Sequence[SearchHit], suggestions: Sequence[str] = ()) -> Reply:
    """The answer to a keyword question: best posts, their matching passages, marked."""
    if not hits:
        text = f"Nothing in the posts or comments matches “{query}”."
        if suggestions:
            text += " Did you mean: " + ", ".join(suggestions) + "?"
        return Reply.text(text)
    blocks: list[Block] = [Heading(f"What has been said about “{query}”")]
    for hit in hits:
        blocks.append(
            Paragraph.of(
                bold(hit.title),
                italic(f"\n{hit.date.day} {hit.date:%B %Y} · /post {short_id(hit.post_id)}"),
            )
        )
        for match in hit.matches:
            source = (
                _source(match.ref or "", match.author) if match.where == "comment" else match.where
            )
            blocks.append(
                Paragraph((*_highlighted(match.text, match.highlights), italic(f" — {source}")))
            )
    return Reply(tuple(blocks))


def digest_reply(digest: Digest) -> Reply:
    """A digest as one reply: a heading, then one section per post with its buttons' data."""
    blocks: list[Block] = [Heading(digest.title)]
    for item in digest.items:
        blocks.extend(_item_blocks(item))
    first = digest.items[0] if digest.items else None
    keyboard = post_buttons(first.post_id, comments_shown=len(first.comments)) if first else ()
    return Reply(tuple(blocks), keyboard if len(digest.items) == 1 else _digest_buttons(digest))


def digest_item_reply(item: DigestItem) -> Reply:
    """One post of a digest on its own, with its buttons (a thread reply on Slack)."""
    return Reply(
        tuple(_item_blocks(item)), post_buttons(item.post_id, comments_shown=len(item.comments))
    )


def _item_blocks(item: DigestItem) -> list[Block]:
    head = "New in the discussion: " if item.kind == "discussion" else ""
    dateline = italic(f"\n{item.date.day} {item.date:%B %Y} · /post {item.short_id}")
    web = (plain(" · "), link("read the post", item.url)) if item.url else ()
    blocks: list[Block] = [Paragraph.of(bold(head + item.title), dateline, *web)]
    if item.sentences:
        blocks.append(Paragraph((plain("\n".join(item.sentences)),)))
    if item.kind == "discussion":
        blocks.append(Paragraph.of(f"{len(item.new)} new comments; the best of them:"))
    blocks.extend(Quote(q.text, _source(q.ref, q.author)) for q in item.comments)
    return blocks


def _digest_buttons(digest: Digest) -> tuple[tuple[Button, ...], ...]:
    rows = []
    for item in digest.items[:8]:
        alias = item.short_id
        rows.append(
            (
                Button(f"Share {alias}", Share(alias)),
                Button(f"More {alias}", Run("more", (alias, str(len(item.comments))))),
                Button(f"Full {alias}", Run("post", (alias,))),
            )
        )
    return tuple(rows)
