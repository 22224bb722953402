"""The one write path: every create, update and delete goes through Store, which appends the
field-level operations to the outbox in the same transaction (DESIGN.md §3–4)."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, text, update

from ..domain.errors import ValidationError
from ..domain.fields import FieldType, KindSpec
from ..domain.hlc import HybridClock, Stamp, stamp_wall
from ..domain.ids import Uuid7Factory
from ..domain.kinds import KINDS, kind_spec
from ..domain.records import clean
from . import queries
from .engine import READ_ONLY, translated_errors
from .errors import NotFound
from .remote import RemoteChanges
from .schema import FTS_KINDS, RECORD_TABLES, fts_table, meta_table, outbox
from .search import search_body_sql, sort_key

# Who points at whom: deleting a record that live records still reference is refused.
_REFERENCED_BY: dict[str, list[tuple[str, str]]] = {}
for _spec in KINDS.values():
    for _field in _spec.fields:
        if _field.ref:
            _REFERENCED_BY.setdefault(_field.ref, []).append((_spec.name, _field.name))
_CASCADE = {"tandem": [("meeting", "tandem_id")]}


def encode(value: Any) -> str:
    """Compact UTF-8 JSON, as the standard library would write it, several times faster."""
    return orjson.dumps(value).decode()


@lru_cache(maxsize=4096)
def _encode_list(items: tuple[str, ...]) -> str:
    return encode(list(items))


# Python values -> column values; lists repeat a lot (languages, slots), so their JSON is memoised.
_TO_DB: dict[FieldType, Callable[[Any], Any]] = {FieldType.LIST: lambda v: _encode_list(tuple(v)),
                                                 FieldType.BOOL: int}


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

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit: records, search index, outbox and clock commit together or not at all."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with translated_errors(self.database_path), self.engine.begin() as conn:
            self._local.conn = conn
            try:
                yield conn
                conn.execute(
                    meta_table.insert().prefix_with("OR REPLACE"),
                    {"key": "hlc_last", "value": str(self.clock.last)},
                )
            finally:
                self._local.conn = None

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
        today = self.today()
        with _gc_paused():
            records = []
            for index, raw in enumerate(raws):
                try:
                    records.append(clean(spec, raw, today=today))
                except ValidationError as exc:
                    if index == 0:
                        raise
                    raise ValidationError({f"ligne {index + 1} — {k}": m for k, m in exc.errors.items()}) from exc
            with self.transaction() as conn:
                self._check_refs(conn, spec, records)
                return self._insert(conn, spec, records)

    def update(self, kind: str, record_id: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Apply changes; returns what actually changed (empty if nothing did)."""
        spec = kind_spec(kind)
        with self.transaction() as conn:
            current, versions, row_no = self._load_for_write(conn, spec, record_id)
            changes = clean(spec, raw, today=self.today(), current=current)
            if not changes:
                return {}
            self._check_refs(conn, spec, [changes])
            stamp = str(self.clock.now())
            merged = {**current, **changes}
            row = {name: self._db_value(spec, name, value) for name, value in changes.items()}
            versions_before = dict(versions)
            versions.update(dict.fromkeys(changes, stamp))
            row.update(versions=encode(versions), updated_hlc=stamp, sort_key=sort_key(spec, merged))
            table = RECORD_TABLES[kind]
            conn.execute(update(table).where(table.c.row_no == row_no).values(**row))
            if kind in FTS_KINDS and any(name in spec.searchable for name in changes):
                self._index(conn, kind, row_no, row_no, replace=True)
            bases = {name: versions_before[name] for name in changes if name in versions_before}
            self._append_writes(conn, [("update", kind, record_id, changes, bases, stamp)])
            return changes

    def delete(self, kind: str, record_id: str) -> None:
        """Tombstone the record (and a tandem's meetings); refused while live records point at it."""
        spec = kind_spec(kind)
        with self.transaction() as conn:
            _current, versions, row_no = self._load_for_write(conn, spec, record_id)
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
            table = RECORD_TABLES[kind]
            conn.execute(
                update(table)
                .where(table.c.row_no == row_no)
                .values(deleted=True, versions=encode(versions), updated_hlc=stamp)
            )
            if kind in FTS_KINDS:
                conn.exec_driver_sql(f"DELETE FROM {fts_table(kind)} WHERE rowid = ?", (row_no,))
            bases = {"deleted": base} if base else {}
            self._append_writes(conn, [("delete", kind, record_id, {"deleted": True}, bases, stamp)])

    def resend(self, kind: str, record_id: str, values: dict[str, Any] | None) -> dict[str, Any]:
        """Write `values` (field -> value, validated as any edit) as a new outbox write, even where
        the record already holds them — or, with `values` None, every field as a create (the hub
        never took the record). For a write the hub refused or set aside, once the counsellor fixed
        the record or the cause went away. Returns what is sent."""
        spec = kind_spec(kind)
        with self.transaction() as conn:
            current, versions, row_no = self._load_for_write(conn, spec, record_id)
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
            row = {name: self._db_value(spec, name, value) for name, value in fresh.items()}
            versions.update(dict.fromkeys(changes, stamp))
            row.update(versions=encode(versions), updated_hlc=stamp, sort_key=sort_key(spec, {**current, **changes}))
            table = RECORD_TABLES[kind]
            conn.execute(update(table).where(table.c.row_no == row_no).values(**row))
            if kind in FTS_KINDS and any(name in spec.searchable for name in fresh):
                self._index(conn, kind, row_no, row_no, replace=True)
            self._append_writes(conn, [(action, kind, record_id, changes, bases, stamp)])
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

    def find(self, kind: str, query: queries.ListQuery, offset: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        with self.reading() as conn:
            return queries.find(conn, kind_spec(kind), query, offset, limit)

    def live_records(self, kind: str, **equals: Any) -> list[dict[str, Any]]:
        """Every live record whose fields equal `equals`, unsorted: bulk reads (matching data)."""
        spec = kind_spec(kind)
        table = RECORD_TABLES[kind]
        stmt = select(table).where(table.c.deleted.is_(False), *(table.c[k] == v for k, v in equals.items()))
        with self.reading() as conn:
            return [queries.record_from_row(spec, row) for row in conn.execute(stmt).mappings()]

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
        table = RECORD_TABLES[spec.name]
        names = spec.field_names
        start = (conn.execute(text(f"SELECT coalesce(max(row_no), 0) FROM {spec.name}")).scalar_one()) + 1
        convert = [(i, to_db) for i, name in enumerate(names) if (to_db := _TO_DB.get(spec.by_name[name].type))]
        ids, rows, writes = [], [], []
        stamps = self.clock.now_many(len(records))
        new_id = self._ids.new
        for row_no, record, stamp in zip(range(start, start + len(records)), records, stamps, strict=True):
            record_id = new_id()
            values = list(map(record.get, names))
            for i, to_db in convert:
                if values[i] is not None:
                    values[i] = to_db(values[i])
            # versions stay "{}" on create: see _load_for_write
            rows.append((row_no, record_id, *values, sort_key(spec, record), "{}", stamp, stamp))
            writes.append(("create", spec.name, record_id, record, {}, stamp))  # clean() kept non-empty fields
            ids.append(record_id)
        columns = ", ".join(("row_no", "id", *names, "sort_key", "versions", "created_hlc", "updated_hlc"))
        marks = ", ".join("?" * (len(names) + 6))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
        if spec.name in FTS_KINDS:
            self._index(conn, spec.name, start, start + len(records) - 1)
        self._append_writes(conn, writes)
        return ids

    def _append_writes(
        self, conn: Connection, writes: list[tuple[str, str, str, dict[str, Any], dict[str, str], str]]
    ) -> None:
        """The only place that writes the change log: (action, kind, record id, changes, bases, stamp)."""
        device = self.device_id
        new_id = self._ids.new
        conn.exec_driver_sql(
            "INSERT INTO outbox (op_id, action, kind, record_id, changes, base_versions, device_id, hlc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(new_id(), action, kind, rid, encode(changes), encode(bases) if bases else "{}", device, stamp)
             for action, kind, rid, changes, bases, stamp in writes],
        )

    @staticmethod
    def _index(conn: Connection, kind: str, first_row: int, last_row: int, replace: bool = False) -> None:
        """(Re)index rows first_row..last_row; SQLite builds the text from the stored columns itself."""
        fts = fts_table(kind)
        if replace:
            conn.exec_driver_sql(f"DELETE FROM {fts} WHERE rowid BETWEEN ? AND ?", (first_row, last_row))
        conn.exec_driver_sql(
            f"INSERT INTO {fts} (rowid, body) SELECT row_no, {search_body_sql(KINDS[kind])} FROM {kind} "
            "WHERE row_no BETWEEN ? AND ?",
            (first_row, last_row),
        )

    @staticmethod
    def _db_value(spec: KindSpec, name: str, value: Any) -> Any:
        to_db = _TO_DB.get(spec.by_name[name].type)
        return to_db(value) if to_db and value is not None else value

    def _load_for_write(
        self, conn: Connection, spec: KindSpec, record_id: str
    ) -> tuple[dict[str, Any], dict[str, str], int]:
        table = RECORD_TABLES[spec.name]
        row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
        if row is None or row["deleted"]:
            raise NotFound(spec.label, record_id)
        record = queries.record_from_row(spec, row)
        fields = {name: record[name] for name in spec.field_names}
        # A field never written since the create still carries the create's version; the create
        # stores none (it would repeat one stamp per field on every row).
        versions = json.loads(row["versions"])
        for name, value in fields.items():
            if value is not None and name not in versions:
                versions[name] = row["created_hlc"]
        return fields, versions, row["row_no"]

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

    def _refuse_if_referenced(self, conn: Connection, spec: KindSpec, record_id: str) -> None:
        cascaded = {k for k, _ in _CASCADE.get(spec.name, [])}
        for kind, field in _REFERENCED_BY.get(spec.name, []):
            if kind in cascaded:
                continue
            table = RECORD_TABLES[kind]
            n = conn.execute(
                select(text("count(*)")).select_from(table)
                .where(table.c[field] == record_id, table.c.deleted.is_(False))
            ).scalar_one()
            if n:
                raise ValidationError({
                    field: f"Suppression impossible\u00a0: {n} fiche(s) «\u00a0{KINDS[kind].label}\u00a0» "
                           f"y font référence. Supprimez-les ou modifiez-les d'abord."
                })


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Bulk writes allocate hundreds of thousands of small dicts and tuples, none of them cyclic; the
    cyclic collector would rescan the whole growing heap again and again (a third of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def last_stamp(conn: Connection) -> Stamp | None:
    """The clock saved by the last write; None if absent or malformed (a clock overflowed by a
    hostile stamp before this release): the clock then starts again from the current time."""
    value = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "hlc_last")).scalar()
    return Stamp.parse(value) if stamp_wall(value) is not None else None
