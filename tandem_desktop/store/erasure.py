"""Erasing a person in the local database, whether this device erases them or the hub says so.

The rule of what goes and what stays is the domain's (domain/erasure.py). Here it is applied to
everything this device keeps about the person: their record and the records about them (tandems,
meetings), the pending writes that still carry their values, the conflict list (which keeps values
of both sides), the values an import kept to undo a merge, and the signed charters and scans of
their tandems. The search index forgets their words at once (a contentless FTS5 index keeps a
deleted row's words until its segments merge: the erasure merges them), and the pages SQLite frees
in the erasing transaction are overwritten (secure_delete), so not even the decrypted database
keeps a trace; what remains is the `erasures` row: which record, when, why, by whom.

Every function runs inside the caller's `Store.transaction()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection

from ..domain.erasure import (
    ERASED,
    LINKS,
    PERSON_KINDS,
    Erased,
    erasing_changes,
    linked_marker,
    marker,
    parse_marker,
    personal_fields,
)
from ..domain.ids import new_id
from ..domain.kinds import KINDS
from ..texts.french import NBSP
from . import history, outbox, queries, rows
from .errors import NotFound, StoreError
from .schema import FTS_KINDS, fts_table

if TYPE_CHECKING:
    from .repository import Store

ERASED_CONFLICT = outbox.ERASED  # the conflict type of an edit refused because its person was erased
MSG_DROPPED = (f"Modification non envoyée{NBSP}: cette personne a été effacée (droit à l’effacement ou fin de la "
               "durée de conservation) sur un autre poste. Ses données ne sont plus conservées.")
ERASED_FILE_NAME = "(nom du fichier effacé)"
MSG_NOT_PERSON = "Seules les fiches de mentorés et de mentors peuvent être effacées."
MSG_ALREADY = "Cette fiche a déjà été effacée."


@contextmanager
def overwriting(conn: Connection) -> Iterator[None]:
    """Within this block SQLite overwrites what it frees with zeros (PRAGMA secure_delete)."""
    before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete = {int(before or 0)}")


def erase_here(store: Store, conn: Connection, kind: str, record_id: str, reason: str,
               counsellor_id: str | None, *, merge_index: bool = True) -> Erased:
    """Erase a person on this device and queue the erasure for the hub (one `erase` operation, which
    carries only the marker; the hub clears the records about them itself)."""
    if kind not in PERSON_KINDS:
        raise StoreError(MSG_NOT_PERSON)
    spec = KINDS[kind]
    row = _row(conn, kind, record_id)
    if row is None:
        raise NotFound(spec.label, record_id)
    if row[ERASED] is not None:
        raise StoreError(MSG_ALREADY)
    record = queries.record_from_row(spec, row)
    mark = marker(kind, record, reason, store.today())
    stamp = str(store.clock.now())
    with overwriting(conn):
        _clear(conn, kind, row, erasing_changes(kind, mark, person=True), stamp)
        done = Erased(kind, record_id, mark)
        done.linked = _clear_linked(conn, record_id, linked_marker(mark), stamp)
        done.pending_dropped = _drop_pending(conn, {record_id}, done.linked)
        done.charters = _purge_around(conn, {record_id} | _ids(done.linked), done.linked.get("tandem", []))
        store._append_writes(conn, [("erase", kind, record_id, {ERASED: mark}, {}, stamp)], [{}])
        history.forget_values(conn, {record_id}, done.linked)
        if merge_index:  # (a bulk erasure merges the index once, at its end)
            forget_words(conn, (kind,))
        _log(conn, kind, record_id, mark, store.device_id, counsellor_id, sum(map(len, done.linked.values())))
    return done


def receive(conn: Connection, erased: Mapping[str, Mapping[str, tuple[dict[str, Any], dict[str, str]]]],
            received_at: str) -> tuple[int, set[str]]:
    """Before a pulled page is applied: records the hub says are erased (kind -> id -> (values,
    versions) holding a marker) and this device still holds otherwise. Their pending writes of an
    erased field go, each reported in the conflict list without its value; conflicts, import undo
    values and charters about them go too. The page's values (cleared fields) are applied after.
    Returns the number of local writes refused, and the kinds whose search index held one of them
    (to merge once the page is applied: a first sync's erased records were never indexed)."""
    fresh: dict[str, list[str]] = {}
    indexed: set[str] = set()
    for kind, found in erased.items():
        for record_id, (values, versions) in found.items():
            mark = parse_marker(values.get(ERASED))
            if mark is None:
                continue
            row = _row(conn, kind, record_id)
            if row is not None and row[ERASED] is not None \
                    and rows.effective_versions(KINDS[kind], row).get(ERASED) == versions.get(ERASED):
                continue  # already erased here with that very version
            fresh.setdefault(kind, []).append(record_id)
            if row is None or mark.get("linked"):
                continue
            if not row["deleted"]:
                indexed.add(kind)
            _log(conn, kind, record_id, mark, None, None, 0)
    if not fresh:
        return 0, indexed
    persons = {rid for kind in PERSON_KINDS for rid in fresh.get(kind, [])}
    linked = {kind: ids for kind, ids in fresh.items() if kind not in PERSON_KINDS}
    with overwriting(conn):
        dropped = _drop_pending(conn, persons, linked, report_at=received_at)
        _purge_around(conn, persons | _ids(linked), linked.get("tandem", []))
        history.forget_values(conn, persons, linked)
    return dropped, indexed


def forget_words(conn: Connection, kinds: Iterable[str]) -> None:
    """Merge the search index's segments, which drops the words of deleted rows (see the module doc).
    Called after the rows changed: inside the same transaction, with secure_delete on."""
    with overwriting(conn):
        for kind in kinds:
            if kind in FTS_KINDS:
                conn.exec_driver_sql(f"INSERT INTO {fts_table(kind)} ({fts_table(kind)}) VALUES ('optimize')")


def _ids(by_kind: Mapping[str, Iterable[str]]) -> set[str]:
    return {rid for ids in by_kind.values() for rid in ids}


def _row(conn: Connection, kind: str, record_id: str) -> Any:
    return conn.exec_driver_sql(f"SELECT * FROM {kind} WHERE id = ?", (record_id,)).mappings().first()


def _clear(conn: Connection, kind: str, row: Any, changes: dict[str, Any], stamp: str) -> None:
    spec = KINDS[kind]
    versions = rows.effective_versions(spec, row)
    record = queries.record_from_row(spec, row)
    for name, value in changes.items():
        versions[name] = stamp
        if name != "deleted":
            record[name] = value
    rows.update_row(conn, spec, row, changes, versions, record=record, updated=max(stamp, row["updated_hlc"]))


def _clear_linked(conn: Connection, person_id: str, mark: dict[str, Any], stamp: str) -> dict[str, list[str]]:
    """The tandems of the person and their meetings lose their free text (they stay counted)."""
    tandems = conn.exec_driver_sql(
        f"SELECT * FROM tandem WHERE {' OR '.join(f'{n} = ?' for n in LINKS['tandem'])}",
        (person_id,) * len(LINKS["tandem"])).mappings().all()
    cleared: dict[str, list[str]] = {}
    for tandem in tandems:
        if tandem[ERASED] is None:
            _clear(conn, "tandem", tandem, erasing_changes("tandem", mark, person=False), stamp)
        cleared.setdefault("tandem", []).append(tandem["id"])
        for meeting in conn.exec_driver_sql("SELECT * FROM meeting WHERE tandem_id = ?", (tandem["id"],)).mappings():
            if meeting[ERASED] is None:
                _clear(conn, "meeting", meeting, erasing_changes("meeting", mark, person=False), stamp)
            cleared.setdefault("meeting", []).append(meeting["id"])
    return cleared


def _drop_pending(conn: Connection, persons: set[str], linked: Mapping[str, Iterable[str]], *,
                  report_at: str | None = None) -> int:
    """Pending writes carrying erased values: a person's go whole; a tandem's or meeting's lose their
    personal fields (the rest still goes). With `report_at`, each one is put in the conflict list
    without any value, so the counsellor knows their edit was refused."""
    targets = {rid: kind for kind, ids in linked.items() for rid in ids}
    targets.update({rid: "" for rid in persons})
    if not targets:
        return 0
    dropped = 0
    ids = sorted(targets)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found = conn.exec_driver_sql(
            f"SELECT seq, action, kind, record_id, changes, base_versions, hlc FROM outbox "
            f"WHERE record_id IN ({', '.join('?' * len(chunk))}) ORDER BY seq", tuple(chunk)).all()
        for seq, action, kind, record_id, changes_text, bases_text, hlc in found:
            if action == "erase":
                continue
            changes = orjson.loads(changes_text)
            personal = set(personal_fields(kind)) if targets[record_id] else set(changes)
            gone = [name for name in changes if name in personal]
            if not gone:
                continue
            dropped += 1
            if report_at is not None:
                conn.exec_driver_sql(
                    "INSERT OR IGNORE INTO sync_conflicts (id, seq, conflict_type, kind, record_id, field,"
                    " lost_version, message, received_at, resolved) VALUES (?, NULL, ?, ?, ?, NULL, ?, ?, ?, 0)",
                    (new_id(), ERASED_CONFLICT, kind, record_id, hlc, MSG_DROPPED, report_at))
            left = {n: v for n, v in changes.items() if n not in personal}
            if not left:
                conn.exec_driver_sql("DELETE FROM outbox WHERE seq = ?", (seq,))
                continue
            bases = {n: v for n, v in orjson.loads(bases_text).items() if n not in personal}
            conn.exec_driver_sql("UPDATE outbox SET changes = ?, base_versions = ? WHERE seq = ?",
                                 (rows.encode(left), rows.encode(bases), seq))
    return dropped


def _purge_around(conn: Connection, record_ids: set[str], tandem_ids: Iterable[str]) -> int:
    """Conflicts (both sides' values), undo values of imports and the charters of the tandems (with the
    chunks of their files still downloading)."""
    ids = sorted(record_ids)
    charters = 0
    for start in range(0, len(ids), 500):
        chunk = tuple(ids[start:start + 500])
        marks = ", ".join("?" * len(chunk))
        conn.exec_driver_sql(f"DELETE FROM sync_conflicts WHERE record_id IN ({marks}) AND conflict_type != ?",
                             (*chunk, ERASED_CONFLICT))
    tandems = sorted(set(tandem_ids))
    for start in range(0, len(tandems), 500):
        chunk = tuple(tandems[start:start + 500])
        marks = ", ".join("?" * len(chunk))
        conn.exec_driver_sql(  # the chunks of their files being downloaded go with them
            f"DELETE FROM blob_parts WHERE sha256 IN (SELECT sha256 FROM charters WHERE tandem_id IN ({marks})"
            f" UNION SELECT scan_sha256 FROM charters WHERE tandem_id IN ({marks}))", chunk + chunk)
        charters += conn.exec_driver_sql(f"DELETE FROM charters WHERE tandem_id IN ({marks})", chunk).rowcount
    wanted = set(ids)
    for batch_id, created_text, merged_text in conn.exec_driver_sql(
            "SELECT id, created, merged FROM import_batches").all():
        merged = orjson.loads(merged_text)
        kept = [entry for entry in merged if not (isinstance(entry, list) and len(entry) > 1 and entry[1] in wanted)]
        created = orjson.loads(created_text)
        made = isinstance(created, dict) and any(wanted & set(v) for v in created.values() if isinstance(v, list))
        if len(kept) != len(merged) or made:  # the file's name may be the person's (« inscription-Dupont.csv »)
            conn.exec_driver_sql("UPDATE import_batches SET merged = ?, file_name = ? WHERE id = ?",
                                 (rows.encode(kept), ERASED_FILE_NAME, batch_id))
    return charters


def _log(conn: Connection, kind: str, record_id: str, mark: dict[str, Any], device_id: str | None,
         counsellor_id: str | None, linked: int) -> None:
    from .remote import utc_now

    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO erasures (record_id, kind, reason, erased_on, erased_at, counsellor_id, device_id,"
        " linked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (record_id, kind, mark["reason"], mark["on"], utc_now(), counsellor_id, device_id, linked))


def erasure_log(conn: Connection, since: date | None = None) -> list[dict[str, Any]]:
    """The erasures this device knows, newest first (nothing personal in them)."""
    query = "SELECT record_id, kind, reason, erased_on, erased_at, counsellor_id, device_id, linked FROM erasures"
    params: tuple[Any, ...] = ()
    if since is not None:
        query += " WHERE erased_on >= ?"
        params = (since.isoformat(),)
    return [dict(row) for row in conn.exec_driver_sql(query + " ORDER BY erased_at DESC", params).mappings()]
