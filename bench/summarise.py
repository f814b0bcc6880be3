"""Summarising speed: digestbot against stock sumy LexRank, measured in the same run.

Per seed post, "digestbot" is the whole ``summarise_post`` (body condensed to 3 sentences, the
thread ranked and 3 top comments quoted); "sumy" is stock ``LexRankSummarizer`` run on the body
and on the whole comment thread (same offline tokenizer, stemmer and stop words). Then both
summarise a synthetic discussion of 800 sentences (sentences of the seed threads and bodies,
shuffled with a fixed seed, in contributions of 1-6 sentences).

"warm" is the fastest of repeated runs (word stems cached, as in a running bot that has read
its corpus); "cold" is the first run after the word caches are emptied. Targets: >= 10x on the
seeds, >= 50x at 800 sentences.

    .venv/bin/python bench/summarise.py [--corpus DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _util import progress, table
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.utils import get_stop_words

from summariser import (
    OfflineTokenizer,
    Post,
    load_folder,
    ranking,
    split_sentences,
    summarise,
    summarise_post,
)

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_SENTENCES = 800
QUICK_SENTENCES = 400


def stock_lexrank(paragraphs: Sequence[str], count: int) -> list[str]:
    """Stock sumy LexRank over ``paragraphs`` (each split with the offline splitter)."""
    tokenizer = OfflineTokenizer()
    document = ObjectDocumentModel(
        [Paragraph([Sentence(s, tokenizer) for s in split_sentences(p)]) for p in paragraphs]
    )
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    return [str(s) for s in summarizer(document, count)]


def stock_post(post: Post) -> None:
    stock_lexrank(post.body, 3)
    stock_lexrank([c.text for c in post.walk_comments()], 3)


def timed(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(cold ms, warm ms): the first run after emptying the caches, then the fastest of
    ``repeats`` runs (the least disturbed by other work on the machine), garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        ranking.clear_caches()
        start = time.perf_counter()
        run()
        cold = (time.perf_counter() - start) * 1000
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return cold, min(times)


def synthetic_discussion(posts: Sequence[Post], size: int) -> str:
    """``size`` distinct sentences from the seeds, shuffled, in contributions of 1-6 lines."""
    pool: list[str] = []
    for post in posts:
        pool += split_sentences(post.body_text)
        for comment in post.walk_comments():
            pool += split_sentences(comment.text)
    pool = list(dict.fromkeys(s for s in pool if split_sentences(s) == [s]))
    rng = random.Random(800)
    rng.shuffle(pool)
    while len(pool) < size:  # a small corpus: repeat with a numbered prefix
        pool += [f"{len(pool)}: {s}" for s in pool[: size - len(pool)]]
    chosen, blocks, i = pool[:size], [], 0
    while i < size:
        n = rng.randint(1, 6)
        blocks.append("\n".join(chosen[i : i + n]))
        i += n
    return "\n\n".join(blocks)


def bench_posts(posts: Sequence[Post], repeats: int) -> list[list[object]]:
    rows: list[list[object]] = []
    totals = [0.0, 0.0, 0.0, 0.0, 0.0]
    for post in progress(posts, "seed posts"):
        sentences = len(split_sentences(post.body_text)) + sum(
            len(split_sentences(c.text)) for c in post.walk_comments()
        )
        sumy_cold, sumy_warm = timed(lambda p=post: stock_post(p), repeats)  # type: ignore[misc]
        ours_cold, ours_warm = timed(lambda p=post: summarise_post(p), repeats)  # type: ignore[misc]
        values = (sentences, sumy_warm, ours_warm, sumy_cold, ours_cold)
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        rows.append(_row(post.id, *values))
    rows.append(_row(f"all {len(posts)} seed posts", int(totals[0]), *totals[1:]))
    return rows


def _row(
    name: str,
    sentences: int | float,
    sumy_warm: float,
    ours_warm: float,
    sumy_cold: float,
    ours_cold: float,
) -> list[object]:
    return [
        name,
        int(sentences),
        f"{sumy_warm:.1f}",
        f"{ours_warm:.2f}",
        f"{sumy_warm / ours_warm:.1f}x",
        f"{sumy_cold:.1f}",
        f"{ours_cold:.2f}",
        f"{sumy_cold / ours_cold:.1f}x",
    ]


def bench_synthetic(posts: Sequence[Post], size: int, repeats: int) -> list[object]:
    text = synthetic_discussion(posts, size)
    sentences = split_sentences(text)
    contributions = text.split("\n\n")
    for _ in progress([0], f"synthetic {len(sentences)} sentences"):
        sumy_cold, sumy_warm = timed(lambda: stock_lexrank(contributions, 5), max(1, repeats // 3))
        ours_cold, ours_warm = timed(
            lambda: summarise(text, sentences=5, kind="discussion"), repeats
        )
    same = [
        sentences[i] for i in ranking.best(ranking.lexrank(ranking.TermMatrix.of(sentences)), 5)
    ]
    agree = "same" if same == stock_lexrank(contributions, 5) else "DIFFERENT"
    print(f"synthetic discussion: vectorised LexRank and sumy pick the {agree} 5 sentences")
    return _row("synthetic discussion", len(sentences), sumy_warm, ours_warm, sumy_cold, ours_cold)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "seeds", help="folder of posts")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 400 sentences")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"summarise: no corpus folder {args.corpus}; pass --corpus DIR", file=sys.stderr)
        return 2
    posts = list(load_folder(args.corpus).posts)
    if not posts:
        print(f"summarise: no readable posts in {args.corpus}", file=sys.stderr)
        return 2
    repeats = 3 if args.quick else 9
    rows = bench_posts(posts, repeats)
    size = QUICK_SENTENCES if args.quick else SYNTHETIC_SENTENCES
    rows.append(bench_synthetic(posts, size, repeats))
    headers = ["text", "sentences", "sumy ms", "digestbot ms", "speed-up"]
    headers += ["sumy cold ms", "digestbot cold ms", "cold speed-up"]
    print()
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
