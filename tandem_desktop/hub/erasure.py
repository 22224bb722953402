"""Erasure at the hub (PROTOCOL.md, "Erasure"): the rule is the domain's (domain/erasure.py).

An `erase` operation clears a person's personal fields under the operation's stamp, makes the record
a tombstone carrying the marker, and clears the free text of every record about them (their tandems,
those tandems' meetings) under a hub stamp. From then on the merge refuses every write to a cleared
field (`erased`, content: the device drops it without keeping its value) and clears any record that
comes to point at an erased one. Conflicts kept about these records go (they hold both sides'
values), and the erasure is logged without anything personal.

On SQLite the hub overwrites every page it frees (secure_delete, hub/db.py) and the write-ahead log
is emptied after an erasure, so the hub file keeps no trace of the old values; PostgreSQL keeps
dead row versions until `tandem-hub vacuum`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, select

from ..domain.erasure import ERASED, LINKS
from . import history
from .db import conflicts, erasures, feed, insert_rows, loads, records, utcnow

if TYPE_CHECKING:
    from .merge import Actor, RecordState

ERASED_CODE = "erased"
CHUNK = 500
VACUUMED = ("records", "feed", "conflicts", "applied_ops", "history")


@dataclass
class Erasure:
    record: RecordState
    marker: dict[str, Any]
    linked: list[RecordState]


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def linked_ids(conn: Connection, person_ids: Iterable[str]) -> set[str]:
    """Ids of the tandems naming these persons and of those tandems' meetings, to load before a merge.
    A LIKE finds the candidates (ids are unique UUIDs); the fields decide."""
    found: set[str] = set()
    for kind, names in LINKS.items():
        wanted = set(person_ids) if kind == "tandem" else {rid for rid in found}
        for target in sorted(wanted):
            query = select(records.c.record_id, records.c.fields).where(
                records.c.kind == kind, records.c.fields.like(f"%{target}%"))
            for row in conn.execute(query):
                if target in (loads(row.fields).get(name) for name in names):
                    found.add(row.record_id)
    return found


def links_to_erased(record: RecordState, states: dict[str, RecordState]) -> dict[str, Any] | None:
    """The marker of an erased record `record` points at (a tandem's person, a meeting's tandem)."""
    for name in LINKS.get(record.kind, ()):
        target = states.get(record.fields.get(name) or "")
        if target is not None and target.fields.get(ERASED):
            return target.fields[ERASED]
    return None


def settle(conn: Connection, done: list[Erasure], actor: Actor) -> None:
    """After the merge of a batch with erasures: the conflicts about the records cleared go with
    their feed entries, and each erasure is logged."""
    if not done:
        return
    ids = sorted({e.record.record_id for e in done} | {r.record_id for e in done for r in e.linked})
    for chunk in _chunks(ids):
        conn.execute(delete(feed).where(feed.c.type == "conflict", feed.c.record_id.in_(chunk)))
        conn.execute(delete(conflicts).where(conflicts.c.record_id.in_(chunk)))
    linked: dict[str, set[str]] = {}
    for e in done:
        for other in e.linked:
            linked.setdefault(other.kind, set()).add(other.record_id)
    history.forget_values(conn, {e.record.record_id for e in done}, linked)
    known = set()
    for chunk in _chunks(sorted({e.record.record_id for e in done})):
        known |= set(conn.execute(select(erasures.c.record_id).where(erasures.c.record_id.in_(chunk))).scalars())
    now = utcnow()
    insert_rows(conn, erasures, [{
        "record_id": e.record.record_id, "kind": e.record.kind, "owner_structure_id": e.record.owner,
        "reason": e.marker["reason"], "erased_on": e.marker["on"], "at": now, "device_id": actor.device_id,
        "counsellor_id": actor.counsellor_id, "linked": len(e.linked),
    } for e in done if e.record.record_id not in known])


def after_commit(engine: Engine) -> None:
    """SQLite: the write-ahead log still holds the pages as they were; copy it back and empty it."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def vacuum(engine: Engine) -> list[str]:
    """PostgreSQL keeps the old versions of updated rows until a VACUUM FULL rewrites the tables (SQLite:
    a VACUUM). For `tandem-hub vacuum`, after erasures: it locks the tables for its duration."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return ["(fichier SQLite entier)"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in VACUUMED:
            conn.exec_driver_sql(f"VACUUM FULL {table}")
    return list(VACUUMED)
