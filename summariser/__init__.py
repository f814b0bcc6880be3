"""digestbot's text core: corpus parsing, offline sentence splitting, extractive summaries.

This package never talks to chats, stores or schedulers; ``bot`` imports only what is listed in
``__all__`` here.
"""

from .cache import SummaryCache
from .corpus import CorpusError, LoadResult, parse_file, parse_text
from .extractive import KINDS, summarise
from .files import fsync_dir, write_atomic
from .folders import load_folder, scan_folder, seed_files
from .models import Comment, Match, Post, Quote, SearchHit, Summary
from .query import QueryError
from .scorers import METHODS
from .search import KeywordIndex, SyncReport
from .sentences import OfflineTokenizer, sentence_spans, split_sentences, words
from .threads import summarise_post, top_comments

__all__ = [
    "KINDS",
    "METHODS",
    "Comment",
    "CorpusError",
    "KeywordIndex",
    "LoadResult",
    "Match",
    "OfflineTokenizer",
    "Post",
    "QueryError",
    "Quote",
    "SearchHit",
    "Summary",
    "SummaryCache",
    "SyncReport",
    "fsync_dir",
    "load_folder",
    "parse_file",
    "parse_text",
    "scan_folder",
    "seed_files",
    "sentence_spans",
    "split_sentences",
    "summarise",
    "summarise_post",
    "top_comments",
    "words",
    "write_atomic",
]
