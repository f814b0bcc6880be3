"""Extractive summarising on top of sumy (first version; ranking improvements to follow)."""

from __future__ import annotations

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.utils import get_stop_words

from .sentences import OfflineTokenizer, sentence_spans

MAX_WORDS = 60


def summarise(
    text: str, *, sentences: int, kind: str = "article", method: str = "lexrank"
) -> list[str]:
    """The ``sentences`` best sentences of ``text``, verbatim, in the order they appear."""
    spans = sentence_spans(text)
    if not spans or sentences <= 0:
        return []
    tokenizer = OfflineTokenizer()
    texts = [text[a:b] for a, b in spans]
    document = ObjectDocumentModel(
        [Paragraph([Sentence(t, tokenizer) for t in texts])]
    )
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    chosen = {str(s) for s in summarizer(document, sentences)}
    return [t for t in texts if t in chosen][:sentences]
