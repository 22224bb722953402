"""The few reads of the right of access that the Store has no method for: records kept as tombstones
(a deleted tandem still holds its notes), field versions (when each value was written) and the
pending writes of the outbox about a person.

Read-only SQLAlchemy Core over the store's own tables, through `Store.reading()`; used by
services/privacy/ (the access dossier).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy import or_, select

from ..domain.kinds import KINDS
from . import queries, rows
from .erasure import erasure_log
from .repository import Store
from .schema import RECORD_TABLES, outbox

_CHUNK = 500


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def record_with_versions(store: Store, kind: str, record_id: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The record, deleted or not, and its field versions (field -> HLC stamp of its last write)."""
    spec = KINDS[kind]
    table = RECORD_TABLES[kind]
    with store.reading() as conn:
        row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        return None
    return queries.record_from_row(spec, row), rows.effective_versions(spec, row)


def tandems_of(store: Store, person_id: str) -> list[dict[str, Any]]:
    """Every tandem the person is in, as mentee or as mentor, tombstones included, oldest first."""
    table = RECORD_TABLES["tandem"]
    stmt = (select(table).where(or_(table.c.mentee_id == person_id, table.c.mentor_id == person_id))
            .order_by(table.c.created_hlc))
    with store.reading() as conn:
        return [queries.record_from_row(KINDS["tandem"], row) for row in conn.execute(stmt).mappings()]


def meetings_of(store: Store, tandem_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The meetings of these tandems, tombstones included, by date."""
    table = RECORD_TABLES["meeting"]
    found: list[dict[str, Any]] = []
    with store.reading() as conn:
        for chunk in _chunks(sorted(set(tandem_ids))):
            stmt = select(table).where(table.c.tandem_id.in_(chunk))
            found += [queries.record_from_row(KINDS["meeting"], row) for row in conn.execute(stmt).mappings()]
    return sorted(found, key=lambda m: (m.get("date") or "", m["created_hlc"]))


def pending_writes(store: Store, record_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The outbox writes (not yet taken by the hub) about these records, in write order."""
    found: list[dict[str, Any]] = []
    with store.reading() as conn:
        for chunk in _chunks(sorted(set(record_ids))):
            stmt = (select(outbox.c.seq, outbox.c.op_id, outbox.c.action, outbox.c.kind, outbox.c.record_id,
                           outbox.c.changes, outbox.c.hlc).where(outbox.c.record_id.in_(chunk)))
            found += [{**dict(row), "changes": orjson.loads(row["changes"])} for row in conn.execute(stmt).mappings()]
    return sorted(found, key=lambda w: w["seq"])


def history_of(store: Store, record_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of the record history (store/history.py, migration 0009) about these records, oldest
    first, `changes` as {field: [before, after]}; [] on a profile that has no history table yet.
    Read with SELECT * so a column added to the table later comes along."""
    found: list[dict[str, Any]] = []
    with store.reading() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'").first() \
                is None:
            return []
        for chunk in _chunks(sorted(set(record_ids))):
            marks = ", ".join("?" * len(chunk))
            for row in conn.exec_driver_sql(f"SELECT * FROM history WHERE record_id IN ({marks})",
                                            tuple(chunk)).mappings():
                found.append({**dict(row), "changes": orjson.loads(row["changes"] or "{}")})
    return sorted(found, key=lambda r: (r.get("hub_seq") is None, r.get("hub_seq") or 0, r["hlc"]))


def erasure_of(store: Store, record_id: str) -> dict[str, Any] | None:
    """The erasure log's entry for this record (nothing personal in it), or None."""
    with store.reading() as conn:
        return next((e for e in erasure_log(conn) if e["record_id"] == record_id), None)
