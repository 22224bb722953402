"""A first sync loads every record of the structure: its list indexes are built once at the end.

Inserting 100,000 pulled records page by page into ten indexes per table on random keys (names,
communes, trades…) touches pages all over each index: past the page cache, every insert reads and
decrypts index pages again, and a first sync took three times as long at 100,000 mentees as four
times 25,000. So a pull from the start of the feed drops the indexes of the list columns a header
click sorts by, appends the rows, and creates those indexes again at the end, each from one sort of the table.
What the sync and the window use meanwhile stays: the record id, the references, the filter fields
and the natural order.

A sync cut half-way (the app closed, the laptop off) leaves the mark in the meta table: opening the
profile builds the indexes again before anything reads it (store/profile.py). Lists stay correct
meanwhile; only a sort by another column is slower (SQLite sorts instead of walking an index).
"""

from __future__ import annotations

from sqlalchemy import Connection, Index, Row, select

from ..domain.fields import FieldType
from ..domain.kinds import KINDS
from .engine import CACHE_KIB
from .schema import RECORD_TABLES, meta_table

DEFERRED_KEY = "indexes_deferred"
BUILD_CACHE_KIB = 400_000  # page cache while building: the table is read once, not once per index


def _kept(kind: str) -> set[str]:
    """Columns whose indexes stay: references (a pulled mentor relabels the tandems pointing at it),
    the filter fields (the window reads their value lists from the index after each page) and the
    natural order (the list the window shows, read again after each page)."""
    spec = KINDS[kind]
    return {f.name for f in spec.fields if f.type is FieldType.REF} | {
        name for name in (spec.status_field, spec.commune_field) if name}


def deferrable() -> list[Index]:
    """The record tables' indexes a bulk load can do without: those of the other list columns (a
    click on their header), each on keys in no order, so each insert lands anywhere in them."""
    found = []
    for kind, table in RECORD_TABLES.items():
        kept = _kept(kind)
        found += [ix for ix in table.indexes if str(ix.name).startswith(f"ix_{kind}_by_")
                  and not {c.name for c in ix.columns} & kept]
    return sorted(found, key=lambda ix: str(ix.name))


def _mark(conn: Connection) -> Row[tuple[str]] | None:
    return conn.execute(select(meta_table.c.value).where(meta_table.c.key == DEFERRED_KEY)).first()


def is_deferred(conn: Connection) -> bool:
    return _mark(conn) is not None


def defer(conn: Connection) -> None:
    """Drop the deferrable indexes and leave the mark (in the caller's transaction)."""
    if is_deferred(conn):
        return
    for index in deferrable():
        index.drop(conn, checkfirst=True)
    conn.execute(meta_table.insert().prefix_with("OR REPLACE"), {"key": DEFERRED_KEY, "value": "1"})


def rebuild(conn: Connection) -> bool:
    """Create the deferred indexes again and clear the mark; False when none were deferred."""
    if not is_deferred(conn):
        return False
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
    try:
        for index in deferrable():
            index.create(conn, checkfirst=True)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute(meta_table.delete().where(meta_table.c.key == DEFERRED_KEY))
    return True
