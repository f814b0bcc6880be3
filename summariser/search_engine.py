"""The tantivy index behind :class:`summariser.search.KeywordIndex`: schema, documents, disk.

One tantivy document per post, analysed in Rust by the analyzer of :mod:`summariser.analysis`
(the same one queries and highlighting use). Fields:

- ``post_id`` (raw, stored) and ``hash`` (``Post.content_hash()``, stored): what is indexed;
- ``title`` and ``text`` (body paragraphs and every comment as separate values, so a phrase
  never spans two of them), with positions for phrase queries.

On disk the folder holds tantivy's files and ``digestbot-index.json`` (the format number),
written last: a folder without it, or with another format, is rebuilt from scratch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tantivy

from .analysis import ANALYZER, stemming_analyzer
from .models import Post

log = logging.getLogger(__name__)

FORMAT = 2  # bump when the schema or the analysis changes: older indexes are then rebuilt
MANIFEST = "digestbot-index.json"
_BUILD_HEAP = 256_000_000
_UPDATE_HEAP = 32_000_000


class Unusable(Exception):
    """The on-disk index cannot be used as it is; the message says why (it gets rebuilt)."""


@dataclass
class SyncReport:
    """What opening an index did: a full rebuild (and why) or the posts brought up to date."""

    rebuilt: str | None = None
    added: int = 0
    updated: int = 0
    removed: int = 0
    on_disk: bool = True

    def __str__(self) -> str:
        where = "on disk" if self.on_disk else "in memory"
        if self.rebuilt:
            return f"index rebuilt {where} ({self.rebuilt})"
        return f"index {where}: {self.added} added, {self.updated} updated, {self.removed} removed"


@lru_cache(maxsize=1)
def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("post_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("hash", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title", tokenizer_name=ANALYZER)
    builder.add_text_field("text", tokenizer_name=ANALYZER)
    return builder.build()


def document(post: Post) -> tantivy.Document:
    """The tantivy document of a post: id, content hash, title, body paragraphs and comments."""
    return tantivy.Document(
        post_id=post.id,
        hash=post.content_hash(),
        title=post.title,
        text=[*post.body, *(c.text for c in post.walk_comments())],
    )


class Engine:
    """A tantivy index in a folder (or in memory when ``folder`` is None)."""

    def __init__(self, index: tantivy.Index, folder: Path | None) -> None:
        index.register_tokenizer(ANALYZER, stemming_analyzer())
        self.index = index
        self.folder = folder
        self.searcher = index.searcher()

    @classmethod
    def in_memory(cls, posts: Iterable[Post]) -> Engine:
        engine = cls(tantivy.Index(schema()), None)
        engine.apply(list(posts), (), heap=_BUILD_HEAP)
        return engine

    @classmethod
    def create(cls, folder: Path, posts: Iterable[Post]) -> Engine:
        """A new index in ``folder`` (whatever was there is removed); raises OSError, Unusable."""
        _clear(folder)
        folder.mkdir(parents=True, exist_ok=True)
        engine = cls(_tantivy_index(folder), folder)
        engine.apply(list(posts), (), heap=_BUILD_HEAP)
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps({"format": FORMAT}), encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)
        return engine

    @classmethod
    def open(cls, folder: Path) -> Engine:
        """The index already in ``folder``; raises Unusable (missing, old format, unreadable)."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise Unusable("missing") from None
        except (OSError, ValueError):
            raise Unusable("unreadable manifest") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise Unusable("format changed")
        return cls(_tantivy_index(folder), folder)

    def indexed(self) -> dict[str, list[str]]:
        """Content hashes by post id, as stored in the index (a list: duplicates show up)."""
        found: dict[str, list[str]] = {}
        total = self.searcher.num_docs
        if total == 0:
            return found
        for _, address in self.searcher.search(tantivy.Query.all_query(), total).hits:
            doc = self.searcher.doc(address)
            found.setdefault(doc["post_id"][0], []).append(doc["hash"][0])
        return found

    def apply(
        self, add: Sequence[Post], remove: Iterable[str], *, heap: int = _UPDATE_HEAP
    ) -> None:
        """Remove posts by id, (re-)add posts, commit. Raises ValueError when the lock is busy."""
        writer = self.index.writer(heap_size=heap)
        try:
            for post_id in remove:
                writer.delete_documents_by_term("post_id", post_id)
            for post in add:
                writer.delete_documents_by_term("post_id", post.id)
                writer.add_document(document(post))
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                writer.wait_merging_threads()  # releases the folder's writer lock
        self.index.reload()
        self.searcher = self.index.searcher()

    def ranked(self, query: tantivy.Query, limit: int) -> list[tuple[float, str]]:
        """(score, post id) of the best ``limit`` posts, best first."""
        searcher = self.searcher
        hits = searcher.search(query, limit, count=False).hits
        return [(score, searcher.doc(address)["post_id"][0]) for score, address in hits]

    def vocabulary(self) -> list[tuple[str, int]]:
        """Every indexed term (stemmed) with the number of posts that have it."""
        return list(self.searcher.terms_with_prefix("text", ""))

    def size_on_disk(self) -> int:
        if self.folder is None:
            return 0
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def _tantivy_index(folder: Path) -> tantivy.Index:
    try:
        return tantivy.Index(schema(), path=str(folder), reuse=True)
    except ValueError as exc:
        raise Unusable(f"unreadable: {exc}") from None


def _clear(folder: Path) -> None:
    """Empty an index folder; refuse one that holds anything but an index (a wrong path)."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise Unusable(f"{folder} is a file, not an index folder")
    names = {p.name for p in folder.iterdir()}
    if names and not names & {MANIFEST, "meta.json", ".managed.json", ".tantivy-meta.lock"}:
        raise Unusable(f"{folder} holds other files; not touching it")
    shutil.rmtree(folder)
