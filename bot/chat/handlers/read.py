"""Commands that read: /start, /help, /latest, /post, /ask, /digest, /why."""

from __future__ import annotations

from bot.chat.commands import BadUsage, Command, Spec
from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.views import answer_reply, digest_reply, latest_reply, summary_reply
from bot.corpus.folder import resolve_post, short_id
from bot.delivery.sender import Blocked, Failed, Sent, Unknown
from bot.delivery.states import DiskFullPaused, Elsewhere
from bot.domain import inputs
from bot.domain.digest import pick
from bot.domain.records import Subscriber
from bot.domain.schedule import next_slot
from bot.errors import UsageError
from summariser import QueryError

MAX_ASK = 500
NOTHING_NEW = "Nothing new since your last digest."
POST_HINT = "/latest shows the newest posts with their ids; /ask finds others"
FULL_SENTENCES, FULL_COMMENTS = 6, 6
MAX_MORE_COMMENTS = 30


async def start(app: Context, cmd: Command) -> Reply:
    sub = await app.store.get_subscriber(cmd.chat.platform, cmd.chat.id)
    status = (
        "This chat is subscribed; /settings shows when digests come."
        if sub and sub.active
        else "Send /subscribe to get a daily digest here (e.g. /subscribe 08:00 Europe/London)."
    )
    return Reply.text(
        f"Hello! I summarise {len(app.posts)} blog posts and their comment threads.",
        status,
        "Ask me anything with /ask, e.g. /ask short sentences. /help lists every command.",
    )


def help_(app: Context, cmd: Command) -> Reply:
    return app.help_reply()


def latest(app: Context, cmd: Command) -> Reply:
    count = _int_arg(cmd.args, default=5, low=1, high=20)
    return latest_reply(app.latest(count))


def post(app: Context, cmd: Command) -> Reply:
    parts = cmd.args.split()
    if len(parts) != 1:
        raise BadUsage
    return full_summary(app, parts[0], comments=FULL_COMMENTS)


def full_summary(app: Context, post_id: str, *, comments: int) -> Reply:
    """The post's summary with ``comments`` top comments (also the "more comments" button)."""
    found = resolve_post(app.posts, post_id, hint=POST_HINT)
    summary = app.summaries.custom(found, sentences=FULL_SENTENCES, comments=comments)
    return summary_reply(summary, found)


def ask(app: Context, cmd: Command) -> Reply:
    query = cmd.args.strip()
    if not query:
        raise BadUsage
    if len(query) > MAX_ASK:
        raise UsageError(f"That question is {len(query)} characters long; keep it under {MAX_ASK}.")
    try:
        hits = app.index.search(query, limit=3, per_post=2)
    except QueryError as exc:
        text = str(exc)
        return Reply.text(text[:1].upper() + text[1:])  # a chat line starts with a capital
    suggestions = [] if hits else app.index.suggest(query)
    return answer_reply(query, hits, suggestions)


async def digest(app: Context, cmd: Command) -> Reply:
    sub = await app.store.get_subscriber(cmd.chat.platform, cmd.chat.id)
    if sub is None or not sub.active:
        raise UsageError("This chat has no subscription yet; send /subscribe first.")
    if not app.digests.can_send(cmd.chat.platform):
        preview = await app.digests.preview(sub, app.now())
        return digest_reply(preview) if preview else _nothing(app, sub)
    outcome = await app.digests.send_now(sub, app.now())
    if outcome is None:
        return _nothing(app, sub)
    if isinstance(outcome, DiskFullPaused | Elsewhere):
        return Reply.text(outcome.message)
    if isinstance(outcome, Sent | Blocked):
        return Reply(())
    if isinstance(outcome, Unknown):
        return Reply.text("The digest may not have arrived (no answer from the chat service).")
    assert isinstance(outcome, Failed)
    return Reply.text("Sorry, the digest could not be sent just now; please try again later.")


async def why(app: Context, cmd: Command) -> Reply:
    parts = cmd.args.split()
    if len(parts) != 1:
        raise BadUsage
    found = resolve_post(app.posts, parts[0], hint=POST_HINT)
    name = f"“{found.title}” ({short_id(found.id)})"
    sent = [
        d
        for d in await app.store.deliveries(platform=cmd.chat.platform, chat_id=cmd.chat.id)
        if any(i.post_id == found.id for i in d.items)
    ]
    if sent:
        last = sent[-1]
        when = last.slot or f"{last.created:%Y-%m-%d} (on demand)"
        return Reply.text(f"{name} was in this chat's digest of {when} ({last.state}).")
    sub = await app.store.get_subscriber(cmd.chat.platform, cmd.chat.id)
    if sub is None or not sub.active:
        return Reply.text(f"{name} has not been sent here: this chat has no active subscription.")
    index = app.post_index()
    if sub.topics and index.matching_topic(found, sub.topics) is None:
        topics = ", ".join(sub.topics)
        return Reply.text(f"{name} will not be sent: it matches none of your topics ({topics}).")
    picks = pick(sub, index, await app.store.history(sub.platform, sub.chat_id))
    slot = next_slot(sub, app.now())
    local = slot.at.astimezone(sub.zone)
    if any(p.post.id == found.id for p in picks):
        return Reply.text(
            f"{name} will be in the next digest, {local:%A %d %B at %H:%M} ({sub.timezone})."
        )
    return Reply.text(
        f"{name} is not in the next digest: {sub.posts} newer or more discussed posts come first "
        "(raise the number with /posts N)."
    )


def _nothing(app: Context, sub: Subscriber) -> Reply:
    """No digest: nothing new, or (said as such) no post at all matches the chat's topics."""
    index = app.post_index()
    if sub.topics and not any(index.matching_topic(p, sub.topics) for p in app.posts.values()):
        return Reply.text(
            f"No post matches your topics ({', '.join(sub.topics)}), so there is nothing to "
            "send. Change them with /topics set A, B or /topics clear."
        )
    return Reply.text(NOTHING_NEW)


def _int_arg(text: str, *, default: int, low: int, high: int) -> int:
    parts = text.split()
    if not parts:
        return default
    number = inputs.count(parts[0], low, high) if len(parts) == 1 else None
    if number is None:
        raise BadUsage(f"(N from {low} to {high}).")
    return number


def more(app: Context, cmd: Command) -> Reply:
    """The "More comments" button: ID and the number of comments already shown."""
    parts = cmd.args.split()
    shown = inputs.whole_number(parts[1]) if len(parts) == 2 else None
    if shown is None:
        raise UsageError("That button has expired.")
    return full_summary(app, parts[0], comments=min(shown + 3, MAX_MORE_COMMENTS))


SPECS = (
    Spec("start", "/start", "what this bot does and how to begin", start),
    Spec("help", "/help", "this list of commands", help_),
    Spec("latest", "/latest [N]", "the newest posts (default 5)", latest),
    Spec("post", "/post ID", "a post's full summary with more comments", post, aliases=("read",)),
    Spec(
        "ask", "/ask QUERY", "what has been said about a topic, quoted from posts and comments", ask
    ),
    Spec("digest", "/digest", "what is new for this chat, now", digest),
    Spec("why", "/why ID", "did or will this chat get that post, and why (not)", why),
    Spec("more", "/more ID N", "more comments of a post (its button)", more, button_only=True),
)
