"""Reading and writing records and the change feed inside one locked write transaction.

Pushes and administration commands (a structure or counsellor added) both write through here, so
every change a device can pull has its feed entry, with a seq handed out under the hub lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from ..domain.digest import line_hash
from ..domain.hlc import HybridClock
from .db import dumps, feed, hub_state, insert_rows, loads, records
from .merge import DELETED, HUB_WRITER, RecordState
from .numbers import (
    compact_versions,
    compact_writers,
    full_versions,
    full_writers,
    numbers_of,
    stored_numbers,
    versions_devices,
)

CHUNK = 500
HUB_DEVICE = HUB_WRITER  # the writer of what the hub itself creates (structures, counsellors)


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
            body: dict[str, Any] | None) -> int:
        """Queue a feed row; `body` None for a record entry, which a pull builds from its record row."""
        self.seq += 1
        payload = "" if body is None else dumps({"type": entry_type, **body})
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
            record.feed_seq = self.add("record", record.owner, record.kind, record.record_id, None)
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
    columns = (records.c.record_id, records.c.kind, records.c.owner_structure_id, records.c.fields,
               records.c.versions, records.c.writers, records.c.updated_seq, records.c.editor_structure_id)
    loaded = []
    numbers: set[int] = set()
    for chunk in chunks(ids):
        for row in conn.execute(select(*columns).where(records.c.record_id.in_(chunk))):
            versions, writers, named = stored_numbers(row.versions, row.writers)
            numbers |= named
            loaded.append((row, versions, writers))
    names = numbers_of(conn).names(conn, numbers)
    found: dict[str, RecordState] = {}
    for row, versions, writers in loaded:
        found[row.record_id] = RecordState(row.record_id, row.kind, row.owner_structure_id, loads(row.fields),
                                           full_versions(versions, names), full_writers(writers, names),
                                           editor=row.editor_structure_id, feed_seq=row.updated_seq)
    return found


def _row(record: RecordState, seq: int, numbers: dict[str, int]) -> dict[str, Any]:
    mentor = record.fields.get("mentor_id") if record.kind == "tandem" else None
    return {"kind": record.kind, "owner_structure_id": record.owner, "deleted": bool(record.fields.get(DELETED)),
            "mentor_id": mentor, "fields": dumps(record.fields), "versions": compact_versions(record.versions, numbers),
            "writers": compact_writers(record.writers, numbers), "line_hash": line_hash(record.digest_line()),
            "updated_seq": record.feed_seq or seq, "editor_structure_id": record.editor}


def save_records(conn: Connection, states: Iterable[RecordState], seq: int) -> dict[str, int]:
    """Insert the new records and update the changed ones (those marked dirty), versions and writers
    in their compact stored form. `updated_seq` is the seq of the record's feed entry: call
    Ledger.records() first. Returns the device numbers of the ids they name."""
    dirty = [record for record in states if record.dirty]
    devices: set[str] = set()
    for record in dirty:
        devices |= versions_devices(record.versions)
        devices.update(record.writers.values())
    numbers = numbers_of(conn).assign(conn, devices)
    new, changed = [], []
    for record in dirty:
        row = _row(record, seq, numbers)
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
    return numbers
