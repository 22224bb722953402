"""The sync engine's writes to the local database: pulled pages, push acknowledgements, sync state.

These are the only writes that do not come from the counsellor, so they append nothing to the outbox;
they still go through `Store.transaction()`, the one write path (records, search index, clock).
See tandem_desktop/sync/PROTOCOL.md for what the hub sends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, delete, select, update

from ..domain.fields import KindSpec
from ..domain.hlc import Stamp
from ..domain.kinds import KINDS
from . import deferred, erasure, lines, pulled, queries, rows
from . import outbox as outbox_rows
from .schema import FTS_KINDS, meta_table, outbox, sync_conflicts, sync_flags

if TYPE_CHECKING:
    from .repository import Store

STATE_PREFIX = "sync_"
_DONE = ("applied", "conflict", "refused")


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass
class PageStats:
    """What one pulled page changed locally (kinds_changed tells the GUI which lists to reload)."""

    fields_applied: int = 0
    fields_kept_local: int = 0  # a pending local operation will be pushed with its base instead
    conflicts_new: int = 0
    flags_new: int = 0
    refused_by_erasure: int = 0  # local writes of a person erased elsewhere: dropped, in the conflict list
    kinds_changed: set[str] = field(default_factory=set)


@dataclass
class AckStats:
    acknowledged: int = 0
    applied: int = 0
    conflicts: int = 0
    refused: int = 0  # about the record's content: now in the local conflict list
    kept: int = 0  # refused for a reason the device cannot fix: still in the outbox, sent again
    kept_records: set[str] = field(default_factory=set)
    kept_reason: str = ""
    flags_new: int = 0


class RemoteChanges:
    """Apply what the hub decided; never appends to the outbox."""

    def __init__(self, store: Store):
        self.store = store

    # -- sync state (meta table, keys prefixed sync_) -----------------------------------------------

    def state(self) -> dict[str, str]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(meta_table.c.key, meta_table.c.value).where(meta_table.c.key.like(f"{STATE_PREFIX}%"))
            ).all()
        return {key[len(STATE_PREFIX):]: value for key, value in rows}

    def set_state(self, **values: str | int | bool | None) -> None:
        """Store values (None removes the key), all in one transaction."""
        with self.store.transaction() as conn:
            self._set_state(conn, values)

    @staticmethod
    def _set_state(conn: Connection, values: dict[str, Any]) -> None:
        for name, value in values.items():
            key = STATE_PREFIX + name
            if value is None:
                conn.execute(delete(meta_table).where(meta_table.c.key == key))
            else:
                text = str(int(value)) if isinstance(value, bool) else str(value)
                conn.execute(meta_table.insert().prefix_with("OR REPLACE"), {"key": key, "value": text})

    # -- push side ---------------------------------------------------------------------------------

    def outbox_batch(self, after_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """(outbox seq, protocol op) for the next `limit` writes after `after_seq`, in write order."""
        stmt = select(outbox).where(outbox.c.seq > after_seq).order_by(outbox.c.seq).limit(limit)
        with self.store.reading() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [(row["seq"], {
            "op_id": row["op_id"], "action": row["action"], "kind": row["kind"], "record_id": row["record_id"],
            "changes": orjson.loads(row["changes"]), "base_versions": orjson.loads(row["base_versions"]),
            "hlc": row["hlc"],
        }) for row in rows]

    def acknowledge(self, sent: list[tuple[int, dict[str, Any]]], results: list[dict[str, Any]],
                    flags: Iterable[dict[str, Any]] = ()) -> AckStats:
        """Settle the outbox rows the hub answered for, in one transaction (see outbox.py): applied
        and conflicting ones leave; refusals the device cannot fix stay to be sent again (a new op
        id, a new stamp where that was the reason); refusals about the record's content leave for
        the local conflict list, value kept. Unanswered rows stay."""
        by_id: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for seq, op in sent:  # one op id may name two rows (`duplicate_op`): results come in their order
            by_id.setdefault(op["op_id"], []).append((seq, op))
        stats = AckStats()
        now = utc_now()
        with self.store.transaction() as conn:
            seqs, restamp = [], []
            for result in results:
                rows = by_id.get(result.get("op_id")) if isinstance(result.get("op_id"), str) else None
                status = result.get("status")
                if not rows or status not in _DONE:
                    continue
                seq, op = rows.pop(0)
                stats.acknowledged += 1
                if status != "refused":
                    seqs.append(seq)
                    stats.applied += status == "applied"
                    stats.conflicts += status == "conflict"
                elif outbox_rows.is_retry(result):
                    stats.kept += 1
                    stats.kept_records.add(op["record_id"])
                    stats.kept_reason = str(result.get("message") or result.get("code") or "")
                    if result.get("code") in outbox_rows.OP_ID_CODES:
                        outbox_rows.renew_op_id(conn, seq)
                    elif result.get("code") in outbox_rows.STAMP_CODES:
                        restamp.append(seq)
                else:
                    stats.refused += 1
                    message = str(result.get("message") or result.get("code") or "")
                    # An edit of an erased person is refused for good: it leaves without its value.
                    kind_of = erasure.ERASED_CONFLICT if result.get("code") == "erased" else outbox_rows.REFUSED
                    outbox_rows.set_aside(conn, seq, op, kind_of, message, now, result.get("current"))
            for start in range(0, len(seqs), 500):
                conn.execute(delete(outbox).where(outbox.c.seq.in_(seqs[start:start + 500])))
            if restamp:
                outbox_rows.restamp(self.store, conn, restamp)
            stats.flags_new = self._store_flags(conn, [(None, f) for f in flags], now)
            if stats.acknowledged:
                self._set_state(conn, {"local_summary": None})  # local data moved: summary again
        return stats

    def restamp_outbox(self) -> int:
        """New stamps for the pending writes the clock would not accept (see outbox.restamp)."""
        with self.store.reading() as conn:
            if not outbox_rows.needs_restamp(self.store, conn):
                return 0  # the usual case: no write transaction
        with self.store.transaction() as conn:
            renewed = outbox_rows.restamp(self.store, conn)
            if renewed:
                self._set_state(conn, {"local_summary": None})
            return renewed

    def set_aside_too_large(self, seq: int, op: dict[str, Any]) -> None:
        """An operation the hub cannot take in one request: kept in the conflict list, out of the way."""
        with self.store.transaction() as conn:
            outbox_rows.set_aside(conn, seq, op, outbox_rows.TOO_LARGE, outbox_rows.MSG_TOO_LARGE, utc_now())
            self._set_state(conn, {"local_summary": None})

    # -- pull side ---------------------------------------------------------------------------------

    def defer_indexes(self) -> None:
        """A pull from the start of a long feed: list indexes built once at its end (store/deferred.py)."""
        with self.store.transaction() as conn:
            deferred.defer(conn)

    def rebuild_indexes(self) -> bool:
        with self.store.transaction() as conn:
            return deferred.rebuild(conn)

    def apply_page(self, entries: list[dict[str, Any]], cursor: int) -> PageStats:
        """Apply one pulled page and store its cursor, in ONE transaction (a cut sync resumes here)."""
        return self.apply_read_page(pulled.read_page(entries), cursor)

    def apply_read_page(self, page: pulled.Page, cursor: int) -> PageStats:
        """apply_page for a page already read (`pulled.read_page`, which needs no database): a sync
        reads the next page on its own thread while the database lane writes the previous one."""
        stats = PageStats()
        now = utc_now()
        with self.store.transaction() as conn:
            indexed: set[str] = set()
            if erased := page.erased():  # before the pending writes are read: theirs may go
                refused, indexed = erasure.receive(conn, erased, now)
                stats.refused_by_erasure += refused
            pending = self._pending_fields(conn) if page.records else set()
            for kind in KINDS:
                if kind in page.records:
                    self._apply_kind(conn, KINDS[kind], page.records[kind], pending, stats)
            for seq, conflict in page.conflicts:
                stats.conflicts_new += self._store_conflict(conn, seq, conflict, now)
            stats.flags_new = self._store_flags(conn, page.flags, now)
            if indexed:  # the words of the persons cleared here leave the search index now
                erasure.forget_words(conn, indexed)
            self._set_state(conn, {"cursor": int(cursor), **({"local_summary": None} if page.entries else {})})
            clock = self.store.clock
            newest = page.newest
            if newest and not clock.within_bound(newest):  # never adopt a stamp beyond the bound
                newest = max((v for v in page.versions() if clock.within_bound(v)), default=None)
            if newest:
                with contextlib.suppress(ValueError):  # a version that is not an HLC stamp
                    clock.observe(Stamp.parse(newest))
        return stats

    @staticmethod
    def _pending_fields(conn: Connection) -> set[tuple[str, str, str]]:
        rows = conn.exec_driver_sql(
            "SELECT o.kind, o.record_id, j.key FROM outbox AS o, json_each(o.changes) AS j").all()
        return {(kind, rid, name) for kind, rid, name in rows}

    def _apply_kind(self, conn: Connection, spec: KindSpec, records: dict[str, pulled.Fields],
                    pending: set[tuple[str, str, str]], stats: PageStats) -> None:
        existing: dict[str, Any] = {}
        ids = list(records)
        for start in range(0, len(ids), 500):
            chunk = tuple(ids[start:start + 500])  # plain SQL: SQLAlchemy compiled each `IN` of 500 anew
            marks = ", ".join("?" * len(chunk))
            for row in conn.exec_driver_sql(f"SELECT * FROM {spec.name} WHERE id IN ({marks})", chunk).mappings():
                existing[row["id"]] = row
        inserts: list[rows.NewRow] = []
        work = rows.IndexWork()
        for rid, fields in records.items():
            kept = fields
            if pending:
                local = {n for n in fields[1] if (spec.name, rid, n) in pending}
                if local:
                    kept = pulled.without(fields, local)
                    stats.fields_kept_local += len(local)
            if not kept[1]:
                continue
            row = existing.get(rid)
            if row is None:
                inserts.append(pulled.new_row(rid, kept))
            elif not self._update_row(conn, spec, row, kept, work):
                continue
            stats.fields_applied += len(kept[1])
            stats.kinds_changed.add(spec.name)
        if spec.name in FTS_KINDS:
            work.apply(conn, spec)  # rows already indexed: their old text goes before the new
        rows.insert(conn, spec, inserts, validated=False)

    @staticmethod
    def _update_row(conn: Connection, spec: KindSpec, row: Any, fields: pulled.Fields, work: rows.IndexWork) -> bool:
        versions = rows.effective_versions(spec, row)
        values, pulled_versions = fields
        fresh = [n for n, version in pulled_versions.items() if versions.get(n) != version]
        if not fresh:
            return False  # our own operations coming back, or a page pulled twice
        current = queries.record_from_row(spec, row)
        changes: dict[str, Any] = {}
        for name in fresh:
            versions[name] = pulled_versions[name]
            changes[name] = values[name]
            if name != "deleted":
                current[name] = values[name]
        updated = max(row["updated_hlc"], *(pulled_versions[name] for name in fresh))
        rows.update_row(conn, spec, row, changes, versions, record=current, updated=updated, work=work)
        return True

    def _store_conflict(self, conn: Connection, seq: int | None, conflict: dict[str, Any], now: str) -> int:
        values = {
            "id": str(conflict.get("id")), "seq": seq, "conflict_type": str(conflict.get("conflict_type") or "field"),
            "kind": str(conflict.get("kind") or ""), "record_id": str(conflict.get("record_id") or ""),
            "field": conflict.get("field"), "kept_value": _json(conflict.get("kept_value")),
            "kept_version": conflict.get("kept_version"), "lost_value": _json(conflict.get("lost_value")),
            "lost_version": conflict.get("lost_version"), "kept_device": conflict.get("kept_device"),
            "lost_device": conflict.get("lost_device"), "received_at": now, "resolved": False,
        }
        return conn.execute(sync_conflicts.insert().prefix_with("OR IGNORE"), values).rowcount

    @staticmethod
    def _store_flags(conn: Connection, flags: list[tuple[int | None, dict[str, Any]]], now: str) -> int:
        new = 0
        for seq, flag in flags:
            inserted = conn.execute(sync_flags.insert().prefix_with("OR IGNORE"), {
                "id": str(flag.get("id")), "seq": seq, "type": str(flag.get("type") or ""),
                "mentor_id": flag.get("mentor_id"), "capacity": flag.get("capacity"),
                "tandems": flag.get("tandems"), "data": _json(flag), "received_at": now, "resolved": False,
            }).rowcount
            if inserted and flag.get("mentor_id"):
                # The newest flag of a mentor tells the current state; older ones are superseded.
                conn.execute(update(sync_flags).where(
                    sync_flags.c.mentor_id == flag["mentor_id"], sync_flags.c.id != str(flag.get("id")),
                    sync_flags.c.type == str(flag.get("type") or "")).values(resolved=True))
            new += inserted
        return new

    # -- check -------------------------------------------------------------------------------------

    def summary(self, hashed: bool = False) -> dict[str, dict[str, Any]]:
        """Per kind, the live records and a digest of their field versions, as GET /v1/summary does
        (`hashed`: protocol 5's digest of the line hashes, kept per record while the store is open;
        store/lines.py)."""
        with self.store.reading() as conn:
            return self.store.line_hashes.summary(conn) if hashed else lines.summary(conn, False)
