"""The store's run log (``DATA/store/runs.json``): one record per scheduler run that had work."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tinydb import TinyDB

from bot.domain.records import Run, run_from_doc
from bot.store.tinydb.atomic import AtomicJSONStorage, StoreCorrupt, StoreError
from bot.store.tinydb.layout import checked, tables_of


class RunLog:
    """Run records by id, read (and checked) at open; each change is one small write."""

    def __init__(self, path: Path, *, readonly: bool) -> None:
        self.path = path
        self._db = TinyDB(path, storage=AtomicJSONStorage, readonly=readonly)
        self._ids: dict[str, int] = {}
        self._runs: dict[str, Run] = {}
        for doc in tables_of(self._db, path, "runs"):
            run: Run = checked(path, doc.doc_id, run_from_doc, doc)
            if run.id in self._ids:
                raise StoreCorrupt(
                    path, f"records {self._ids[run.id]} and {doc.doc_id} are both run {run.id}; "
                    "remove one, or copy the .bak file next to it over this file"
                )  # fmt: skip
            self._ids[run.id] = doc.doc_id
            self._runs[run.id] = run

    def record(self, run: Run) -> Run:
        """Insert or replace a run record (started before sending, finished after)."""
        table = self._db.table("runs", cache_size=0)
        doc_id = self._ids.get(run.id)
        if doc_id is None:
            self._ids[run.id] = table.insert(run.as_doc())
        else:
            table.update(run.as_doc(), doc_ids=[doc_id])
        self._runs[run.id] = run
        return run

    def latest(self, limit: int) -> list[Run]:
        return sorted(self._runs.values(), key=lambda r: (r.started, r.id), reverse=True)[:limit]

    def drop_before(self, cutoff: datetime) -> None:
        old = [r.id for r in self._runs.values() if r.started < cutoff]
        if old:
            self._db.table("runs", cache_size=0).remove(doc_ids=[self._ids.pop(i) for i in old])
            for run_id in old:
                del self._runs[run_id]

    def close(self) -> None:
        self._db.close()


def closed(path: Path) -> StoreError:
    return StoreError(f"{path}: the store is closed")
