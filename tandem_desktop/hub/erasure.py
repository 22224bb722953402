"""Erasure at the hub (PROTOCOL.md, "Erasure"): the rule is the domain's (domain/erasure.py).

An `erase` operation clears a person's personal fields under the operation's stamp, makes the record
a tombstone carrying the marker, and clears the free text of every record about them (their tandems,
those tandems' meetings) under a hub stamp. From then on the merge refuses every write to a cleared
field (`erased`, content: the device drops it without keeping its value) and clears any record that
comes to point at an erased one. Conflicts kept about these records go (they hold both sides'
values), and the erasure is logged without anything personal.

On SQLite the hub overwrites every page it frees (secure_delete, hub/db.py) and the write-ahead log
is emptied after an erasure, so the hub file keeps no trace of the old values; PostgreSQL keeps
dead row versions until `tandem-hub vacuum`. The charters of the cleared tandems go too, with their
files (charters.py: forget_tandems).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, or_, select

from ..domain.erasure import ERASED, LINKS, PERSON_KINDS
from . import history
from .db import conflicts, erasures, feed, insert_rows, loads, records, settings, utcnow

if TYPE_CHECKING:
    from .merge import Actor, RecordState

ERASED_CODE = "erased"
CHUNK = 500
LIKE_CHUNK = 100
CHECKPOINT_WAIT_MS = 200  # how long an erasure's checkpoint waits for readers before it is owed
CHECKPOINT_OWED = "wal_checkpoint_owed"  # ids looked for by one scan of a kind's records
VACUUMED = ("records", "feed", "conflicts", "applied_ops", "history", "charters", "blobs", "blob_chunks")


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
    A mentor's tandems come from the indexed `mentor_id`; a mentee's and the meetings from one scan per
    hundred ids (a LIKE per id finds the candidates: ids are unique UUIDs; the fields decide), so an
    erasure of a person with thousands of tandems costs a few scans, not one per tandem."""
    wanted = sorted(set(person_ids))
    tandems: set[str] = set()
    for chunk in _chunks(wanted):
        tandems |= set(conn.execute(select(records.c.record_id).where(
            records.c.kind == "tandem", records.c.mentor_id.in_(chunk))).scalars())
    tandems |= _naming(conn, "tandem", "mentee_id", wanted)
    return tandems | _naming(conn, "meeting", "tandem_id", sorted(tandems))


def _naming(conn: Connection, kind: str, name: str, targets: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(targets), LIKE_CHUNK):
        chunk = targets[start:start + LIKE_CHUNK]
        wanted = set(chunk)
        query = select(records.c.record_id, records.c.fields).where(
            records.c.kind == kind, or_(*(records.c.fields.like(f"%{target}%") for target in chunk)))
        for row in conn.execute(query):
            if loads(row.fields).get(name) in wanted:
                found.add(row.record_id)
    return found


def links_to_erased(record: RecordState, states: dict[str, RecordState]) -> dict[str, Any] | None:
    """The marker of an erased record `record` points at (a tandem's person, a meeting's tandem)."""
    for name in LINKS.get(record.kind, ()):
        target = states.get(record.fields.get(name) or "")
        if target is not None and target.fields.get(ERASED):
            return target.fields[ERASED]
    return None


def settle(conn: Connection, done: list[Erasure], cleared: dict[str, str], actor: Actor) -> None:
    """After the merge of a batch that cleared records (`cleared`: id -> kind, the persons erased and
    the records about them): the conflicts kept about them go with their feed entries, their history
    rows lose the cleared values, the charters of the cleared tandems go with the files no other charter
    names (PROTOCOL.md, "Charters and attachments"), and each erasure is logged."""
    if not cleared:
        return
    from .charters import forget_tandems  # charters.py reads merge.py, which reads this module

    forget_tandems(conn, [rid for rid, kind in cleared.items() if kind == "tandem"])
    ids = sorted(cleared)
    for chunk in _chunks(ids):
        conn.execute(delete(feed).where(feed.c.type == "conflict", feed.c.record_id.in_(chunk)))
        conn.execute(delete(conflicts).where(conflicts.c.record_id.in_(chunk)))
    persons = {rid for rid, kind in cleared.items() if kind in PERSON_KINDS}
    linked: dict[str, set[str]] = {}
    for rid, kind in cleared.items():
        if kind not in PERSON_KINDS:
            linked.setdefault(kind, set()).add(rid)
    history.forget_values(conn, persons, linked)
    known = set()
    for chunk in _chunks(sorted({e.record.record_id for e in done})):
        known |= set(conn.execute(select(erasures.c.record_id).where(erasures.c.record_id.in_(chunk))).scalars())
    now = utcnow()
    insert_rows(conn, erasures, [{
        "record_id": e.record.record_id, "kind": e.record.kind, "owner_structure_id": e.record.owner,
        "reason": e.marker["reason"], "erased_on": e.marker["on"], "at": now, "device_id": actor.device_id,
        "counsellor_id": actor.counsellor_id, "linked": len(e.linked),
    } for e in done if e.record.record_id not in known])


def after_commit(engine: Engine) -> bool:
    """SQLite: the write-ahead log still holds the pages as they were: copy it back and empty it.
    A reader holding an old snapshot (a long pull, a backup) makes SQLite wait: the hub waits a
    moment only, and owes the checkpoint (the `settings` row) until a later push gets it through,
    so no push is held up behind a reader. True when done (or nothing to do)."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        try:
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()
    finally:
        raw.close()
    done = busy is not None and not busy[0]
    with engine.connect() as conn, conn.begin():
        conn.execute(settings.delete().where(settings.c.key == CHECKPOINT_OWED))
        if not done:
            conn.execute(settings.insert(), {"key": CHECKPOINT_OWED, "value": "1", "updated_at": utcnow()})
    return done


def checkpoint_owed(conn: Connection) -> bool:
    """Inside a push: an earlier erasure's checkpoint did not get through yet (see after_commit)."""
    if conn.dialect.name != "sqlite":
        return False
    return conn.execute(select(settings.c.key).where(settings.c.key == CHECKPOINT_OWED)).first() is not None


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
