"""Read side: list pages with search, filters and sort, fast enough to run as the counsellor types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, case, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from ..domain.fields import FieldType, KindSpec
from ..domain.kinds import KINDS
from .schema import FTS_KINDS, RECORD_TABLES, fts_table
from .search import SQL_FOLD, fts_query


@dataclass(frozen=True)
class ListQuery:
    search: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)  # field name -> wanted value
    sort: str | None = None  # a field name; None = the kind's natural order (name, date…)
    descending: bool = False


def record_from_row(spec: KindSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": row["id"]}
    for f in spec.fields:
        value = row[f.name]
        if value is not None and f.type is FieldType.LIST:
            value = json.loads(value)
        elif value is not None and f.type is FieldType.BOOL:
            value = bool(value)
        record[f.name] = value
    for extra in ("deleted", "updated_hlc", "created_hlc"):
        if extra in row:
            record[extra] = bool(row[extra]) if extra == "deleted" else row[extra]
    return record


def _ref_label(spec: KindSpec, name: str, outer) -> ColumnElement:  # type: ignore[no-untyped-def]
    target_spec = KINDS[spec.by_name[name].ref or ""]
    target = RECORD_TABLES[target_spec.name].alias(f"ref_{name}")
    parts = [func.coalesce(target.c[t], "") for t in target_spec.title_fields]
    label = parts[0]
    for part in parts[1:]:
        label = label + " " + part
    return select(label).where(target.c.id == outer.c[name]).scalar_subquery().label(f"{name}__label")


def _matching_rows(kind: str) -> Select:
    fts = fts_table(kind)
    return select(literal_column("rowid")).select_from(text(fts)).where(text(f"{fts} MATCH :q"))


def _search_condition(spec: KindSpec, outer) -> ColumnElement:  # type: ignore[no-untyped-def]
    if spec.name in FTS_KINDS:
        return outer.c.row_no.in_(_matching_rows(spec.name))
    # Tandems (and meetings) are found through the people in them.
    conditions = []
    for name in ("mentor_id", "mentee_id"):
        if name in spec.by_name:
            kind = spec.by_name[name].ref or ""
            people = RECORD_TABLES[kind]
            matching = select(people.c.id).where(people.c.row_no.in_(_matching_rows(kind)))
            conditions.append(outer.c[name].in_(matching))
    if not conditions:
        return text("0")
    result = conditions[0]
    for condition in conditions[1:]:
        result = result | condition
    return result


def _filtered(spec: KindSpec, query: ListQuery, stmt: Select) -> Select:
    table = RECORD_TABLES[spec.name]
    stmt = stmt.where(table.c.deleted.is_(False))
    for name, value in query.filters.items():
        if value in (None, ""):
            continue
        column = table.c[name]
        stmt = stmt.where(column.is_(None) if value == "__none__" else column == value)
    match = fts_query(query.search)
    if match:
        stmt = stmt.where(_search_condition(spec, table)).params(q=match)
    return stmt


def find(conn: Connection, spec: KindSpec, query: ListQuery, offset: int, limit: int) -> list[dict[str, Any]]:
    table = RECORD_TABLES[spec.name]
    refs = [f.name for f in spec.fields if f.ref and f.name in spec.list_columns]
    labels = [_ref_label(spec, name, table) for name in refs]
    stmt = _filtered(spec, query, select(table, *labels))
    if query.sort and query.sort in spec.by_name:
        field_spec = spec.by_name[query.sort]
        key = (literal_column(f"{query.sort}__label") if field_spec.ref and query.sort in refs
               else table.c[query.sort])
        keys = [key]
        if field_spec.type in (FieldType.TEXT, FieldType.EMAIL, FieldType.CHOICE) or field_spec.ref:
            keys = [getattr(func, SQL_FOLD)(key), key]  # French order; accents break ties only
        keys = [k.desc() if query.descending else k.asc() for k in keys]
        stmt = stmt.order_by(*keys, table.c.sort_key, table.c.row_no)
    else:
        order = table.c.sort_key.desc() if query.descending else table.c.sort_key.asc()
        keys = [order, table.c.row_no]
        if spec.last_statuses and spec.status_field:  # live records first, whatever the direction
            keys.insert(0, case((table.c[spec.status_field].in_(spec.last_statuses), 1), else_=0))
        stmt = stmt.order_by(*keys)
    rows = conn.execute(stmt.offset(offset).limit(limit)).mappings().all()
    result = []
    for row in rows:
        record = record_from_row(spec, row)
        for name in refs:
            record[f"{name}__label"] = row[f"{name}__label"]
        result.append(record)
    return result


def count(conn: Connection, spec: KindSpec, query: ListQuery) -> int:
    stmt = _filtered(spec, query, select(func.count()).select_from(RECORD_TABLES[spec.name]))
    return conn.execute(stmt).scalar_one()


def distinct_values(conn: Connection, kind: str, name: str) -> list[str]:
    table = RECORD_TABLES[kind]
    column = table.c[name]
    stmt = (select(column).distinct().where(table.c.deleted.is_(False), column.is_not(None))
            .order_by(getattr(func, SQL_FOLD)(column), column))
    return [v for v in conn.execute(stmt).scalars() if v != ""]
