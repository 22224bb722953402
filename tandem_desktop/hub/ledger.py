"""Reading and writing records and the change feed inside one locked write transaction.

Pushes and administration commands (a structure or counsellor added) both write through here, so
every change a device can pull has its feed entry, with a seq handed out under the hub lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from ..domain.hlc import HybridClock
from .db import dumps, feed, hub_state, insert_rows, loads, records
from .merge import DELETED, RecordState

CHUNK = 500
HUB_DEVICE = "hub"  # the writer of what the hub itself creates (structures, counsellors)


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def hub_now_ms() -> int:
    """The hub's clock, which bounds the stamps it accepts and which devices follow (hello)."""
    return time.time_ns() // 1_000_000


def hub_stamp() -> str:
    """An HLC version for a value the hub writes itself."""
    return str(HybridClock(HUB_DEVICE, wall_ms=hub_now_ms).now())


class Ledger:
    """Hands out seqs after `last_seq` and queues feed rows; flush() writes them and the new last seq.

    A record has one feed entry, its whole current state: when it changes, its previous entry is
    removed and a new one gets a new seq (the feed is compacted; the cursor is a high-water mark, so
    gaps are harmless). Conflicts and flags keep an entry each.
    """

    def __init__(self, conn: Connection, last_seq: int):
        self.conn = conn
        self.start = last_seq
        self.seq = last_seq
        self._rows: list[dict[str, Any]] = []
        self._touched: dict[str, RecordState] = {}
        self._replaced: list[int] = []

    def add(self, entry_type: str, owner: str | None, kind: str | None, record_id: str | None,
            body: dict[str, Any]) -> int:
        self.seq += 1
        payload = dumps({"type": entry_type, **body})
        self._rows.append({"seq": self.seq, "type": entry_type, "owner_structure_id": owner, "kind": kind,
                           "record_id": record_id, "payload": payload})
        return self.seq

    def field(self, record: RecordState, name: str, value: Any, version: str) -> None:
        """A field of `record` changed: its feed entry is rewritten by records()."""
        record.dirty = True
        self._touched.setdefault(record.record_id, record)

    def records(self) -> None:
        """Give every changed record a new feed entry (its previous one is removed at flush)."""
        for record in self._touched.values():
            if record.feed_seq:
                self._replaced.append(record.feed_seq)
            fields = {name: value for name, value in record.fields.items() if name != DELETED}
            record.feed_seq = self.add("record", record.owner, record.kind, record.record_id, {
                "kind": record.kind, "record_id": record.record_id, "fields": fields,
                "versions": record.versions, "deleted": record.deleted})
        self._touched.clear()

    def flush(self) -> None:
        self.records()
        if self.seq == self.start:
            return
        for old in chunks(sorted(self._replaced)):
            self.conn.execute(delete(feed).where(feed.c.seq.in_(old), feed.c.type == "record"))
        insert_rows(self.conn, feed, self._rows)
        self.conn.execute(update(hub_state).where(hub_state.c.id == 1).values(last_seq=self.seq))
        self._rows.clear()
        self._replaced.clear()
        self.start = self.seq


def load_records(conn: Connection, record_ids: Iterable[str]) -> dict[str, RecordState]:
    ids = sorted({rid for rid in record_ids if isinstance(rid, str) and 0 < len(rid) <= 64})
    found: dict[str, RecordState] = {}
    columns = (records.c.record_id, records.c.kind, records.c.owner_structure_id, records.c.fields,
               records.c.versions, records.c.writers, records.c.updated_seq, records.c.editor_structure_id)
    for chunk in chunks(ids):
        for row in conn.execute(select(*columns).where(records.c.record_id.in_(chunk))):
            found[row.record_id] = RecordState(row.record_id, row.kind, row.owner_structure_id, loads(row.fields),
                                               loads(row.versions), loads(row.writers),
                                               editor=row.editor_structure_id, feed_seq=row.updated_seq)
    return found


def _row(record: RecordState, seq: int) -> dict[str, Any]:
    mentor = record.fields.get("mentor_id") if record.kind == "tandem" else None
    return {"kind": record.kind, "owner_structure_id": record.owner, "deleted": bool(record.fields.get(DELETED)),
            "mentor_id": mentor, "fields": dumps(record.fields), "versions": dumps(record.versions),
            "writers": dumps(record.writers), "digest_line": record.digest_line(),
            "updated_seq": record.feed_seq or seq, "editor_structure_id": record.editor}


def save_records(conn: Connection, states: Iterable[RecordState], seq: int) -> None:
    """Insert the new records and update the changed ones (those marked dirty). `updated_seq` is the
    seq of the record's feed entry: call Ledger.records() first."""
    new, changed = [], []
    for record in states:
        if not record.dirty:
            continue
        row = _row(record, seq)
        if record.is_new:
            new.append({"record_id": record.record_id, **row})
        else:
            changed.append({"b_record_id": record.record_id, **row})
        record.dirty = record.is_new = False
    insert_rows(conn, records, new)
    if changed:
        statement = update(records).where(records.c.record_id == bindparam("b_record_id"))
        for rows in chunks(changed):
            conn.execute(statement, rows)
