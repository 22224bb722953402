"""A first sync loads every record of the structure: its list indexes are built once at the end.

Inserting 100,000 pulled records page by page into ten indexes per table on random keys (names,
communes, trades…) touches pages all over each index: past the page cache, every insert reads and
decrypts index pages again, and a first sync took three times as long at 100,000 mentees as four
times 25,000. So a pull from the start of the feed drops the list indexes (sort keys, filters, the
live-rows order), appends the rows, and creates the indexes again at the end, each from one sort of
the table. The indexes lookups of the sync itself need stay: the unique record id, and the
references (a pulled mentor relabels the tandems pointing at it).

A sync cut half-way (the app closed, the laptop off) leaves the mark in the meta table: opening the
profile builds the indexes again before anything reads it (store/profile.py). Lists stay correct
meanwhile, only slower (SQLite scans instead of walking an index).
"""

from __future__ import annotations

from sqlalchemy import Connection, Index, Row, select

from ..domain.fields import FieldType
from ..domain.kinds import KINDS
from .schema import RECORD_TABLES, meta_table

DEFERRED_KEY = "indexes_deferred"
BUILD_CACHE_KIB = 400_000  # page cache while building: the table is read once, not once per index
CACHE_KIB = 65_536  # engine.make_engine's own


def _references(kind: str) -> set[str]:
    return {f.name for f in KINDS[kind].fields if f.type is FieldType.REF}


def deferrable() -> list[Index]:
    """The record tables' indexes a bulk load can do without: all but those on references."""
    found = []
    for kind, table in RECORD_TABLES.items():
        refs = _references(kind)
        found += [ix for ix in table.indexes if not {c.name for c in ix.columns} & refs]
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
