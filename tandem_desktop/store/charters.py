"""The `charters` table: signed charter PDFs kept inside the encrypted database.

Small functions taking a Store, so the charter service never writes SQL and repository.py stays about
synced records. Writes join the caller's transaction (Store.transaction nests), so a charter row and
the tandem's move to « charte signée » commit together or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..domain.hlc import Stamp
from .errors import NotFound
from .repository import Store
from .schema import RECORD_TABLES, charters

# Everything but the two blobs: listing a tandem's charters must not load megabytes of PDF.
_SUMMARY_COLUMNS = [c for c in charters.c if c.name not in ("pdf", "scan")]


@dataclass(frozen=True)
class StoredCharter:
    """One signed charter as listed in the app (the PDF and scan are fetched on demand)."""

    id: str
    tandem_id: str
    template_id: str
    template_version: str
    verification_code: str
    mode: str  # "screen" (drawn and sealed) or "ink"
    sha256: str
    signed_on: str  # ISO date
    signed_place: str | None
    sealed_by: str | None
    self_signed: bool | None
    created_at: str
    scan_name: str | None = None
    has_scan: bool = False

    @property
    def sealed(self) -> bool:
        return self.mode == "screen"


def _stored(row: Any, has_scan: bool) -> StoredCharter:
    return StoredCharter(
        id=row["id"], tandem_id=row["tandem_id"], template_id=row["template_id"],
        template_version=row["template_version"], verification_code=row["verification_code"], mode=row["mode"],
        sha256=row["sha256"], signed_on=row["signed_on"], signed_place=row["signed_place"],
        sealed_by=row["sealed_by"], self_signed=None if row["self_signed"] is None else bool(row["self_signed"]),
        created_at=row["created_at"], scan_name=row["scan_name"], has_scan=has_scan,
    )


def insert_charter(store: Store, values: dict[str, Any]) -> StoredCharter:
    """Insert one row (all columns of the table); joins the caller's transaction if there is one."""
    with store.transaction() as conn:
        conn.execute(charters.insert(), values)
    return _stored(values, values.get("scan") is not None)


def charters_of(store: Store, tandem_id: str) -> list[StoredCharter]:
    """The tandem's charters, newest first."""
    has_scan = charters.c.scan.is_not(None).label("has_scan")
    stmt = (select(*_SUMMARY_COLUMNS, has_scan).where(charters.c.tandem_id == tandem_id)
            .order_by(charters.c.created_at.desc(), charters.c.id.desc()))
    with store.reading() as conn:
        return [_stored(row, bool(row["has_scan"])) for row in conn.execute(stmt).mappings()]


def get_charter(store: Store, charter_id: str) -> StoredCharter:
    has_scan = charters.c.scan.is_not(None).label("has_scan")
    with store.reading() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, has_scan).where(charters.c.id == charter_id)).mappings().first()
    if row is None:
        raise NotFound("Charte", charter_id)
    return _stored(row, bool(row["has_scan"]))


def charter_pdf(store: Store, charter_id: str) -> bytes:
    with store.reading() as conn:
        pdf = conn.execute(select(charters.c.pdf).where(charters.c.id == charter_id)).scalar()
    if pdf is None:
        raise NotFound("Charte", charter_id)
    return bytes(pdf)


def charter_scan(store: Store, charter_id: str) -> tuple[bytes, str | None] | None:
    """(scan bytes, original file name) of an ink-signed charter, or None when no scan was given."""
    with store.reading() as conn:
        row = conn.execute(select(charters.c.scan, charters.c.scan_name).where(charters.c.id == charter_id)).first()
    if row is None:
        raise NotFound("Charte", charter_id)
    return None if row.scan is None else (bytes(row.scan), row.scan_name)


def find_by_number(store: Store, number: str) -> StoredCharter | None:
    """The stored charter with this number (« K7Q4-9XPM », the `verification_code` column)."""
    with store.reading() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, charters.c.scan.is_not(None).label("has_scan"))
                           .where(charters.c.verification_code == number).limit(1)).mappings().first()
    return None if row is None else _stored(row, bool(row["has_scan"]))


def find_by_sha256(store: Store, sha256: str) -> StoredCharter | None:
    """The stored charter whose PDF has exactly this digest (a file brought back for checking)."""
    with store.reading() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, charters.c.scan.is_not(None).label("has_scan"))
                           .where(charters.c.sha256 == sha256).limit(1)).mappings().first()
    return None if row is None else _stored(row, bool(row["has_scan"]))


def signing_date_device(store: Store, tandem_id: str) -> str | None:
    """The device that wrote the tandem's `charter_signed_on` (from its field version), or None.

    Charter PDFs stay on the device that made them; the date syncs. So a date written by another
    device means the charter is kept there, one written here without a charter row was typed in
    (or imported) for a charter signed on paper.
    """
    table = RECORD_TABLES["tandem"]
    with store.reading() as conn:
        row = conn.execute(select(table.c.charter_signed_on, table.c.versions, table.c.created_hlc)
                           .where(table.c.id == tandem_id)).first()
    if row is None or not row.charter_signed_on:
        return None
    try:
        stamp = json.loads(row.versions or "{}").get("charter_signed_on") or row.created_hlc
        return Stamp.parse(stamp).device
    except (ValueError, AttributeError):
        return None
