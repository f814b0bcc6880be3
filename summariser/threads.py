"""Choosing and condensing the top comments of a thread (first version)."""

from __future__ import annotations

from .extractive import summarise
from .models import Post, Quote, Summary


def summarise_post(
    post: Post, *, sentences: int = 3, comments: int = 3, method: str = "lexrank"
) -> Summary:
    body = summarise(post.body_text, sentences=sentences, kind="article", method=method)
    ranked = sorted(post.comments, key=lambda c: (-c.thread_size(), -len(c.text)))
    quotes = []
    for comment in ranked[:comments]:
        best = summarise(comment.text, sentences=1, kind="article", method=method)
        if best:
            quotes.append(Quote(comment.ref, comment.author, best[0]))
    return Summary(post.id, post.title, post.date, tuple(body), tuple(quotes))
