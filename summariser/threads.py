"""A post condensed: the body's best sentences plus the thread's top comments, quoted.

The body is summarised as an article with the thread as context (a body sentence commenters
quote is evidence of what the post is about). "Top" comments are what a reader would call
top: comments that take up the post's points. Each comment scores (weights in
:class:`CommentWeights`):

- **relation to the post**: cosine to the post's key terms (:mod:`summariser.engagement`);
- **quotes the post**: it repeats six words or more of the body;
- **substance**: how much it says (content terms, saturating at ``SUBSTANCE_TERMS``);
- **centrality**: the score of its best sentence when the whole thread is summarised as a
  discussion (what many commenters talk about);
- **replies**: a comment that started a conversation about the post (log of its reply count
  over the log of the post's largest, times its relation to the post: a conversation that
  left the post behind counts little);
- minus **gossip** (short and barely related to the post) and **pasted** text (long, barely
  related, and with little in common with the rest of the thread: a news story or notice).

Replies are candidates too (ref ``"5.1"``). A comment whose quote says what an already chosen
quote says (cosine >= ``DUPLICATE``) is skipped, and so is one with nothing of its own to quote
(only sentences that repeat the post, or fragments such as "... contradicted by ...").
Each chosen comment is quoted by its best sentence of its own words, verbatim; when that
sentence is short, the next (or previous) sentence on the same line is added, so the quote
stays one exact substring of the comment. ``LEGACY_WEIGHTS`` is the ranking before: mostly
reply counts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .cues import headings
from .engagement import Body, Thread, engagement
from .extractive import (
    DEFAULT_TUNING,
    DUPLICATE,
    MAX_WORDS,
    MIN_WORDS,
    Scored,
    Tuning,
    prepare,
    resolve_method,
    scale,
    score_sentences,
    select,
)
from .models import Comment, Post, Quote, Summary
from .ranking import TermMatrix, similarity_to, terms
from .sentences import sentence_spans, split_sentences, words

SUBSTANCE_TERMS = 40
QUOTE_MIN_WORDS = 12


@dataclass(frozen=True)
class CommentWeights:
    """Weights of the top-comment score (see the module docstring)."""

    replies: float = 0.5
    substance: float = 0.4
    relation: float = 1.2
    centrality: float = 0.4
    quotes_post: float = 0.4
    gossip: float = 0.8
    pasted: float = 1.0
    key_terms: bool = True  # relation to the post's key terms (False: raw term counts)
    log_replies: bool = True  # replies on a log scale (False: linear)


DEFAULT_WEIGHTS = CommentWeights()
LEGACY_WEIGHTS = CommentWeights(
    replies=2.0,
    relation=0.4,
    quotes_post=0.0,
    gossip=0.0,
    pasted=0.0,
    key_terms=False,
    log_replies=False,
)
"""The ranking before engagement features: reply counts first."""


@dataclass(frozen=True)
class _Candidate:
    comment: Comment
    score: float
    spans: tuple[tuple[int, int], ...]  # sentence spans inside comment.text
    first: int  # index of its first sentence in the thread's sentence list


def summarise_post(
    post: Post,
    *,
    sentences: int = 3,
    comments: int = 3,
    method: str = "lexrank",
    tuning: Tuning | None = None,
    weights: CommentWeights | None = None,
) -> Summary:
    """The body condensed to ``sentences`` sentences and the ``comments`` top comments."""
    body_method = resolve_method(method, "article")
    chosen = tuning or DEFAULT_TUNING
    context = [c.text for c in post.walk_comments()]
    scored = prepare(
        post.body_text, kind="article", method=body_method, context=context, tuning=chosen
    )
    picks = select(scored, sentences, chosen) if sentences > 0 else []
    body = [scored.texts[i] for i in sorted(picks)]
    quotes = _top(post, comments, method, None, scored.matrix, weights or DEFAULT_WEIGHTS, chosen)
    return Summary(post.id, post.title, post.date, tuple(body), quotes)


def top_comments(
    post: Post,
    k: int,
    *,
    method: str = "lexrank",
    refs: Collection[str] | None = None,
    weights: CommentWeights | None = None,
    tuning: Tuning | None = None,
) -> tuple[Quote, ...]:
    """The ``k`` top comments of ``post`` (best first), each quoted by its best sentence(s).

    With ``refs``, only comments whose ref is in it are candidates; replies, relation and
    centrality are still measured on the whole thread.
    """
    body = TermMatrix.of(split_sentences(post.body_text))
    return _top(post, k, method, refs, body, weights or DEFAULT_WEIGHTS, tuning or DEFAULT_TUNING)


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
    body: TermMatrix,
    weights: CommentWeights,
    tuning: Tuning,
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
    scored = score_sentences(texts, blocks, flags, kind="discussion", method=method, tuning=tuning)
    wanted = None if refs is None else set(refs)
    body_text = Body(post.body_text)
    echoes = np.array([weights.key_terms and body_text.echoes(t) for t in texts], dtype=bool)
    quotes: list[Quote] = []
    chosen_rows: list[int] = []
    for candidate in _rank(post, body_text, thread, spans, scored, body, weights, echoes):
        if len(quotes) >= k:
            break
        if wanted is not None and candidate.comment.ref not in wanted:
            continue
        best = _best_sentence(candidate, scored, echoes, weights.key_terms)
        if _repeats(scored, best, chosen_rows):
            continue
        if weights.key_terms and (echoes[best] or _fragment(scored.texts[best])):
            continue  # nothing of its own to quote: only the post's words or "... and so ..."
        chosen_rows.append(best)
        text = _quote(candidate, best - candidate.first)
        quotes.append(Quote(candidate.comment.ref, candidate.comment.author, text))
    return tuple(quotes)


def _rank(
    post: Post,
    body_text: Body,
    thread: Sequence[Comment],
    spans: Sequence[tuple[tuple[int, int], ...]],
    scored: Scored,
    body: TermMatrix,
    weights: CommentWeights,
    echoes: np.ndarray,
) -> list[_Candidate]:
    """Candidates best first (ties keep thread order)."""
    reply_part = _replies(thread, weights.log_replies)
    sizes = np.array([len(s) for s in spans])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n = len(scored.texts)
    owner = sparse.csr_matrix((np.ones(n), np.arange(n), starts), shape=(len(thread), n))
    comments = TermMatrix(sparse.csr_matrix(owner @ scored.matrix.counts), {})
    substance = np.minimum(comments.lengths() / SUBSTANCE_TERMS, 1.0)
    centrality = np.maximum.reduceat(scale(scored.scores), starts[:-1])  # every comment has one
    total = weights.substance * substance + weights.centrality * centrality
    if weights.key_terms:
        rows = np.repeat(np.arange(len(thread)), sizes)
        shape = Thread(scored.texts, rows, scored.matrix, [c.text for c in thread], echoes)
        found = engagement(terms(post.title), body_text, body, shape)
        total = total + (
            weights.replies * reply_part * found.relation
            + weights.relation * found.relation
            + weights.quotes_post * found.quotes_post
            - weights.gossip * found.gossip
            - weights.pasted * found.pasted
        )
    else:
        relation = _term_count_relation(post, body, scored, comments)
        total = total + weights.replies * reply_part + weights.relation * relation
    order = sorted(range(len(thread)), key=lambda i: -float(total[i]))
    return [_Candidate(thread[i], float(total[i]), spans[i], int(starts[i])) for i in order]


def _replies(thread: Sequence[Comment], log: bool) -> np.ndarray:
    """Each comment's reply count over the post's largest (on a log scale with ``log``)."""
    replies = np.array([c.thread_size() for c in thread], dtype=np.float64)
    if log:
        return np.asarray(np.log1p(replies) / max(float(np.log1p(replies.max())), 1e-9))
    return np.asarray(replies / max(float(replies.max()), 1.0))


def _term_count_relation(
    post: Post, body: TermMatrix, scored: Scored, comments: TermMatrix
) -> np.ndarray:
    """The relation of before: each comment's smoothed terms against the post's term counts."""
    vocabulary = scored.matrix.vocabulary
    post_vector = np.zeros(comments.counts.shape[1])
    for term, count in _post_terms(post, body).items():
        if term in vocabulary:
            post_vector[vocabulary[term]] = count
    return scale(np.asarray(comments.unit_smooth() @ post_vector).ravel())


def _best_sentence(
    candidate: _Candidate, scored: Scored, echoes: np.ndarray, own_words: bool
) -> int:
    """Row (in the thread's sentence list) of the comment's best quotable sentence; with
    ``own_words``, a sentence that only repeats the post or a fragment ("... and so on ...")
    comes after the commenter's own sentences."""
    rows = range(candidate.first, candidate.first + len(candidate.spans))
    counts = scored.word_counts

    def tier(row: int) -> int:
        if MIN_WORDS <= counts[row] <= MAX_WORDS:
            return 0
        return 1 if counts[row] < MIN_WORDS else 2

    def fragment(row: int) -> bool:
        return own_words and _fragment(scored.texts[row])

    return min(
        rows,
        key=lambda row: (
            bool(echoes[row]),
            fragment(row),
            tier(row),
            -float(scored.scores[row]),
            row,
        ),
    )


def _fragment(sentence: str) -> bool:
    """A piece that continues something else: "... and in a show of allegiance to the MoJ ..."."""
    return sentence.lstrip().startswith(("...", "…"))


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
