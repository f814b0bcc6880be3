"""A Reply's buttons on Telegram: Run as callback data within 64 bytes, Share as inline mode."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat.reply import Button, OpenUrl, Run, Share
from bot.platforms.telegram.buttons import decode, encode, keyboard


def test_run_round_trips_through_callback_data() -> None:
    run = Run("more", ("000_63c8db97991e146f", "2"))
    assert encode(run) == "more:000_63c8db97991e146f:2"
    assert decode("more:000_63c8db97991e146f:2") == run
    assert decode("full:004") == Run("post", ("004",))  # buttons sent by older versions


def test_callback_data_refuses_what_telegram_would() -> None:
    with pytest.raises(ValueError, match="65 bytes"):
        encode(Run("more", ("x" * 60,)))
    with pytest.raises(ValueError, match="may not contain ':'"):
        encode(Run("more", ("a:b",)))
    assert decode("é" * 33) is None  # 66 bytes: not from this bot
    assert decode("") is None


def test_keyboard_renders_each_action_its_way_and_leaves_out_what_cannot_fit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = (
        (
            Button("Share", Share("004")),
            Button("More", Run("more", ("004", "3"))),
            Button("Site", OpenUrl("https://example.org/")),
            Button("Too long", Run("post", ("x" * 70,))),
        ),
    )
    markup = keyboard(rows)
    assert markup is not None
    [row] = markup.inline_keyboard
    assert [b.text for b in row] == ["Share", "More", "Site"]
    assert row[0].switch_inline_query == "post 004"
    assert row[1].callback_data == "more:004:3"
    assert row[2].url == "https://example.org/"
    assert "button 'Too long' left out" in caplog.text
    assert keyboard(()) is None
    assert keyboard(((Button("Too long", Run("post", ("x" * 70,))),),)) is None
    assert caplog.records[-1].levelno == logging.WARNING


@given(
    st.text(st.characters(codec="utf-8", exclude_characters=":"), min_size=1),
    st.lists(st.text(st.characters(codec="utf-8", exclude_characters=":"))),
)
def test_every_encoded_callback_data_fits_and_round_trips(command: str, args: list[str]) -> None:
    run = Run(command, tuple(args))
    try:
        encoded = encode(run)
    except ValueError:
        assert len(":".join([command, *args]).encode("utf-8")) > 64
        return
    assert 1 <= len(encoded.encode("utf-8")) <= 64
    assert decode(encoded) == Run({"full": "post"}.get(command, command), tuple(args))
