"""digestbot's text core: corpus parsing, offline sentence splitting, extractive summaries.

This package never talks to chats, stores or schedulers; ``bot`` imports only what is listed in
``__all__`` here.
"""

from .corpus import CorpusError, LoadResult, load_folder, parse_file, parse_text
from .extractive import summarise
from .models import Comment, Match, Post, Quote, SearchHit, Summary
from .sentences import OfflineTokenizer, sentence_spans, split_sentences, words
from .threads import summarise_post

__all__ = [
    "Comment",
    "CorpusError",
    "LoadResult",
    "Match",
    "OfflineTokenizer",
    "Post",
    "Quote",
    "SearchHit",
    "Summary",
    "load_folder",
    "parse_file",
    "parse_text",
    "sentence_spans",
    "split_sentences",
    "summarise",
    "summarise_post",
    "words",
]
