"""The one write path: every create, update and delete goes through Store, which appends the
field-level operations to the outbox in the same transaction (DESIGN.md §3–4)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, text

from ..domain.batch import clean_many
from ..domain.erasure import MSG_CLEARED, touches_erased
from ..domain.errors import ValidationError
from ..domain.fields import FieldType, KindSpec
from ..domain.hlc import HybridClock, Stamp, stamp_wall
from ..domain.ids import Uuid7Factory
from ..domain.kinds import KINDS, kind_spec
from ..domain.records import clean
from ..reference import Reference, check_place, load_reference
from . import history, journal, lines, queries, rows
from .bulk import gc_paused
from .engine import READ_ONLY, translated_errors
from .errors import NotFound
from .remote import RemoteChanges
from .rows import encode
from .schema import RECORD_TABLES, meta_table, outbox

# Who points at whom: deleting a record that live records still reference is refused.
_REFERENCED_BY: dict[str, list[tuple[str, str]]] = {}
for _spec in KINDS.values():
    for _field in _spec.fields:
        if _field.ref:
            _REFERENCED_BY.setdefault(_field.ref, []).append((_spec.name, _field.name))
_CASCADE = {"tandem": [("meeting", "tandem_id")]}


class Store:
    """Records of every kind in the encrypted database. Thread-safe: one connection per thread."""

    def __init__(
        self,
        engine: Engine,
        database_path: Path,
        device_id: str,
        clock: HybridClock,
        today: Callable[[], date] = date.today,
    ):
        self.engine = engine
        self.database_path = database_path
        self.device_id = device_id
        self.clock = clock
        self.today = today
        self._ids = Uuid7Factory()
        self._local = threading.local()
        self.remote = RemoteChanges(self)  # the sync engine's writes: pulled pages, push answers
        self.journal = journal.WriteJournal()  # records written by this process, for caches to follow
        self.line_hashes = lines.LineHashes(self.journal)  # protocol 5's summary, following the journal
        self._reference: Reference | None = None

    # -- reference data -----------------------------------------------------------------------

    @property
    def reference(self) -> Reference:
        """The reference communes and lists, read once per open profile (local writes check against it)."""
        if self._reference is None:
            self._reference = load_reference()
        return self._reference

    def check_place(self, commune: str | None, postal_code: str | None) -> tuple[dict[str, str], dict[str, str]]:
        return check_place(self.reference, commune, postal_code)

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit: records, search index, outbox and clock commit together or not at all."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        touched: set[tuple[str, str]] = set()
        with translated_errors(self.database_path), self.engine.begin() as conn:
            self._local.conn = conn
            conn.info[journal.TOUCHED] = touched  # the row writers note what they write (journal.py)
            try:
                yield conn
                conn.execute(
                    meta_table.insert().prefix_with("OR REPLACE"),
                    {"key": "hlc_last", "value": str(self.clock.last)},
                )
            finally:
                self._local.conn = None
                conn.info.pop(journal.TOUCHED, None)
        if touched:
            self.journal.publish(touched)  # committed: readers now see what the journal names

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with translated_errors(self.database_path), self.engine.connect() as conn:
            yield conn.execution_options(**{READ_ONLY: True})  # no write lock: never waits for a writer

    # -- writes -------------------------------------------------------------------------------

    def create(self, kind: str, raw: dict[str, Any]) -> str:
        return self.create_many(kind, [raw])[0]

    def create_many(self, kind: str, raws: Iterable[dict[str, Any]]) -> list[str]:
        """Create records in one transaction; bulk paths (demo, imports) use it for speed."""
        spec = kind_spec(kind)
        with gc_paused():
            records = clean_many(spec, raws, today=self.today(), places=self.check_place)
            with self.transaction() as conn:
                self._check_refs(conn, spec, records)
                ids = self._insert(conn, spec, records)
            del records  # freed now, not scanned by the first collection once the collector is back
        return ids

    def update(self, kind: str, record_id: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Apply changes; returns what actually changed (empty if nothing did)."""
        spec = kind_spec(kind)
        with self.transaction() as conn:
            current, versions, row = self._load_for_write(conn, spec, record_id)
            changes = clean(spec, raw, today=self.today(), current=current, places=self.check_place)
            if not changes:
                return {}
            if row["erased"] is not None and (cleared := touches_erased(kind, changes)):
                raise ValidationError(dict.fromkeys(cleared, MSG_CLEARED))  # the hub would refuse it too
            self._check_refs(conn, spec, [changes])
            stamp = str(self.clock.now())
            versions_before = dict(versions)
            versions.update(dict.fromkeys(changes, stamp))
            rows.update_row(conn, spec, row, changes, versions, record={**current, **changes}, updated=stamp)
            bases = {name: versions_before[name] for name in changes if name in versions_before}
            self._append_writes(conn, [("update", kind, record_id, changes, bases, stamp)], [current])
            return changes

    def delete(self, kind: str, record_id: str) -> None:
        """Tombstone the record (and a tandem's meetings); refused while live records point at it."""
        spec = kind_spec(kind)
        with self.transaction() as conn:
            _current, versions, row = self._load_for_write(conn, spec, record_id)
            self._refuse_if_referenced(conn, spec, record_id)
            for child_kind, child_field in _CASCADE.get(kind, []):
                child = RECORD_TABLES[child_kind]
                ids = conn.execute(
                    select(child.c.id).where(child.c[child_field] == record_id, child.c.deleted.is_(False))
                ).scalars()
                for child_id in list(ids):
                    self.delete(child_kind, child_id)
            stamp = str(self.clock.now())
            base = versions.get("deleted")
            versions["deleted"] = stamp
            rows.update_row(conn, spec, row, {"deleted": True}, versions, updated=stamp)
            bases = {"deleted": base} if base else {}
            self._append_writes(conn, [("delete", kind, record_id, {"deleted": True}, bases, stamp)],
                                [{"deleted": False}])

    def delete_many(self, kind: str, record_ids: Sequence[str]) -> list[str]:
        """Tombstone many records of a kind whose deletion takes nothing along (an import undone):
        delete() of each, read, checked and written a chunk at a time. Refused whole, like delete(),
        while live records point at one of them; returns the ids deleted (the missing and the already
        deleted are left out)."""
        spec = kind_spec(kind)
        if kind in _CASCADE:
            raise ValueError(f"{kind}: its deletion takes records along, delete() them one by one")
        table = RECORD_TABLES[kind]
        with self.transaction() as conn:
            found: list[Any] = []
            for chunk in _chunks(list(dict.fromkeys(record_ids)), 500):
                found += conn.execute(select(table).where(table.c.id.in_(chunk), table.c.deleted.is_(False))
                                      .order_by(table.c.row_no)).mappings().all()
            ids = [row["id"] for row in found]
            for chunk in _chunks(ids, 500):
                self._refuse_if_referenced(conn, spec, chunk)
            work = rows.IndexWork()
            writes = []
            for row, stamp in zip(found, self.clock.now_many(len(found)), strict=True):
                versions = rows.effective_versions(spec, row)
                base = versions.get("deleted")
                versions["deleted"] = stamp
                rows.update_row(conn, spec, row, {"deleted": True}, versions, updated=stamp, work=work)
                writes.append(("delete", kind, row["id"], {"deleted": True}, {"deleted": base} if base else {}, stamp))
            work.apply(conn, spec)
            self._append_writes(conn, writes, [{"deleted": False}] * len(writes))
        return ids

    def resend(self, kind: str, record_id: str, values: dict[str, Any] | None) -> dict[str, Any]:
        """Write `values` (field -> value, validated as any edit) as a new outbox write, even where
        the record already holds them — or, with `values` None, every field as a create (the hub
        never took the record). For a write the hub refused or set aside, once the counsellor fixed
        the record or the cause went away. Returns what is sent."""
        spec = kind_spec(kind)
        with self.transaction() as conn:
            current, versions, row = self._load_for_write(conn, spec, record_id)
            if values is None:
                action, changes, bases = "create", {n: v for n, v in current.items() if v is not None}, {}
                fresh: dict[str, Any] = {}
            else:
                fresh = clean(spec, values, today=self.today(), current=current)
                self._check_refs(conn, spec, [fresh])
                changes = {**{n: current[n] for n in values if n in spec.by_name}, **fresh}
                action, bases = "update", {n: versions[n] for n in changes if n in versions}
            if not changes:
                return {}
            stamp = str(self.clock.now())
            versions.update(dict.fromkeys(changes, stamp))
            rows.update_row(conn, spec, row, fresh, versions, record={**current, **changes}, updated=stamp)
            self._append_writes(conn, [(action, kind, record_id, changes, bases, stamp)], [current])
            return changes

    # -- reads --------------------------------------------------------------------------------

    def get(self, kind: str, record_id: str, *, include_deleted: bool = False) -> dict[str, Any]:
        spec = kind_spec(kind)
        table = RECORD_TABLES[kind]
        with self.reading() as conn:
            row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
        if row is None or (row["deleted"] and not include_deleted):
            raise NotFound(spec.label, record_id)
        return queries.record_from_row(spec, row)

    def find(self, kind: str, query: queries.ListQuery, offset: int = 0, limit: int = 200, *,
             fields: Sequence[str] | None = None, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Records of a query, a page at a time; a list asks for its `fields` only (see queries.find)."""
        with self.reading() as conn:
            return queries.find(conn, kind_spec(kind), query, offset, limit, fields=fields, ids=ids)

    def live_records(self, kind: str, **equals: Any) -> list[dict[str, Any]]:
        """Every live record whose fields equal `equals`, unsorted: bulk reads (matching data)."""
        spec = kind_spec(kind)
        table = RECORD_TABLES[kind]
        stmt = select(table).where(table.c.deleted.is_(False), *(table.c[k] == v for k, v in equals.items()))
        with self.reading() as conn:
            result = conn.execute(stmt)
            keys = list(result.keys())  # plain dicts: much cheaper than SQLAlchemy's row mappings in bulk
            return [queries.record_from_row(spec, dict(zip(keys, row, strict=True))) for row in result]

    def get_many(self, kind: str, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The live records among `record_ids`, by id (the missing and the deleted are left out)."""
        spec = kind_spec(kind)
        table = RECORD_TABLES[kind]
        found: dict[str, dict[str, Any]] = {}
        with self.reading() as conn:
            for chunk in _chunks(sorted(set(record_ids)), 500):
                # By id alone: with `deleted` in the query, SQLite may walk the live-rows index instead.
                result = conn.execute(select(table).where(table.c.id.in_(chunk)))
                keys = list(result.keys())
                for row in result:
                    record = queries.record_from_row(spec, dict(zip(keys, row, strict=True)))
                    if not record["deleted"]:
                        found[record["id"]] = record
        return found

    def live_fields(self, kind: str, fields: Sequence[str], *, batch: int = 2000,
                    **equals: Any) -> Iterator[dict[str, Any]]:
        """Only `fields` (and the id) of every live record whose fields equal `equals`, by id, read a
        batch at a time: a bulk read of 100,000 mentees for matching never holds every whole record."""
        spec = kind_spec(kind)
        table = RECORD_TABLES[kind]
        names = [n for n in dict.fromkeys(fields) if n != "id"]
        lists = {n for n in names if spec.by_name[n].type is FieldType.LIST}
        bools = {n for n in names if spec.by_name[n].type is FieldType.BOOL}
        stmt = (select(table.c.id, *(table.c[n] for n in names))
                .where(table.c.deleted.is_(False), *(table.c[k] == v for k, v in equals.items()))
                .order_by(table.c.id))
        with self.reading() as conn:
            result = conn.execute(stmt)
            while rows := result.fetchmany(batch):
                for row in rows:
                    record = {"id": row[0]}
                    for name, value in zip(names, row[1:], strict=True):
                        if value is not None and name in lists:
                            value = _list(value)
                        elif value is not None and name in bools:
                            value = bool(value)
                        record[name] = value
                    yield record

    def meta_value(self, key: str) -> str | None:
        with self.reading() as conn:
            return conn.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar()

    def set_meta_value(self, key: str, value: str | None) -> None:
        """Local, unsynced preferences of this profile (e.g. matching weights); None removes."""
        with self.transaction() as conn:
            conn.execute(meta_table.delete().where(meta_table.c.key == key))
            if value is not None:
                conn.execute(meta_table.insert(), {"key": key, "value": value})

    def count(self, kind: str, query: queries.ListQuery | None = None) -> int:
        with self.reading() as conn:
            return queries.count(conn, kind_spec(kind), query or queries.ListQuery())

    def distinct_values(self, kind: str, field: str) -> list[str]:
        with self.reading() as conn:
            return queries.distinct_values(conn, kind, field)

    def outbox_ops(self, after_seq: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The pending field-level operations, in write order: one dict per field changed."""
        stmt = select(outbox).where(outbox.c.seq > after_seq).order_by(outbox.c.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.reading() as conn:
            rows = conn.execute(stmt).mappings().all()
        ops = []
        for row in rows:
            bases = json.loads(row["base_versions"])
            common = {k: row[k] for k in ("seq", "op_id", "action", "kind", "record_id", "device_id", "hlc")}
            for name, value in json.loads(row["changes"]).items():
                ops.append({**common, "field": name, "value": value, "base_version": bases.get(name)})
        return ops

    def outbox_writes(self) -> int:
        """How many writes wait to be pushed (each holds one or more field operations)."""
        with self.reading() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()

    def outbox_size(self) -> int:
        """How many field operations wait to be pushed."""
        with self.reading() as conn:
            return conn.execute(text("SELECT coalesce(sum((SELECT count(*) FROM json_each(changes))), 0) "
                                     "FROM outbox")).scalar_one()

    # -- internals ----------------------------------------------------------------------------

    def _insert(self, conn: Connection, spec: KindSpec, records: list[dict[str, Any]]) -> list[str]:
        ids = self._ids.new_many(len(records))
        stamps = self.clock.now_many(len(records))
        rows.insert(conn, spec, [rows.NewRow(rid, record, stamp, stamp)
                                 for rid, record, stamp in zip(ids, records, stamps, strict=True)], validated=True)
        # clean() kept the non-empty fields only: each create sends exactly those
        self._append_writes(conn, [("create", spec.name, rid, record, {}, stamp)
                                   for rid, record, stamp in zip(ids, records, stamps, strict=True)])
        return ids

    def _append_writes(
        self, conn: Connection, writes: list[tuple[str, str, str, dict[str, Any], dict[str, str], str]],
        before: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> None:
        """The only place that writes the change log: (action, kind, record id, changes, bases, stamp),
        and the records' history (store/history.py): `before` gives, per write, the values it replaced
        (None, or no `before` at all: a creation, which the record's own stamp tells)."""
        device = self.device_id
        op_ids = self._ids.new_many(len(writes))
        conn.exec_driver_sql(
            "INSERT INTO outbox (op_id, action, kind, record_id, changes, base_versions, device_id, hlc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(op_id, action, kind, rid, encode(changes), encode(bases) if bases else "{}", device, stamp)
             for op_id, (action, kind, rid, changes, bases, stamp) in zip(op_ids, writes, strict=True)],
        )
        if before is not None:
            history.note(conn, device, [(op_id, action, kind, rid, stamp, old, changes)
                                        for op_id, (action, kind, rid, changes, _bases, stamp), old
                                        in zip(op_ids, writes, before, strict=True) if old is not None])

    def _load_for_write(
        self, conn: Connection, spec: KindSpec, record_id: str
    ) -> tuple[dict[str, Any], dict[str, str], Any]:
        """The record's fields, their effective versions and its stored row, for a write."""
        table = RECORD_TABLES[spec.name]
        row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
        if row is None or row["deleted"]:
            raise NotFound(spec.label, record_id)
        record = queries.record_from_row(spec, row)
        return {name: record[name] for name in spec.field_names}, rows.effective_versions(spec, row), row

    def _check_refs(self, conn: Connection, spec: KindSpec, records: list[dict[str, Any]]) -> None:
        errors: dict[str, str] = {}
        for field in spec.fields:
            if not field.ref:
                continue
            wanted = {r[field.name] for r in records if r.get(field.name)}
            if not wanted:
                continue
            target = RECORD_TABLES[field.ref]
            found: set[str] = set()
            for chunk in _chunks(sorted(wanted), 500):
                found.update(conn.execute(
                    select(target.c.id).where(target.c.id.in_(chunk), target.c.deleted.is_(False))
                ).scalars())
            if missing := wanted - found:
                label = KINDS[field.ref].label
                errors[field.name] = f"{label} introuvable\u00a0: {sorted(missing)[0]}."
        if errors:
            raise ValidationError(errors)

    def _refuse_if_referenced(self, conn: Connection, spec: KindSpec, record_id: str | Sequence[str]) -> None:
        """ValidationError while live records point at `record_id` (or at any of several ids)."""
        cascaded = {k for k, _ in _CASCADE.get(spec.name, [])}
        ids = [record_id] if isinstance(record_id, str) else list(record_id)
        for kind, field in _REFERENCED_BY.get(spec.name, []):
            if kind in cascaded:
                continue
            table = RECORD_TABLES[kind]
            n = conn.execute(
                select(text("count(*)")).select_from(table)
                .where(table.c[field].in_(ids), table.c.deleted.is_(False))
            ).scalar_one()
            if n:
                raise ValidationError({
                    field: f"Suppression impossible\u00a0: {n} fiche(s) «\u00a0{KINDS[kind].label}\u00a0» "
                           f"y font référence. Supprimez-les ou modifiez-les d’abord."
                })




def _list(value: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # what the store's own reader falls back to (queries.py)
        return json.loads(value)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def last_stamp(conn: Connection) -> Stamp | None:
    """The clock saved by the last write; None if absent or malformed (a clock overflowed by a
    hostile stamp before this release): the clock then starts again from the current time."""
    value = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "hlc_last")).scalar()
    return Stamp.parse(value) if stamp_wall(value) is not None else None
