"""The algorithm registry: method name -> per-sentence scores (higher = more central).

``lexrank`` and ``textrank`` are sumy's maths vectorised (:mod:`summariser.ranking`); ``lsa`` and
``sumbasic`` are sumy's maths in numpy as well; ``luhn`` and ``kl`` run sumy's own summarisers
through their public API, with a sentence-count callable that records every sentence's rating
instead of keeping only the best few. sumy's classes are imported when first used (they load
nltk, which takes most of a second).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .ranking import STOP_WORDS, TermMatrix, lexrank, stem, textrank
from .sentences import OfflineTokenizer, words

Scorer = Callable[[Sequence[str], TermMatrix], np.ndarray]

LSA_SMOOTH = 0.4


def lsa(sentences: Sequence[str], matrix: TermMatrix) -> np.ndarray:
    """sumy's LSA rating without the SVD.

    sumy keeps every singular dimension (``REDUCTION_RATIO = 1``) and rates sentence j as
    sqrt(sum_i sigma_i^2 v_ij^2), which is exactly the length of column j of the matrix it
    decomposed: the smoothed term frequencies 0.4 + 0.6 * tf / max tf of that sentence. As in
    sumy, the vocabulary is the content terms, but every word whose stem is in it counts (stop
    words included).
    """
    vocabulary = matrix.vocabulary
    counted = [
        [t for t in (stem(w.lower()) for w in words(s)) if t in vocabulary] for s in sentences
    ]
    counts = TermMatrix.build(counted)
    n, rows = counts.size, counts.rows()
    row_max = np.zeros(n)
    if counts.counts.nnz:
        np.maximum.at(row_max, rows, counts.counts.data)
    tf = counts.counts.data / np.maximum(row_max[rows], 1.0)
    smoothed = LSA_SMOOTH + (1 - LSA_SMOOTH) * tf
    stored = np.bincount(rows, minlength=n)
    unstored = (len(vocabulary) - stored) * LSA_SMOOTH**2
    squares = np.bincount(rows, smoothed * smoothed, minlength=n) + unstored
    squares[row_max == 0] = 0.0
    return np.asarray(np.sqrt(squares))


def sumbasic(sentences: Sequence[str], matrix: TermMatrix) -> np.ndarray:
    """sumy's SumBasic: repeatedly take the sentence with the highest mean word probability,
    then square the probabilities of its words. Rating = minus the round it was taken in."""
    counts, n = matrix.counts, matrix.size
    total = counts.data.sum()
    probability = np.asarray(counts.sum(axis=0)).ravel() / (total if total else 1.0)
    lengths = matrix.lengths()
    ratings = np.zeros(n)
    remaining = np.ones(n, dtype=bool)
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    for round_ in range(n):
        sums = counts @ probability
        means = np.divide(sums, lengths, out=np.zeros(n), where=lengths > 0)
        means[~remaining] = -2.0
        chosen = int(np.argmax(means))
        remaining[chosen] = False
        ratings[chosen] = -round_
        start, end = indptr[chosen], indptr[chosen + 1]
        probability[indices[start:end]] **= 2.0 ** data[start:end]
    return ratings


def sumy_ratings(summarizer: Any, sentences: Sequence[str]) -> np.ndarray:
    """Run a sumy summariser and read back the rating of every sentence (in source order)."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    tokenizer = OfflineTokenizer()
    document = ObjectDocumentModel([Paragraph([Sentence(s, tokenizer) for s in sentences])])
    ratings = np.zeros(len(sentences))

    def keep_all(infos: list[Any]) -> list[Any]:
        for info in infos:
            ratings[info.order] = float(info.rating)
        return infos

    summarizer(document, keep_all)
    return ratings


def luhn(sentences: Sequence[str], matrix: TermMatrix) -> np.ndarray:
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.luhn import LuhnSummarizer

    summarizer = LuhnSummarizer(Stemmer("english"))
    summarizer.stop_words = STOP_WORDS
    return sumy_ratings(summarizer, sentences)


def kl(sentences: Sequence[str], matrix: TermMatrix) -> np.ndarray:
    """sumy's KL-Sum (cubic in the number of sentences: articles only)."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.kl import KLSummarizer

    summarizer = KLSummarizer(Stemmer("english"))
    summarizer.stop_words = STOP_WORDS
    return sumy_ratings(summarizer, sentences)


def _lexrank(sentences: Sequence[str], matrix: TermMatrix) -> np.ndarray:
    return lexrank(matrix)


def _textrank(sentences: Sequence[str], matrix: TermMatrix) -> np.ndarray:
    return textrank(matrix)


SCORERS: dict[str, Scorer] = {
    "lexrank": _lexrank,
    "textrank": _textrank,
    "luhn": luhn,
    "lsa": lsa,
    "sumbasic": sumbasic,
    "kl": kl,
}
METHODS: tuple[str, ...] = tuple(SCORERS)
CUBIC_METHODS = frozenset({"kl"})
