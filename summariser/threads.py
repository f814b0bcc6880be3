"""A post condensed: the body's best sentences plus the thread's top comments, quoted.

"Top" is what a reader would call top, in this order of weight:

- **replies**: a comment that started a conversation (its reply count over the largest reply
  count of the post, so the most replied-to comment gets 1);
- **substance**: how much it says (content terms, saturating at ``SUBSTANCE_TERMS``);
- **relation to the post**: cosine between the comment and the post's title and body;
- **centrality**: the score of its best sentence when the whole thread is summarised as a
  discussion (what many commenters talk about).

Replies are candidates too (ref ``"5.1"``). A comment whose quote says what an already chosen
quote says (cosine >= ``DUPLICATE``) is skipped. Each chosen comment is quoted by its best
sentence, verbatim; when that sentence is short, the next (or previous) sentence on the same
line is added, so the quote stays one exact substring of the comment.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .extractive import (
    DUPLICATE,
    MAX_WORDS,
    MIN_WORDS,
    Scored,
    headings,
    prepare,
    resolve_method,
    scale,
    score_sentences,
    select,
)
from .models import Comment, Post, Quote, Summary
from .ranking import TermMatrix, similarity_to, terms
from .sentences import sentence_spans, split_sentences, words

REPLY_WEIGHT = 2.0
SUBSTANCE_WEIGHT = 0.4
RELATION_WEIGHT = 0.4
CENTRALITY_WEIGHT = 0.4
SUBSTANCE_TERMS = 40
QUOTE_MIN_WORDS = 12


@dataclass(frozen=True)
class _Candidate:
    comment: Comment
    score: float
    spans: tuple[tuple[int, int], ...]  # sentence spans inside comment.text
    first: int  # index of its first sentence in the thread's sentence list


def summarise_post(
    post: Post, *, sentences: int = 3, comments: int = 3, method: str = "lexrank"
) -> Summary:
    """The body condensed to ``sentences`` sentences and the ``comments`` top comments."""
    body_method = resolve_method(method, "article")
    scored = prepare(post.body_text, kind="article", method=body_method)
    body = [scored.texts[i] for i in sorted(select(scored, sentences))] if sentences > 0 else []
    quotes = _top(post, comments, method, None, _post_terms(post, scored.matrix))
    return Summary(post.id, post.title, post.date, tuple(body), quotes)


def top_comments(
    post: Post, k: int, *, method: str = "lexrank", refs: Collection[str] | None = None
) -> tuple[Quote, ...]:
    """The ``k`` top comments of ``post`` (best first), each quoted by its best sentence(s).

    With ``refs``, only comments whose ref is in it are candidates; replies, relation and
    centrality are still measured on the whole thread.
    """
    body = TermMatrix.of(split_sentences(post.body_text))
    return _top(post, k, method, refs, _post_terms(post, body))


def _post_terms(post: Post, body: TermMatrix) -> dict[str, float]:
    """Term counts of the post's title and body (the body's matrix summed over sentences)."""
    totals = np.asarray(body.counts.sum(axis=0)).ravel()
    found = {term: float(totals[i]) for term, i in body.vocabulary.items()}
    for term in terms(post.title):
        found[term] = found.get(term, 0.0) + 1.0
    return found


def _top(
    post: Post,
    k: int,
    method: str,
    refs: Collection[str] | None,
    post_terms: dict[str, float],
) -> tuple[Quote, ...]:
    method = resolve_method(method, "discussion")
    split = [(c, tuple(sentence_spans(c.text))) for c in post.walk_comments()] if k > 0 else []
    thread = [c for c, cs in split if cs]
    spans = [cs for _, cs in split if cs]
    if not thread:
        return ()
    texts = [c.text[a:b] for c, cs in zip(thread, spans, strict=True) for a, b in cs]
    blocks = [i for i, cs in enumerate(spans) for _ in cs]
    flags = [f for c, cs in zip(thread, spans, strict=True) for f in headings(c.text, cs)]
    scored = score_sentences(texts, blocks, flags, kind="discussion", method=method)
    wanted = None if refs is None else set(refs)
    quotes: list[Quote] = []
    chosen_rows: list[int] = []
    for candidate in _rank(thread, spans, scored, post_terms):
        if len(quotes) >= k:
            break
        if wanted is not None and candidate.comment.ref not in wanted:
            continue
        best = _best_sentence(candidate, scored)
        if _repeats(scored, best, chosen_rows):
            continue
        chosen_rows.append(best)
        text = _quote(candidate, best - candidate.first)
        quotes.append(Quote(candidate.comment.ref, candidate.comment.author, text))
    return tuple(quotes)


def _rank(
    thread: Sequence[Comment],
    spans: Sequence[tuple[tuple[int, int], ...]],
    scored: Scored,
    post_terms: dict[str, float],
) -> list[_Candidate]:
    """Candidates best first (ties keep thread order)."""
    replies = np.array([c.thread_size() for c in thread], dtype=np.float64)
    reply_part = replies / max(float(replies.max()), 1.0)
    sizes = np.array([len(s) for s in spans])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n = len(scored.texts)
    owner = sparse.csr_matrix((np.ones(n), np.arange(n), starts), shape=(len(thread), n))
    comments = TermMatrix(sparse.csr_matrix(owner @ scored.matrix.counts), {})
    substance = np.minimum(comments.lengths() / SUBSTANCE_TERMS, 1.0)
    vocabulary = scored.matrix.vocabulary
    post_vector = np.zeros(comments.counts.shape[1])
    for term, count in post_terms.items():
        if term in vocabulary:
            post_vector[vocabulary[term]] = count
    relation = scale(np.asarray(comments.unit_smooth() @ post_vector).ravel())
    sentence_scores = scale(scored.scores)
    centrality = np.maximum.reduceat(sentence_scores, starts[:-1])  # every comment has one
    total = (
        REPLY_WEIGHT * reply_part
        + SUBSTANCE_WEIGHT * substance
        + RELATION_WEIGHT * relation
        + CENTRALITY_WEIGHT * centrality
    )
    order = sorted(range(len(thread)), key=lambda i: -float(total[i]))
    return [_Candidate(thread[i], float(total[i]), spans[i], int(starts[i])) for i in order]


def _best_sentence(candidate: _Candidate, scored: Scored) -> int:
    """Row (in the thread's sentence list) of the comment's best quotable sentence."""
    rows = range(candidate.first, candidate.first + len(candidate.spans))
    counts = scored.word_counts

    def tier(row: int) -> int:
        if MIN_WORDS <= counts[row] <= MAX_WORDS:
            return 0
        return 1 if counts[row] < MIN_WORDS else 2

    return min(rows, key=lambda row: (tier(row), -float(scored.scores[row]), row))


def _repeats(scored: Scored, row: int, chosen: Sequence[int]) -> bool:
    """Whether sentence ``row`` says what an already chosen quote says."""
    if not chosen:
        return False
    similarity = similarity_to(scored.unit, row)[list(chosen)]
    same_text = any(scored.texts[row] == scored.texts[c] for c in chosen)
    return same_text or bool((similarity >= DUPLICATE).any())


def _quote(candidate: _Candidate, index: int) -> str:
    """The sentence, widened to a neighbour on the same line when it is short."""
    text, spans = candidate.comment.text, candidate.spans
    start, end = spans[index]
    if len(words(text[start:end])) >= QUOTE_MIN_WORDS:
        return text[start:end]
    for other in (index + 1, index - 1):
        if 0 <= other < len(spans):
            a, b = min(start, spans[other][0]), max(end, spans[other][1])
            if "\n" not in text[a:b] and len(words(text[a:b])) <= MAX_WORDS:
                return text[a:b]
    return text[start:end]
