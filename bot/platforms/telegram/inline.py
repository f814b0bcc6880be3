"""Sharing on Telegram: inline mode (``@bot QUERY`` in any chat) and the digest buttons."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.ext import ContextTypes

from bot.chat.handlers.read import FULL_COMMENTS, full_summary
from bot.chat.render import render_telegram_html
from bot.chat.reply import CallbackData, Reply
from bot.chat.views import post_buttons, summary_reply
from bot.corpus.folder import resolve_post, short_id
from bot.domain import inputs
from bot.errors import UsageError
from bot.platforms.telegram.send import keyboard
from summariser import Post, QueryError

if TYPE_CHECKING:
    from bot.app import App
    from bot.platforms.telegram.frontend import TelegramFrontend

log = logging.getLogger(__name__)

MAX_RESULTS = 50
MAX_MORE_COMMENTS = 30


def inline_posts(app: App, query: str) -> list[Post]:
    """The posts an inline query offers: 'post ID', a keyword search, or the latest."""
    text = query.strip()
    if not text:
        return app.latest(MAX_RESULTS)
    words = text.split()
    if len(words) == 2 and words[0].lower() == "post":
        try:
            return [resolve_post(app.posts, words[1])]
        except UsageError:
            return []
    try:
        hits = app.index.search(text[:200], limit=MAX_RESULTS, per_post=1)
    except QueryError:
        return []
    return [app.posts[h.post_id] for h in hits if h.post_id in app.posts]


def inline_result(app: App, post: Post) -> InlineQueryResultArticle:
    summary = app.summary(post)
    reply = summary_reply(summary, post, buttons=False)
    text = render_telegram_html(reply)[0].text
    first = summary.body[0] if summary.body else ""
    return InlineQueryResultArticle(
        id=short_id(post.id)[:64],
        title=post.title[:200],
        description=(f"{post.date:%d %b %Y} · " + first)[:200],
        input_message_content=InputTextMessageContent(
            text, parse_mode="HTML", link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        reply_markup=keyboard(post_buttons(post.id, comments_shown=len(summary.comments))[:1]),
    )


async def answer_inline(app: App, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    inline = update.inline_query
    if inline is None:
        return
    posts = inline_posts(app, inline.query)[:MAX_RESULTS]
    results = [inline_result(app, post) for post in posts]
    await inline.answer(results, cache_time=60, is_personal=False)


def callback_reply(app: App, data: str) -> Reply:
    """The reply to a button press: more comments or the full summary of a post."""
    try:
        parsed = CallbackData.decode(data)
    except ValueError:
        raise UsageError("That button has expired.") from None
    count = inputs.whole_number(parsed.args[1]) if len(parsed.args) == 2 else None
    if parsed.action == "more" and count is not None:
        shown = min(count + 3, MAX_MORE_COMMENTS)
        return full_summary(app, parsed.args[0], comments=shown)
    if parsed.action == "full" and len(parsed.args) == 1:
        return full_summary(app, parsed.args[0], comments=FULL_COMMENTS)
    raise UsageError("That button has expired.")


async def answer_callback(app: App, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    message = query.message
    frontend: TelegramFrontend = context.bot_data["frontend"]
    if message is not None:
        verdict = frontend.throttle.check(str(message.chat.id))
        if not verdict.allowed:  # the toast goes to the presser only and is not paced
            await query.answer(frontend.throttle.notice(verdict))
            return
    try:
        reply = callback_reply(app, query.data or "")
    except UsageError as exc:
        await query.answer(str(exc), show_alert=False)
        return
    await query.answer()
    if message is not None:
        await frontend.answer(message.chat.id, reply, "button")
    elif query.inline_message_id:
        first = render_telegram_html(reply)[0]
        await context.bot.edit_message_text(
            first.text,
            inline_message_id=query.inline_message_id,
            parse_mode="HTML",
            reply_markup=keyboard(first.buttons),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
