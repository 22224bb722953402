"""The one writer of record rows: column values, sort keys, stored versions and the search index.

Local writes (Store), pulled pages (RemoteChanges) and refused pushes (outbox) all write records
through these functions, so a row reads the same whoever wrote it. Every function runs inside the
caller's `Store.transaction()`, and notes the records it writes for the store's journal (journal.py).

The list columns stored for sorting (schema.key_column, schema.label_column) are written here too:
each text column a list shows has its French key beside it, and each reference a list shows has
the referenced record's title (and its key), rewritten on the rows that point at a record whose
title changes.

The versions rule, once: a row's `versions` column names only the fields whose version differs
from `created_hlc` (or that hold no value); a field holding a value and absent from it carries
`created_hlc`. A create therefore stores "{}" instead of one stamp per field on every row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, update

from ..domain.erasure import ERASED, ERASED_LABEL
from ..domain.fields import FieldType, KindSpec
from ..domain.kinds import KINDS
from . import journal
from .schema import FTS_KINDS, RECORD_TABLES, fts_table, key_column, keyed_columns, label_column, labelled_columns
from .search import column_key, search_body_sql, sort_key, sort_keys, title_label

_EMPTY = "{}"


def encode(value: Any) -> str:
    """Compact UTF-8 JSON, as the standard library would write it, several times faster."""
    return orjson.dumps(value).decode()


# -- the versions rule ------------------------------------------------------------------------------


def effective_versions(spec: KindSpec, row: Mapping[str, Any]) -> dict[str, str]:
    """Field -> version of a stored row (mapping of its columns), the created_hlc filled in."""
    return versions_of(row["versions"], row["created_hlc"], (n for n in spec.field_names if row[n] is not None))


def versions_of(raw: str, created: str, holding_value: Iterable[str]) -> dict[str, str]:
    """The same from the `versions` column, `created_hlc` and the names of the fields holding a value."""
    versions: dict[str, str] = orjson.loads(raw) if raw != _EMPTY else {}
    for name in holding_value:
        if name not in versions:
            versions[name] = created
    return versions


def stored_versions(versions: Mapping[str, str], holds_value: Callable[[str], bool], created: str) -> str:
    """The `versions` column for effective `versions`: what effective_versions gives back."""
    kept = {n: v for n, v in versions.items() if v != created or not holds_value(n)}
    return encode(kept) if kept else _EMPTY


# -- column values ----------------------------------------------------------------------------------


_LIST_JSON: dict[tuple[str, ...], str] = {}  # lists repeat a lot (languages, slots): their JSON, memoised
_LIST_JSON_MAX = 4096


def _list_column(value: Any) -> str | None:
    if not isinstance(value, list):
        return None
    try:
        key: tuple[Any, ...] | None = tuple(value)
        found = _LIST_JSON.get(key)  # type: ignore[arg-type]
    except TypeError:  # an item that cannot be hashed (a hub is trusted for content, not for types)
        key, found = None, None
    if found is not None:  # equal to a list of strings: its items are strings
        return found
    if all(type(v) is str for v in value):
        found = encode(value)
        if key is not None and len(_LIST_JSON) < _LIST_JSON_MAX:
            _LIST_JSON[key] = found  # only lists of strings: (1,) would be found for (True,)
        return found
    return encode([str(v) for v in value])


def _int_column(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_CONVERT: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.LIST: _list_column, FieldType.BOOL: lambda v: int(bool(v)), FieldType.INT: _int_column,
}


def _text_column(value: Any) -> str:
    return value if type(value) is str else str(value)


def _converters(spec: KindSpec, validated: bool) -> list[tuple[int, Callable[[Any], Any]]]:
    """(index in spec.field_names, conversion) of the fields whose column is not the value itself:
    lists and booleans; integers too when the values were pulled (validated ones are ints already)."""
    converters = []
    for i, name in enumerate(spec.field_names):
        kind = spec.by_name[name].type
        if kind in _CONVERT and not (validated and kind is FieldType.INT):
            converters.append((i, _CONVERT[kind]))
    return converters


_LOCAL = {kind: _converters(spec, True) for kind, spec in KINDS.items()}
_PULLED = {kind: _converters(spec, False) for kind, spec in KINDS.items()}
_TEXT = {kind: [i for i, name in enumerate(spec.field_names) if spec.by_name[name].type not in _CONVERT]
         for kind, spec in KINDS.items()}
_POSITION = {kind: {name: i for i, name in enumerate(spec.field_names)} for kind, spec in KINDS.items()}
_CONVERT_BY_FIELD = {kind: {name: _CONVERT.get(spec.by_name[name].type, _text_column) for name in spec.field_names}
                     for kind, spec in KINDS.items()}


def column_value(spec: KindSpec, name: str, value: Any) -> Any:
    """A field's value (validated locally, or pulled JSON) in its column's stored form."""
    return None if value is None else _CONVERT_BY_FIELD[spec.name][name](value)


# -- list keys and labels ---------------------------------------------------------------------------

_KEYED = {kind: keyed_columns(spec) for kind, spec in KINDS.items()}
_LABELLED = {kind: labelled_columns(spec) for kind, spec in KINDS.items()}
_LABELLED_BY: dict[str, list[tuple[str, str]]] = {}  # kind -> (kind, field) of the lists showing its title
for _kind, _names in _LABELLED.items():
    for _name in _names:
        _LABELLED_BY.setdefault(KINDS[_kind].by_name[_name].ref or "", []).append((_kind, _name))


def titles(conn: Connection, kind: str, ids: Iterable[str | None]) -> dict[str, str]:
    """id -> list label of the records of `kind` among `ids` (deleted ones too: a list always
    named the person of an old tandem)."""
    spec = KINDS[kind]
    wanted = sorted({i for i in ids if i})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        result = conn.exec_driver_sql(f"SELECT id, {', '.join(spec.title_fields)} FROM {kind} "
                                      f"WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk))
        for rid, *parts in result:
            found[rid] = title_label(spec, dict(zip(spec.title_fields, parts, strict=True)))
    return found


def _relabel(conn: Connection, spec: KindSpec, labels: Mapping[str, str]) -> None:
    """Records of `spec` have these titles now: the rows showing them as a reference follow."""
    for kind, name in _LABELLED_BY.get(spec.name, ()):
        ids = sorted(labels)
        pointing: list[str] = []
        for start in range(0, len(ids), 500):  # most pulled people are nobody's reference yet
            chunk = ids[start:start + 500]
            pointing += conn.exec_driver_sql(f"SELECT DISTINCT {name} FROM {kind} WHERE {name} IN "
                                             f"({', '.join('?' * len(chunk))})", tuple(chunk)).scalars()
        if pointing:
            conn.exec_driver_sql(f"UPDATE {kind} SET {label_column(name)} = ?, {key_column(name)} = ? WHERE {name} = ?",
                                 [(labels[rid], column_key(labels[rid]), rid) for rid in pointing])


def fill_list_columns(conn: Connection, spec: KindSpec, keyed: Sequence[str], labelled: Sequence[str]) -> None:
    """Write the keys of `keyed` and the labels of `labelled` on every row (a migration adding them)."""
    if not keyed and not labelled:
        return
    needed = list(dict.fromkeys((*keyed, *labelled)))
    found = conn.exec_driver_sql(f"SELECT row_no, {', '.join(needed)} FROM {spec.name}").all()
    labels = {name: titles(conn, spec.by_name[name].ref or "", (row[1 + needed.index(name)] for row in found))
              for name in labelled}
    params = []
    for row_no, *values in found:
        value = dict(zip(needed, values, strict=True))
        shown = {name: labels[name].get(value[name]) if value[name] else None for name in labelled}
        params.append((*shown.values(), *(column_key(shown[n] if n in shown else value[n]) for n in keyed), row_no))
    if not params:
        return
    sets = ", ".join(f"{c} = ?" for c in (*(label_column(n) for n in labelled), *(key_column(n) for n in keyed)))
    conn.exec_driver_sql(f"UPDATE {spec.name} SET {sets} WHERE row_no = ?", params)


# -- inserts ----------------------------------------------------------------------------------------


class NewRow(NamedTuple):
    """One record to insert; `versions` None means every field at `created` (a local create). A named
    tuple: bulk writes make tens of thousands, and a frozen dataclass costs several times more each."""

    id: str
    values: Mapping[str, Any]
    created: str
    updated: str
    versions: Mapping[str, str] | None = None
    deleted: bool = False
    erased: Any = None  # the erasure marker of a pulled erased record (domain/erasure.py)


def insert(conn: Connection, spec: KindSpec, rows: Sequence[NewRow], *, validated: bool) -> None:
    """Insert rows at the end of the table, with their sort keys, and index the live ones;
    `validated`: the values went through domain validation (a local write), not pulled JSON.
    Built column by column: bulk writes (imports, the demo, a first sync) insert tens of thousands."""
    if not rows:
        return
    names = spec.field_names
    position = _POSITION[spec.name]
    start = conn.exec_driver_sql(f"SELECT coalesce(max(row_no), 0) FROM {spec.name}").scalar_one() + 1
    records = [row.values for row in rows]
    table = [list(map(record.get, names)) for record in records]  # field values, row by row
    for i, convert in (_LOCAL if validated else _PULLED)[spec.name]:
        _convert_column(table, i, convert, shared=validated)
    for i in () if validated else _TEXT[spec.name]:  # a hub is trusted for content, not for types
        for values in table:
            if values[i] is not None and type(values[i]) is not str:
                values[i] = str(values[i])
    versions: Iterable[str] = repeat(_EMPTY, len(rows))
    if any(row.versions is not None for row in rows):
        versions = [_EMPTY if row.versions is None else stored_versions(
            row.versions, lambda n, v=values: (i := position.get(n)) is not None and v[i] is not None, row.created)
            for row, values in zip(rows, table, strict=True)]
    extra_names, extra = _list_columns(conn, spec, table)
    params = [(row_no, row.id, *values, key, int(row.deleted), None if row.erased is None else encode(row.erased),
               stored, row.created, row.updated, *more)
              for row_no, row, values, key, stored, more
              in zip(range(start, start + len(rows)), rows, table, sort_keys(spec, records), versions, extra,
                     strict=True)]
    columns_sql = ", ".join(("row_no", "id", *names, "sort_key", "deleted", ERASED, "versions", "created_hlc",
                             "updated_hlc", *extra_names))
    marks = ", ".join("?" * (len(names) + 8 + len(extra_names)))
    conn.exec_driver_sql(f"INSERT INTO {spec.name} ({columns_sql}) VALUES ({marks})", params)
    journal.note(conn, spec.name, (row.id for row in rows))
    if not validated and spec.name in _LABELLED_BY:  # a pulled record some row already pointed at
        title_at = [position[n] for n in spec.title_fields]
        _relabel(conn, spec, {row.id: ERASED_LABEL if row.erased else title_label(
            spec, dict(zip(spec.title_fields, (values[i] for i in title_at), strict=True)))
                              for row, values in zip(rows, table, strict=True)})
    if spec.name in FTS_KINDS:
        live = [row_no for row_no, row in enumerate(rows, start) if not row.deleted]
        if len(live) == len(rows):
            _index_range(conn, spec, start, start + len(rows) - 1)
        else:
            index(conn, spec, live)


def _list_columns(conn: Connection, spec: KindSpec, table: list[list[Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The stored list columns of the rows `table` (field values, converted): the labels of the
    references a list shows, then the keys of its text columns and of those labels; as column names
    and one tuple of values per row."""
    position = _POSITION[spec.name]
    names, columns = [], []
    labels: dict[str, list[str | None]] = {}
    for name in _LABELLED[spec.name]:
        ids = [values[position[name]] for values in table]
        found = titles(conn, spec.by_name[name].ref or "", ids)
        labels[name] = [found.get(rid) if rid else None for rid in ids]
        names.append(label_column(name))
        columns.append(labels[name])
    for name in _KEYED[spec.name]:
        names.append(key_column(name))
        source = labels[name] if name in labels else [values[position[name]] for values in table]
        columns.append([column_key(value) for value in source])
    return names, list(zip(*columns, strict=True)) if columns else [()] * len(table)


def _convert_column(table: list[list[Any]], i: int, convert: Callable[[Any], Any], *, shared: bool) -> None:
    """convert() of the i-th value of each row but None; when `shared`, once per distinct object: a
    batch's records share their lists (domain.batch), pulled JSON never does. The records keep the
    objects alive meanwhile: no id is reused."""
    if not shared:
        for values in table:
            if values[i] is not None:
                values[i] = convert(values[i])
        return
    done: dict[int, Any] = {}
    for values in table:
        value = values[i]
        if value is not None:
            key = id(value)
            if key in done:
                values[i] = done[key]
            else:
                values[i] = done[key] = convert(value)


# -- updates ----------------------------------------------------------------------------------------


@dataclass
class IndexWork:
    """Rows whose search text must go (`stale`) or be built again (`fresh`), applied in one go."""

    stale: list[int] = field(default_factory=list)
    fresh: list[int] = field(default_factory=list)

    def apply(self, conn: Connection, spec: KindSpec) -> None:
        unindex(conn, spec, self.stale)
        index(conn, spec, self.fresh)
        self.stale, self.fresh = [], []


def update_row(conn: Connection, spec: KindSpec, row: Mapping[str, Any], changes: Mapping[str, Any],
               versions: Mapping[str, str], *, record: Mapping[str, Any] | None = None,
               updated: str | None = None, created: str | None = None, work: IndexWork | None = None) -> None:
    """Write `changes` (field -> value, "deleted" -> bool) over the stored `row` with the effective
    `versions`; `record` is the whole record after the change (for the sort key), when the caller has
    it. The sort key and the search index follow (now, or in `work` for the caller to apply once);
    a deleted row leaves the index."""
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "deleted":
            values[name] = bool(value)
        elif name == ERASED:
            values[name] = None if value is None else encode(value)
        else:
            values[name] = column_value(spec, name, value)
    for name in _LABELLED[spec.name]:
        if name in values:
            shown = titles(conn, spec.by_name[name].ref or "", [values[name]]).get(values[name] or "")
            values[label_column(name)] = shown
            values[key_column(name)] = column_key(shown)
    for name in _KEYED[spec.name]:
        if name in values and not spec.by_name[name].ref:
            values[key_column(name)] = column_key(values[name])
    if spec.name in _LABELLED_BY and any(name in values for name in spec.title_fields):
        title = {name: values[name] if name in values else row[name] for name in spec.title_fields}
        erased = values[ERASED] if ERASED in values else row.get(ERASED)
        _relabel(conn, spec, {row["id"]: ERASED_LABEL if erased else title_label(spec, title)})
    created = created or row["created_hlc"]
    holds = {name: (values[name] if name in values else row[name]) is not None for name in spec.field_names}
    values["versions"] = stored_versions(versions, lambda n: holds.get(n, False), created)
    if created != row["created_hlc"]:
        values["created_hlc"] = created
    if updated is not None:
        values["updated_hlc"] = updated
    if record is not None and any(name != "deleted" for name in changes):
        values["sort_key"] = sort_key(spec, record)
    table = RECORD_TABLES[spec.name]
    conn.execute(update(table).where(table.c.row_no == row["row_no"]).values(**values))
    journal.note(conn, spec.name, (row["id"],))
    if spec.name not in FTS_KINDS:
        return
    pending = IndexWork() if work is None else work
    was_live = not row["deleted"]
    live = not changes["deleted"] if "deleted" in changes else was_live
    if was_live and not live:
        pending.stale.append(row["row_no"])
    elif live and (not was_live or any(name in spec.searchable for name in changes)):
        if was_live:
            pending.stale.append(row["row_no"])
        pending.fresh.append(row["row_no"])
    if work is None:
        pending.apply(conn, spec)


# -- the search index -------------------------------------------------------------------------------


def _index_range(conn: Connection, spec: KindSpec, first: int, last: int) -> None:
    conn.exec_driver_sql(
        f"INSERT INTO {fts_table(spec.name)} (rowid, body) SELECT row_no, {search_body_sql(spec)} "
        f"FROM {spec.name} WHERE row_no BETWEEN ? AND ?", (first, last))


def index(conn: Connection, spec: KindSpec, row_nos: Iterable[int]) -> None:
    """Add rows to the search index; SQLite builds the text from the stored columns itself."""
    numbers = list(row_nos)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        conn.exec_driver_sql(
            f"INSERT INTO {fts_table(spec.name)} (rowid, body) SELECT row_no, {search_body_sql(spec)} "
            f"FROM {spec.name} WHERE row_no IN ({', '.join('?' * len(chunk))})", tuple(chunk))


def unindex(conn: Connection, spec: KindSpec, row_nos: Iterable[int]) -> None:
    numbers = [(n,) for n in row_nos]
    if numbers:
        conn.exec_driver_sql(f"DELETE FROM {fts_table(spec.name)} WHERE rowid = ?", numbers)


