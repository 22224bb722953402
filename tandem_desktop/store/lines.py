"""The device's side of GET /v1/summary: per kind, the live records and a digest of their versions
(domain/digest.py), as the hub computes it. A record's line is built from its row without reading
every column: a bit mask tells which fields hold a value, and a row whose `versions` is "{}"
(written in one operation, the usual case) has every such field at created_hlc.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection

from ..domain.digest import digest_line, digest_of, hashed_digest
from ..domain.kinds import KINDS
from . import rows


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


def summary(conn: Connection, hashed: bool) -> dict[str, dict[str, Any]]:
    """{"counts": {kind: n}, "digests": {kind: hex}} of the live records; `hashed`: protocol 5's
    digest of the line hashes. Every record is read, every time: the check is also there to see a
    local database changed behind the app's back (tests/sync/test_check.py)."""
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for kind in KINDS:
        sql, names = _select(kind)
        holding = _Holding(names)
        lines = [_line(holding, record_id, raw, created, mask)
                 for record_id, raw, created, mask in conn.exec_driver_sql(sql).all()]
        counts[kind] = len(lines)
        if hashed:
            digests[kind] = hashed_digest([hashlib.sha256(line.encode()).hexdigest() for line in lines])
        else:
            lines.sort()
            digests[kind] = digest_of(lines)
    return {"counts": counts, "digests": digests}
