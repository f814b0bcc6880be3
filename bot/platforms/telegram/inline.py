"""Sharing on Telegram: inline mode (``@bot QUERY`` in any chat) and the digest buttons."""

from __future__ import annotations

import logging
from typing import Protocol

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.ext import ContextTypes

from bot.app import App
from bot.chat.commands import PRIVATE, Chat, Command, User
from bot.chat.render import render_telegram_html
from bot.chat.reply import Reply
from bot.chat.throttle import CommandThrottle, Verdict
from bot.chat.views import post_buttons, summary_reply
from bot.corpus.folder import resolve_post, short_id
from bot.errors import UsageError
from bot.platforms.telegram.buttons import decode, keyboard
from bot.platforms.telegram.chats import chat_of
from bot.platforms.telegram.send import PLATFORM
from summariser import Post, QueryError


class Front(Protocol):
    """What a button press needs of the front end (TelegramFrontend is one)."""

    throttle: CommandThrottle

    async def handle(self, cmd: Command) -> Reply | Verdict: ...

    async def answer(self, chat_id: int, reply: Reply, command: str) -> None: ...


log = logging.getLogger(__name__)

MAX_RESULTS = 50


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


async def answer_callback(app: App, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press runs its command through the front end (the chat's command limit too)."""
    query = update.callback_query
    if query is None:
        return
    message = query.message
    frontend: Front = context.bot_data["frontend"]
    where = chat_of(message.chat) if message is not None else Chat(PLATFORM, "", PRIVATE)
    user = User(str(query.from_user.id), query.from_user.full_name)
    action = decode(query.data or "")
    cmd = app.commands.press(action, where, user) if action is not None else None
    if cmd is None:
        await query.answer("That button has expired.", show_alert=False)
        return
    reply = await frontend.handle(cmd)
    if isinstance(reply, Verdict):  # the toast goes to the presser only and is not paced
        await query.answer(frontend.throttle.notice(reply))
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
