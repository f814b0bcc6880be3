"""Keyword search over posts and their comment threads: "what has been said about X?".

    index = KeywordIndex.open(Path("data/index"), posts)   # built, or brought up to date
    for hit in index.search('short "sentence offenders" -prison', limit=5):
        print(hit.title, hit.score, [m.text for m in hit.matches])
    index.add_or_update(new_post)                          # one post, no full rebuild
    index.remove(post_id); index.sync(reloaded_posts)      # a deleted post; a whole reload
    index.suggest("worthingtn")                            # -> ["worthington"]
    KeywordIndex.check(query)                              # QueryError before any work

One index covers each post's title, body and every comment (replies too). Ranking is BM25
(tantivy) over analysed terms: English Snowball stems, case and accents folded, stop words
ignored in plain words (see :mod:`summariser.query` for the query language). A hit carries the
post's best passages: sentences from the body or from comments that say different things, with
``(start, end)`` offsets of the query words in them.

The on-disk index keeps each post's content hash. ``open`` compares them with the posts it is
given: a missing, unreadable or old-format index is rebuilt; a stale one gets its changed posts
re-indexed and its deleted posts removed, before any search is answered. When the folder cannot
be written (read-only, locked by another process's writer) the index is built in memory instead.
"""

from __future__ import annotations

import difflib
import logging
import math
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import tantivy

from .analysis import folded, is_stop_word
from .models import Post, SearchHit
from .passages import PassageFinder
from .query import ParsedQuery, QueryError, parse_query
from .search_engine import Engine, SyncReport, Unusable
from .search_engine import schema as search_schema

__all__ = ["KeywordIndex", "QueryError", "SyncReport"]

log = logging.getLogger(__name__)

MAX_LIMIT = 50
MAX_PER_POST = 10
_TITLE_BOOST = 2.0
_Occur = tantivy.Occur


class KeywordIndex:
    """A ranked keyword index over posts (title, body, comments). Thread-safe."""

    def __init__(self, engine: Engine, posts: Iterable[Post], report: SyncReport) -> None:
        self._engine = engine
        self._posts = {post.id: post for post in posts}
        self._hashes = {pid: post.content_hash() for pid, post in self._posts.items()}
        self._passages = PassageFinder()
        self._vocabulary: list[tuple[str, int]] | None = None
        self._lock = threading.RLock()
        self.report = report

    @classmethod
    def build(cls, posts: Iterable[Post], folder: Path | None = None) -> KeywordIndex:
        """A new index of ``posts``: in ``folder`` (replacing any index there) or in memory."""
        posts = list(posts)
        if folder is None:
            return cls(Engine.in_memory(posts), posts, SyncReport("built", on_disk=False))
        try:
            return cls(Engine.create(folder, posts), posts, SyncReport("built"))
        except (OSError, ValueError, Unusable) as exc:
            log.warning("cannot write the index in %s (%s); keeping it in memory", folder, exc)
            report = SyncReport(f"{folder} not writable", on_disk=False)
            return cls(Engine.in_memory(posts), posts, report)

    @classmethod
    def open(cls, folder: Path, posts: Iterable[Post]) -> KeywordIndex:
        """The index in ``folder`` brought up to date with ``posts``; rebuilt when unusable."""
        posts = list(posts)
        try:
            engine = Engine.open(folder)
        except Unusable as exc:
            index = cls.build(posts, folder)
            index.report.rebuilt = f"{exc}" if index.report.on_disk else index.report.rebuilt
            return index
        index = cls(engine, posts, SyncReport())
        index._sync(engine.indexed())
        return index

    def _sync(self, indexed: dict[str, list[str]]) -> None:
        stale = [p for pid, p in self._posts.items() if indexed.get(pid) != [self._hashes[pid]]]
        gone = [pid for pid in indexed if pid not in self._posts]
        self.report.added = sum(1 for p in stale if p.id not in indexed)
        self.report.updated = len(stale) - self.report.added
        self.report.removed = len(gone)
        if stale or gone:
            self._apply(stale, gone)

    def _apply(self, add: list[Post], remove: list[str]) -> None:
        with self._lock:
            try:
                self._engine.apply(add, remove)
            except ValueError as exc:  # another process holds the folder's writer lock
                log.warning("index folder busy (%s); keeping the index in memory", exc)
                self._engine = Engine.in_memory(self._posts.values())
                self.report.on_disk = False
            self._vocabulary = None

    def __len__(self) -> int:
        return len(self._posts)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._posts

    @property
    def on_disk(self) -> bool:
        return self._engine.folder is not None

    def add_or_update(self, post: Post) -> bool:
        """Index a new or changed post (only that post); False when it is already up to date."""
        digest = post.content_hash()
        with self._lock:
            if self._hashes.get(post.id) == digest:
                return False
            self._posts[post.id] = post
            self._hashes[post.id] = digest
            self._passages.forget(post.id)
            self._apply([post], [])
        return True

    def remove(self, post_id: str) -> bool:
        """Drop a deleted post from the index; False when it was not indexed."""
        with self._lock:
            if self._posts.pop(post_id, None) is None:
                return False
            del self._hashes[post_id]
            self._passages.forget(post_id)
            self._apply([], [post_id])
        return True

    @staticmethod
    def check(query: str) -> None:
        """Raise QueryError if ``query`` cannot be searched (no index needed: answer it early)."""
        parse_query(query)

    def sync(self, posts: Iterable[Post]) -> SyncReport:
        """Make the index hold exactly ``posts`` (new and changed re-indexed, missing removed)
        in one commit; cheaper than many ``add_or_update`` calls after a corpus reload."""
        fresh = {post.id: post for post in posts}
        hashes = {pid: post.content_hash() for pid, post in fresh.items()}
        with self._lock:
            stale = [p for pid, p in fresh.items() if self._hashes.get(pid) != hashes[pid]]
            gone = [pid for pid in self._posts if pid not in fresh]
            added = sum(1 for p in stale if p.id not in self._posts)
            self._posts, self._hashes = fresh, hashes
            for post_id in [*gone, *(p.id for p in stale)]:
                self._passages.forget(post_id)
            if stale or gone:
                self._apply(stale, gone)
            return SyncReport(None, added, len(stale) - added, len(gone), self.on_disk)

    def search(self, query: str, *, limit: int = 5, per_post: int = 3) -> list[SearchHit]:
        """The best posts for ``query``, best first, each with up to ``per_post`` passages.

        Raises QueryError for a query the user must fix (empty, only stop words, too long...).
        An empty list means nothing matched: ``suggest(query)`` offers indexed words instead.
        """
        parsed = parse_query(query)
        limit = max(1, min(limit, MAX_LIMIT))
        per_post = max(1, min(per_post, MAX_PER_POST))
        engine = self._engine
        weights = self._weights(engine, parsed)
        hits = self._hits(engine, parsed, weights, limit, per_post, all_words=True)
        if not hits and len(parsed.terms) > 1:
            hits = self._hits(engine, parsed, weights, limit, per_post, all_words=False)
        return hits

    def ranked(self, query: str, *, limit: int = 10) -> list[tuple[str, float]]:
        """(post id, score) from the engine alone, no passages and no fallback (benchmarks)."""
        parsed = parse_query(query)
        found = self._engine.ranked(_engine_query(parsed, all_words=True), limit)
        return [(post_id, score) for score, post_id in found]

    def _hits(
        self,
        engine: Engine,
        parsed: ParsedQuery,
        weights: dict[str, float],
        limit: int,
        per_post: int,
        *,
        all_words: bool,
    ) -> list[SearchHit]:
        hits: list[SearchHit] = []
        query = _engine_query(parsed, all_words=all_words)
        for score, post_id in engine.ranked(query, limit * 2 + 10):
            post = self._posts.get(post_id)
            matches = None if post is None else self._passages.find(post, parsed, weights, per_post)
            if post is None or matches is None:
                continue  # not in the corpus any more, or a phrase split across sentences
            missing = () if all_words else self._missing(post, parsed)
            hits.append(
                SearchHit(post.id, post.title, post.date, round(score, 4), matches, missing)
            )
            if len(hits) == limit:
                break
        return hits

    def _missing(self, post: Post, parsed: ParsedQuery) -> tuple[str, ...]:
        present = self._passages.terms_of(post)
        return tuple(w for w, t in zip(parsed.words, parsed.terms, strict=True) if t not in present)

    @staticmethod
    def _weights(engine: Engine, parsed: ParsedQuery) -> dict[str, float]:
        """Inverse document frequency of each query term; a phrase weighs its words' sum."""
        total = max(engine.searcher.num_docs, 1)
        weights: dict[str, float] = {}
        for term in parsed.all_terms:
            df = engine.searcher.doc_freq("text", term)
            weights[term] = 1.0 + math.log(1 + (total - df + 0.5) / (df + 0.5))
        for phrase in parsed.phrases:
            weights[" ".join(phrase)] = sum(weights[t] for t in phrase)
        return weights

    def suggest(self, query: str, *, limit: int = 3) -> list[str]:
        """Indexed words closest to the query's words that the index lacks (did-you-mean)."""
        try:
            parsed = parse_query(query)
        except QueryError:
            return []
        engine = self._engine
        typed = {t: " ".join(folded(w)) for t, w in zip(parsed.terms, parsed.words, strict=True)}
        wanted = dict.fromkeys([*parsed.terms, *(t for p in parsed.phrases for t in p)])
        unknown = [t for t in wanted if not _indexed(engine, t)]
        if not unknown:
            return []
        vocabulary = self._vocabulary
        if vocabulary is None:
            vocabulary = self._vocabulary = engine.vocabulary()
        counts = dict(vocabulary)
        per_word: list[list[str]] = []
        for stem in unknown:
            like = typed.get(stem, stem)
            near = [v for v in counts if abs(len(v) - len(stem)) <= 3 and v != stem]
            close = difflib.get_close_matches(stem, near, n=limit * 3, cutoff=0.7)
            forms = {self._surface(engine, c, like=like): counts[c] for c in close}
            ratio = {f: difflib.SequenceMatcher(None, like, f).ratio() for f in forms}
            best = sorted(
                (f for f in forms if ratio[f] >= 0.75 and not is_stop_word(f)),
                key=lambda f: (-ratio[f], -forms[f]),
            )
            per_word.append(best[:limit])
        found: list[str] = []  # the best suggestion for each word first, then the runners-up
        for rank in range(limit):
            found += [w[rank] for w in per_word if rank < len(w) and w[rank] not in found]
        return found[:limit]

    def _surface(self, engine: Engine, stem: str, *, like: str) -> str:
        """The written form (folded) of an indexed stem most ``like`` what the user typed."""
        forms: Counter[str] = Counter()
        for _, post_id in engine.ranked(_either_field(stem), 3):
            post = self._posts.get(post_id)
            if post is not None:
                forms.update(self._passages.forms(post, stem))
        if not forms:
            return stem
        return max(forms, key=lambda f: (difflib.SequenceMatcher(None, like, f).ratio(), forms[f]))


def _indexed(engine: Engine, stem: str) -> bool:
    return bool(engine.searcher.doc_freq("text", stem) or engine.searcher.doc_freq("title", stem))


def _engine_query(parsed: ParsedQuery, *, all_words: bool) -> tantivy.Query:
    """Plain words: Must (all) or Should (any); phrases: Must; excluded: MustNot."""
    occur = _Occur.Must if all_words else _Occur.Should
    clauses = [(occur, _either_field(t)) for t in parsed.terms]
    clauses += [(_Occur.Must, _either_field(*p)) for p in parsed.phrases]
    clauses += [(_Occur.MustNot, _either_field(*p)) for p in parsed.excluded]
    return tantivy.Query.boolean_query(clauses)


def _either_field(*words: str) -> tantivy.Query:
    """The term (one word) or phrase in the title (boosted) or in the text."""
    schema = search_schema()
    if len(words) == 1:
        title = tantivy.Query.term_query(schema, "title", words[0])
        text = tantivy.Query.term_query(schema, "text", words[0])
    else:
        title = tantivy.Query.phrase_query(schema, "title", list(words))
        text = tantivy.Query.phrase_query(schema, "text", list(words))
    boosted = tantivy.Query.boost_query(title, _TITLE_BOOST)
    return tantivy.Query.boolean_query([(_Occur.Should, boosted), (_Occur.Should, text)])
