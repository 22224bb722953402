"""Read side: list pages with search, filters and sort, fast enough to run as the counsellor types."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Select, and_, case, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from ..domain.erasure import ERASED
from ..domain.fields import FieldType, KindSpec
from .schema import FTS_KINDS, RECORD_TABLES, fts_table, label_column, labelled_columns, sort_column
from .search import SQL_FOLD, fts_query, search_words

FOLDED = (FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.CHOICE, FieldType.LONG_TEXT)


@dataclass(frozen=True)
class ListQuery:
    search: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)  # field name -> wanted value
    sort: str | None = None  # a field name; None = the kind's natural order (name, date…)
    descending: bool = False


_PLANS: dict[tuple[str, tuple[str, ...] | None], tuple[tuple[str, FieldType], ...]] = {}


def _plan(spec: KindSpec, fields: tuple[str, ...] | None = None) -> tuple[tuple[str, FieldType], ...]:
    """(name, type) of each field read (all, or `fields`), built once: a bulk read converts thousands of rows."""
    plan = _PLANS.get((spec.name, fields))
    if plan is None or (fields is None and len(plan) != len(spec.fields)):
        chosen = spec.fields if fields is None else [spec.by_name[n] for n in fields]
        plan = _PLANS[(spec.name, fields)] = tuple((f.name, f.type) for f in chosen)
    return plan


def _list(text: str) -> Any:
    try:
        return orjson.loads(text)  # bulk reads (25,000 mentees for matching) decode six lists each
    except orjson.JSONDecodeError:
        return json.loads(text)


def record_from_row(spec: KindSpec, row: Mapping[str, Any], fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A stored row as a record: every field, or only `fields` (a list row: the others are not decoded)."""
    record: dict[str, Any] = {"id": row["id"]}
    for name, kind in _plan(spec, fields):
        value = row[name]
        if value is not None and kind is FieldType.LIST:
            value = _list(value)
        elif value is not None and kind is FieldType.BOOL:
            value = bool(value)
        record[name] = value
    for extra in ("deleted", "updated_hlc", "created_hlc"):
        if extra in row:
            record[extra] = bool(row[extra]) if extra == "deleted" else row[extra]
    if row.get(ERASED) is not None:  # only erased records carry it: the others read as before
        record[ERASED] = orjson.loads(row[ERASED])
    return record


def list_fields(spec: KindSpec) -> tuple[str, ...]:
    """What a list row holds: the columns shown, the title fields and the status (the view's needs)."""
    names = (*spec.list_columns, *spec.title_fields, *((spec.status_field,) if spec.status_field else ()))
    return tuple(dict.fromkeys(names))


class Descending:
    """One term of a row's place in a descending order: compares the other way round."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __lt__(self, other: Descending) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Descending({self.value!r})"


ORDER = "__order"  # a list row's place in its query's order (a tuple Python compares as SQLite sorts)


def _order_terms(spec: KindSpec, query: ListQuery) -> list[tuple[ColumnElement, bool]]:
    """(expression, descending) of the query's ORDER BY. A list column walks its index (schema.sort_column);
    the tie-breakers follow the direction, so a descending page is the same index walked backwards."""
    table = RECORD_TABLES[spec.name]
    down = query.descending
    if query.sort and query.sort in spec.by_name:
        column = sort_column(spec, query.sort) if query.sort in spec.list_columns else None
        if column == "sort_key":  # the natural order's first field: its own index
            return [(table.c.sort_key, down), (table.c.row_no, down)]
        if column is not None:
            terms = [(table.c[column], down)]
        else:  # a column no list shows (or a long text): sorted per query, the old way
            field_spec = spec.by_name[query.sort]
            raw = table.c[query.sort]
            folded = field_spec.type in FOLDED or bool(field_spec.ref)
            terms = [(getattr(func, SQL_FOLD)(raw), down), (raw, down)] if folded else [(raw, down)]
        return [*terms, (table.c.sort_key, down), (table.c.row_no, down)]
    terms = [(table.c.sort_key, down), (table.c.row_no, down)]
    if spec.last_statuses and spec.status_field:  # live records first, whatever the direction
        terms.insert(0, (case((table.c[spec.status_field].in_(spec.last_statuses), 1), else_=0), False))
    return terms


def _place(values: Sequence[Any], downs: Sequence[bool]) -> tuple[Any, ...]:
    """A row's order values as a tuple that compares like SQLite's ORDER BY (NULL first ascending)."""
    return tuple(Descending(v) if down else v
                 for v, down in zip(((0,) if x is None else (1, x) for x in values), downs, strict=True))


def _matching_rows(kind: str) -> Select:
    fts = fts_table(kind)
    return select(literal_column("rowid")).select_from(text(fts)).where(text(f"{fts} MATCH :q"))


def _search_condition(spec: KindSpec, outer, plan: str | None = None) -> ColumnElement:  # type: ignore[no-untyped-def]
    if spec.name in FTS_KINDS:  # FILTER: the filter's rows are checked against the matches, not the reverse
        row_no = _unindexed(outer.c.row_no) if plan == FILTER else outer.c.row_no  # MATCHES: they lead
        return row_no.in_(_matching_rows(spec.name))
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


WALK_LIMIT = 2000  # filters keeping fewer rows than this: read them by a filter's index and sort them
# Searches matching fewer rows than this: read the matches by row number and sort them. Lower than
# WALK_LIMIT: each match is a row read anywhere in the table (5 µs), where walking the sort index
# finds a page of 200 after 200 / density entries (0.1 µs each): 1,400 matches of 100,000 rows took
# 7 ms that way against 1 ms by walking, none 0.1 ms against 10 ms.
MATCHES_LIMIT = 500
PROBED_WORD = 3  # shorter words have their prefix index and match too many rows at any size to lead
WALK, FILTER, MATCHES = "walk", "filter", "matches"  # the plans of a page (see _plan_of)
SORTED_APART = (FILTER, MATCHES)  # plans that read a few rows and sort them, without a sort index


def _unindexed(column: Any) -> ColumnElement:
    """`+column`: the same value, but SQLite may not use an index for it (a plan chosen on purpose:
    without statistics, SQLite takes `deleted = 0` on a sort index for a selective term)."""
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def _conditions(spec: KindSpec, query: ListQuery, plan: str | None = None) -> tuple[list[Any], dict[str, str]]:
    """The WHERE terms of a query and their bound values. WALK: only `deleted` may use an index (the
    page walks a sort index); FILTER: only the filters may (read what they keep, then sort); MATCHES:
    only the search's matches lead (read them by row number, then sort)."""
    table = RECORD_TABLES[spec.name]
    deleted = _unindexed(table.c.deleted) if plan in SORTED_APART else table.c.deleted
    conditions: list[Any] = [deleted.is_(False)]
    for name, value in query.filters.items():
        if value in (None, ""):
            continue
        column = _unindexed(table.c[name]) if plan in (WALK, MATCHES) else table.c[name]
        conditions.append(column.is_(None) if value == "__none__" else column == value)
    match = fts_query(query.search)
    if not match:
        return conditions, {}
    return [*conditions, _search_condition(spec, table, plan)], {"q": match}


def _filtered(spec: KindSpec, query: ListQuery, stmt: Select, plan: str | None = None) -> Select:
    conditions, params = _conditions(spec, query, plan)
    return stmt.where(*conditions).params(**params)


def _filtering(query: ListQuery) -> bool:
    return any(value not in (None, "") for value in query.filters.values())


def _plan_of(conn: Connection, spec: KindSpec, query: ListQuery) -> str:
    """FILTER when the filters keep fewer than WALK_LIMIT rows (found by reading at most that many
    entries of a filter's index), MATCHES when the search matches fewer than MATCHES_LIMIT, else
    WALK: the sort index is walked, and one row in fifty or more matches (a rare status walked that
    way read every row: 0.3 s at 100,000 mentees; a name with no match, 10 ms for every key typed
    after the last letter that matched)."""
    if _filtering(query):
        conditions, _ = _conditions(spec, replace(query, search=""), FILTER)
        kept = select(literal_column("1")).select_from(RECORD_TABLES[spec.name]).where(*conditions).limit(WALK_LIMIT)
        if conn.execute(select(func.count()).select_from(kept.subquery())).scalar_one() < WALK_LIMIT:
            return FILTER
    match = fts_query(query.search)
    if match and spec.name in FTS_KINDS and max(map(len, search_words(query.search))) >= PROBED_WORD:
        fts = fts_table(spec.name)
        found = conn.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :q LIMIT :n)"),
                             {"q": match, "n": MATCHES_LIMIT}).scalar_one()
        if found < MATCHES_LIMIT:
            return MATCHES
    return WALK


def find(conn: Connection, spec: KindSpec, query: ListQuery, offset: int, limit: int, *,
         fields: Sequence[str] | None = None, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """A page of the query's records, in its order. `fields`: only those (a list row: list_fields),
    with the labels of the references shown and the row's place in the order (ORDER); None: whole
    records. `ids`: only those records, if they match (a list reading again the rows a write
    touched), in no order."""
    table = RECORD_TABLES[spec.name]
    terms = _order_terms(spec, query)
    if fields is None:
        plan, shown = None, labelled_columns(spec)
        columns: list[Any] = [table]
    else:
        plan = _plan(spec, tuple(fields))
        shown = tuple(name for name in labelled_columns(spec) if name in fields)
        columns = [table.c.id, *(table.c[name] for name, _ in plan), *(table.c[label_column(n)] for n in shown),
                   *(term.label(f"__o{i}") for i, (term, _) in enumerate(terms))]
    if ids is None:
        plan_of = _plan_of(conn, spec, query)
        order = [_unindexed(term) if plan_of in SORTED_APART and isinstance(term, Column) else term
                 for term, _ in terms]
        stmt = _filtered(spec, query, select(*columns), plan_of)
        stmt = stmt.order_by(*(term.desc() if down else term.asc() for term, (_, down) in zip(order, terms,
                                                                                                 strict=True)))
        rows = list(conn.execute(stmt.offset(offset).limit(limit)))
    else:  # by id (its unique index, whatever the filters); whether each still matches is a column
        conditions, params = _conditions(spec, query)
        stmt = select(*columns, and_(*conditions).label("__match")).params(**params)
        wanted, rows = sorted(set(ids)), []
        for start in range(0, len(wanted), 500):
            rows += [row for row in conn.execute(stmt.where(table.c.id.in_(wanted[start:start + 500]))) if row[-1]]
    if plan is None:
        return [_whole(spec, row._mapping) for row in rows]
    downs = [down for _, down in terms]
    first_label, first_term = 1 + len(plan), 1 + len(plan) + len(shown)
    result = []
    for row in rows:
        record: dict[str, Any] = {"id": row[0]}
        for (name, kind), value in zip(plan, row[1:first_label], strict=True):
            if value is not None and kind is FieldType.LIST:
                value = _list(value)
            elif value is not None and kind is FieldType.BOOL:
                value = bool(value)
            record[name] = value
        for name, value in zip(shown, row[first_label:first_term], strict=True):
            record[label_column(name)] = value
        record[ORDER] = _place(row[first_term:first_term + len(terms)], downs)
        result.append(record)
    return result


def _whole(spec: KindSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    record = record_from_row(spec, row)
    for name in labelled_columns(spec):
        record[label_column(name)] = row[label_column(name)]
    return record


def count(conn: Connection, spec: KindSpec, query: ListQuery) -> int:
    match = fts_query(query.search)
    filtering = _filtering(query)
    if match and not filtering and spec.name in FTS_KINDS:  # the index holds the live rows only
        fts = fts_table(spec.name)
        return conn.execute(text(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :q"), {"q": match}).scalar_one()
    stmt = _filtered(spec, query, select(func.count()).select_from(RECORD_TABLES[spec.name]),
                     FILTER if filtering else None)
    return conn.execute(stmt).scalar_one()


def distinct_values(conn: Connection, kind: str, name: str) -> list[str]:
    """The values a filter offers. Read from the column's (value, deleted) index alone: through a
    sort index (deleted first) it read every row, 0.7 s at 100,000 mentees, after every pulled page."""
    table = RECORD_TABLES[kind]
    column = table.c[name]
    stmt = (select(column).distinct().where(_unindexed(table.c.deleted).is_(False), column.is_not(None))
            .order_by(getattr(func, SQL_FOLD)(column), column))
    return [v for v in conn.execute(stmt).scalars() if v != ""]
