"""The device's side of GET /v1/summary: per kind, the live records and a digest of their versions
(domain/digest.py), as the hub computes it. A record's line is built from its row without reading
every column: a bit mask tells which fields hold a value, and a row whose `versions` is "{}"
(written in one operation, the usual case) has every such field at created_hlc.

Protocol 5 compares digests of line hashes, and `LineHashes` keeps those per record for the open
store: the first check of a session reads every record (so a database changed while the app was
closed is seen), later ones read again only the records the store's journal says were written since
(a push of 1,000 edits then costs 1,000 rows, not 100,000). Each kind's live count is asked every
time (an index count): rows that came or went behind the store's back make that kind read in full.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from ..domain.digest import digest_line, digest_of, hashed_digest
from ..domain.kinds import KINDS
from . import rows
from .journal import WriteJournal

IN_CHUNK = 500  # ids per `IN (…)` when reading written records again


def _select(kind: str) -> tuple[str, list[str]]:
    names = sorted(KINDS[kind].field_names)  # the line's order
    assert len(names) < 63
    # One integer per row, a bit per field holding a value (those carry created_hlc when `versions`
    # does not name them): far cheaper than fetching every column, or building a string of 0/1.
    present = " | ".join(f"(({n} IS NOT NULL) << {i})" for i, n in enumerate(names))
    return f"SELECT id, versions, created_hlc, {present} FROM {kind} WHERE deleted = 0", names


class _Holding(dict[int, list[str]]):
    """bit mask -> the names of the fields it says hold a value (few masks repeat over many rows)."""

    def __init__(self, names: list[str]):
        super().__init__()
        self.names = names

    def __missing__(self, mask: int) -> list[str]:
        self[mask] = held = [n for i, n in enumerate(self.names) if mask >> i & 1]
        return held


def _line(holding: _Holding, record_id: str, raw: str, created: str, mask: int) -> str:
    held = holding[mask]
    if raw == "{}":  # the usual row: every field holding a value at created_hlc, `id|a=C|b=C…`
        return f"{record_id}|{f'={created}|'.join(held)}={created}" if held else record_id
    return digest_line(record_id, rows.versions_of(raw, created, held))


def _lines(conn: Connection, kind: str, ids: list[str] | None = None) -> Iterable[tuple[str, str]]:
    """(record id, summary line) of the live records of `kind`, or of those among `ids`."""
    sql, names = _select(kind)
    holding = _Holding(names)
    if ids is None:
        chunks: Iterable[list[str] | None] = [None]
    else:
        chunks = (ids[start:start + IN_CHUNK] for start in range(0, len(ids), IN_CHUNK))
    for chunk in chunks:
        # By id first: `+deleted` keeps SQLite from walking the live-rows index instead (every row).
        by_id = f"{sql.replace('deleted = 0', '+deleted = 0')} AND id IN "
        query = sql if chunk is None else f"{by_id}({', '.join('?' * len(chunk))})"
        for record_id, raw, created, mask in conn.exec_driver_sql(query, tuple(chunk or ())).all():
            yield record_id, _line(holding, record_id, raw, created, mask)


def _live(conn: Connection, kind: str) -> int:
    return conn.exec_driver_sql(f"SELECT count(*) FROM {kind} WHERE deleted = 0").scalar_one()


def _hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def summary(conn: Connection, hashed: bool) -> dict[str, dict[str, Any]]:
    """{"counts": {kind: n}, "digests": {kind: hex}} of the live records, every record read;
    `hashed`: protocol 5's digest of the line hashes."""
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for kind in KINDS:
        lines = [line for _, line in _lines(conn, kind)]
        counts[kind] = len(lines)
        if hashed:
            digests[kind] = hashed_digest([_hash(line) for line in lines])
        else:
            lines.sort()
            digests[kind] = digest_of(lines)
    return {"counts": counts, "digests": digests}


class LineHashes:
    """Protocol 5's summary of an open store, following its journal (module docstring)."""

    def __init__(self, journal: WriteJournal):
        self._journal = journal
        self._lock = threading.Lock()  # one update at a time; the sync and `tandem` may both ask
        self._mark: int | None = None  # journal mark the hashes hold at; None: read everything
        self._hashes: dict[str, dict[str, str]] = {}  # kind -> record id -> line hash (live records)
        self._digests: dict[str, str] = {}

    def forget(self) -> None:
        """Read every record at the next summary (the database changed under the store)."""
        with self._lock:
            self._mark = None

    def summary(self, conn: Connection) -> dict[str, dict[str, Any]]:
        with self._lock:
            mark, written = self._journal.since(self._mark) if self._mark is not None else (self._journal.mark(), None)
            # The mark is taken before reading: a write committed meanwhile is read now and again next time.
            for kind in KINDS:
                hashes = self._hashes.get(kind) if written is not None else None
                ids = sorted(written.get(kind, ())) if written else []
                if hashes is not None and ids:
                    for rid in ids:
                        hashes.pop(rid, None)  # deleted ones stay out: only live records are read back
                    hashes.update((rid, _hash(line)) for rid, line in _lines(conn, kind, ids))
                if hashes is None or _live(conn, kind) != len(hashes):  # rows came or went behind our back
                    hashes = self._hashes[kind] = {rid: _hash(line) for rid, line in _lines(conn, kind)}
                elif not ids:
                    continue  # nothing written: the digest holds
                self._digests[kind] = hashed_digest(list(hashes.values()))
            self._mark = mark
            return {"counts": {kind: len(self._hashes[kind]) for kind in KINDS}, "digests": dict(self._digests)}
