"""Reply -> Slack Block Kit: what the fake Slack server accepts, what a reader sees, and that
corpus text never becomes a mention, a link or formatting."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.reply import (
    Button,
    Heading,
    OpenUrl,
    Paragraph,
    Preformatted,
    Quote,
    Reply,
    Run,
    bold,
    italic,
    link,
)
from bot.chat.views import summary_reply
from bot.platforms.slack.blocks import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    ZWSP,
    escape,
    render_blocks,
    unescape,
    visible,
)
from summariser import load_folder, summarise_post
from tests.app_fixtures import SEEDS
from tests.fakes.slack_clients import client_for
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import DEFAULT_CHANNEL

CI = os.environ.get("CI") == "true"
HOSTILE = (
    "<!channel> hi <@U0ALICE001> see <https://evil.example|click> *bold* _it_ ~gone~ "
    "`code` &amp; done\n> not a quote"
)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


def _words(text: str) -> list[str]:
    return text.split()


def _section_texts(reply: Reply) -> list[str]:
    return [
        b["text"]["text"]
        for m in render_blocks(reply)
        for b in m.blocks
        if b["type"] in ("section", "header")
    ]


async def test_a_summary_is_accepted_by_slack_and_reads_as_the_reply(slack: FakeSlack) -> None:
    post = load_folder(SEEDS).posts[0]
    reply = summary_reply(summarise_post(post), post)
    client = client_for(slack)
    for message in render_blocks(reply):
        await client.chat_postMessage(
            channel=DEFAULT_CHANNEL, text=message.text, blocks=message.blocks
        )
    [sent] = slack.messages
    assert sent.blocks is not None and sent.blocks[0]["type"] == "header"
    shown = " ".join(visible(t) for t in _section_texts(reply))
    assert _words(shown) == _words(reply.plain_text())
    labels = [
        e["text"]["text"] for b in sent.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Share", "More comments", "Full summary"]
    assert sent.text and "<" not in sent.text.replace("&lt;", "")


def test_corpus_text_never_becomes_a_mention_link_or_formatting() -> None:
    reply = Reply((Heading(HOSTILE[:40]), Paragraph.of(bold(HOSTILE)), Quote(HOSTILE, "Eve *x*")))
    for message in render_blocks(reply):
        for block in message.blocks:
            text = block["text"]["text"]
            if block["type"] == "header":
                assert block["text"]["type"] == "plain_text"  # never parsed by Slack
                continue
            assert block["text"]["verbatim"] is True  # no auto-linked URLs or #channels
            assert "<!" not in text and "<@" not in text and "<http" not in text
            corpus = text.replace(ZWSP + "*", "").replace(ZWSP + "_", "").replace(ZWSP + "~", "")
            corpus = corpus.replace(ZWSP + "`", "")
            # the only formatting characters left are our own bold/italic markers at the ends
            assert re.sub(r"^(> )?\*|\*$|^(> )?_|_$", "", corpus, flags=re.M).count("*") == 0
            assert "~" not in corpus and "`" not in corpus
            assert "\n> not a quote" not in text  # a corpus '>' never starts a quote
        assert "<!channel>" not in message.text and "<@" not in message.text
    assert unescape(escape(HOSTILE)) == HOSTILE


def test_a_long_reply_stays_within_slacks_limits_and_loses_no_word() -> None:
    sentence = "The probation officer said the hearing was moved again. "
    blocks = [Heading("A long one")]
    blocks += [Paragraph.of(sentence * 120)]  # ~6,800 characters: one block, three sections
    blocks += [Quote(f"comment {i} " + sentence, f"[{i}] Someone") for i in range(80)]
    reply = Reply(
        tuple(blocks),
        ((Button("More comments", Run("more", ("abc", "3"))),),),
    )
    messages = render_blocks(reply)
    assert len(messages) == 2
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in message.blocks if "text" in b)
    assert messages[-1].blocks[-1]["type"] == "actions"  # buttons on the last message
    shown = " ".join(visible(t) for t in _section_texts(reply))
    assert _words(shown) == _words(reply.plain_text())


async def test_slack_accepts_every_message_of_a_long_reply(slack: FakeSlack) -> None:
    reply = Reply(tuple(Paragraph.of(bold(f"Post {i}"), " body " * 700) for i in range(60)))
    client = client_for(slack)
    for message in render_blocks(reply):
        await client.chat_postMessage(
            channel=DEFAULT_CHANNEL, text=message.text, blocks=message.blocks
        )
    assert len(slack.messages) >= 2 and slack.errors("invalid_blocks") == 0


def test_buttons_carry_their_data_and_links_only_safe_urls() -> None:
    reply = Reply(
        (
            Paragraph.of(
                "see ",
                link("the post", "https://example.org/a|b"),
                " ",
                link("x", "javascript:alert(1)"),
            ),
        ),
        ((Button("Full summary", Run("post", ("abc",))),),),
    )
    [message] = render_blocks(reply)
    section, actions = message.blocks
    assert "<https://example.org/a%7Cb|the post>" in section["text"]["text"]
    assert "javascript" not in section["text"]["text"].split("|")[0]
    [button] = actions["elements"]
    assert (button["value"], button["action_id"]) == ("post:abc", "cb:0:0")
    [url_message] = render_blocks(
        Reply.text("x").__class__((), ((Button("Open", OpenUrl("https://example.org")),),))
    )
    assert url_message.blocks[0]["elements"][0]["url"] == "https://example.org"


def test_preformatted_text_stays_literal() -> None:
    reply = Reply((Preformatted("a <b> & ``` c *d*"),))
    [message] = render_blocks(reply)
    text = message.blocks[0]["text"]["text"]
    assert text.startswith("```") and text.endswith("```") and "<b>" not in text
    assert visible(text).replace(ZWSP, "") == "a <b> & ``` c *d*"


@settings(max_examples=50 if CI else 200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab <>&*_~`|@!\n#:/")), max_size=300))
def test_any_text_reads_back_as_written(text: str) -> None:
    reply = Reply((Paragraph.of(text), Quote(text, "src"), Paragraph.of(italic(text))))
    shown = " ".join(visible(t) for t in _section_texts(reply))
    assert _words(shown) == _words(reply.plain_text())
