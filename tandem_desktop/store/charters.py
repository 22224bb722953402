"""The `charters` table: signed charter PDFs kept inside the encrypted database, and what their
transfer through the hub needs (PROTOCOL.md, "Charters and attachments"; sync/attachments.py).

Small functions taking a Store, so the charter service never writes SQL and repository.py stays about
synced records. Writes join the caller's transaction (Store.transaction nests), so a charter row and
the tandem's move to « charte signée » commit together or not at all. A charter is never replaced:
what comes from the hub fills a missing row or a missing file, never bytes already here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from ..domain.files import media_type
from ..domain.hlc import Stamp
from .errors import NotFound, NotReceived
from .remote import RemoteChanges
from .repository import Store
from .schema import RECORD_TABLES, blob_parts, charters

log = logging.getLogger(__name__)

# Everything but the two blobs: listing a tandem's charters must not load megabytes of PDF.
_SUMMARY_COLUMNS = [c for c in charters.c if c.name not in ("pdf", "scan")]
_FLAGS = [charters.c.scan.is_not(None).label("has_scan"), charters.c.pdf.is_not(None).label("has_pdf")]


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
    has_scan: bool = False  # the scan's bytes are here
    has_pdf: bool = True  # False: received from the hub, its PDF not arrived yet (NotReceived)
    hub_status: str = "local"  # see store/schema.py, charters
    hub_message: str | None = None  # why the hub refused it, in French
    device_id: str | None = None  # the device that made it (None: made before this release)
    received: bool = False  # came from the hub, made on another device
    scan_sha256: str | None = None  # set when the charter has a scan, here or still at the hub

    @property
    def sealed(self) -> bool:
        return self.mode == "screen"


def _stored(row: Any) -> StoredCharter:
    get = row.get
    return StoredCharter(
        id=row["id"], tandem_id=row["tandem_id"], template_id=row["template_id"],
        template_version=row["template_version"], verification_code=row["verification_code"], mode=row["mode"],
        sha256=row["sha256"], signed_on=row["signed_on"], signed_place=row["signed_place"],
        sealed_by=row["sealed_by"], self_signed=None if row["self_signed"] is None else bool(row["self_signed"]),
        created_at=row["created_at"], scan_name=row["scan_name"], has_scan=bool(get("has_scan")),
        has_pdf=bool(get("has_pdf", True)), hub_status=get("hub_status") or "local", hub_message=get("hub_message"),
        device_id=get("device_id"), received=bool(get("received")), scan_sha256=get("scan_sha256"),
    )


def insert_charter(store: Store, values: dict[str, Any]) -> StoredCharter:
    """Insert one row made on this device; joins the caller's transaction if there is one. Sizes,
    the scan's digest and media type are computed here from the bytes (hub_status 'local': the next
    sync announces it)."""
    row = dict(values)
    pdf, scan = row.get("pdf"), row.get("scan")
    if pdf is not None:
        row.setdefault("sha256", hashlib.sha256(pdf).hexdigest())
        row.setdefault("pdf_size", len(pdf))
    if scan is not None:
        row.setdefault("scan_sha256", hashlib.sha256(scan).hexdigest())
        row.setdefault("scan_size", len(scan))
        row.setdefault("scan_type", media_type(scan))
    row.setdefault("device_id", store.device_id)
    with store.transaction() as conn:
        conn.execute(charters.insert(), row)
    return _stored({**row, "has_scan": scan is not None, "has_pdf": pdf is not None})


def charters_of(store: Store, tandem_id: str) -> list[StoredCharter]:
    """The tandem's charters, newest first."""
    stmt = (select(*_SUMMARY_COLUMNS, *_FLAGS).where(charters.c.tandem_id == tandem_id)
            .order_by(charters.c.created_at.desc(), charters.c.id.desc()))
    with store.reading() as conn:
        return [_stored(row) for row in conn.execute(stmt).mappings()]


def get_charter(store: Store, charter_id: str) -> StoredCharter:
    with store.reading() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, *_FLAGS).where(charters.c.id == charter_id)).mappings().first()
    if row is None:
        raise NotFound("Charte", charter_id)
    return _stored(row)


def charter_pdf(store: Store, charter_id: str) -> bytes:
    """NotReceived when the charter came from the hub and its PDF has not arrived yet."""
    with store.reading() as conn:
        row = conn.execute(select(charters.c.pdf).where(charters.c.id == charter_id)).first()
    if row is None:
        raise NotFound("Charte", charter_id)
    if row.pdf is None:
        raise NotReceived("pdf")
    return bytes(row.pdf)


def charter_scan(store: Store, charter_id: str) -> tuple[bytes, str | None] | None:
    """(scan bytes, original file name) of an ink-signed charter, or None when no scan was given;
    NotReceived when it has one still at the hub."""
    with store.reading() as conn:
        row = conn.execute(select(charters.c.scan, charters.c.scan_name, charters.c.scan_sha256)
                           .where(charters.c.id == charter_id)).first()
    if row is None:
        raise NotFound("Charte", charter_id)
    if row.scan is None and row.scan_sha256 is not None:
        raise NotReceived("scan")
    return None if row.scan is None else (bytes(row.scan), row.scan_name)


def find_by_number(store: Store, number: str) -> StoredCharter | None:
    """The stored charter with this number (« K7Q4-9XPM », the `verification_code` column)."""
    with store.reading() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, *_FLAGS)
                           .where(charters.c.verification_code == number).limit(1)).mappings().first()
    return None if row is None else _stored(row)


def find_by_sha256(store: Store, sha256: str, charter_id: str | None = None) -> StoredCharter | None:
    """The stored charter whose PDF has exactly this digest (a file brought back for checking): the one
    under the file's own id first (another charter may name the same digest), then the earliest made."""
    preferred = (charters.c.id == (charter_id or "")).desc()
    with store.reading() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, *_FLAGS).where(charters.c.sha256 == sha256)
                           .order_by(preferred, charters.c.received, charters.c.created_at, charters.c.id)
                           .limit(1)).mappings().first()
    return None if row is None else _stored(row)


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


# -- transfer through the hub (sync/attachments.py) -----------------------------------------------


def _files(row: Any) -> list[dict[str, Any]]:
    """(role, sha256, size, media type, name) of a row's files, as the protocol's attachments."""
    files = [{"role": "pdf", "sha256": row["sha256"], "size": row["pdf_size"], "media_type": "application/pdf",
              "name": None}]
    if row["scan_sha256"] is not None:
        files.append({"role": "scan", "sha256": row["scan_sha256"], "size": row["scan_size"],
                      "media_type": row["scan_type"], "name": row["scan_name"]})
    return files


Files = list[dict[str, Any]]  # {role, sha256, size, media_type, name} of a charter's files


def to_announce(store: Store, after_id: str = "", limit: int = 100) -> list[tuple[dict[str, Any], Files]]:
    """The next charters made here that the hub has not taken yet: (row without its bytes, its files)."""
    stmt = (select(*_SUMMARY_COLUMNS).where(charters.c.hub_status == "local", charters.c.received.is_(False),
                                            charters.c.pdf.is_not(None), charters.c.id > after_id)
            .order_by(charters.c.id).limit(limit))
    with store.reading() as conn:
        return [(dict(row), _files(row)) for row in conn.execute(stmt).mappings()]


def set_hub_status(store: Store, changes: Iterable[tuple[str, str, str | None]]) -> None:
    """(charter id, new status, hub's message) for charters made here, in one transaction."""
    with store.transaction() as conn:
        for charter_id, status, message in changes:
            conn.execute(update(charters).where(charters.c.id == charter_id, charters.c.received.is_(False))
                         .values(hub_status=status, hub_message=message))


def to_upload(store: Store) -> list[tuple[str, list[dict[str, Any]]]]:
    """(charter id, its files) of the charters the hub knows and whose files may still be missing there."""
    stmt = (select(*_SUMMARY_COLUMNS).where(charters.c.hub_status == "announced", charters.c.received.is_(False))
            .order_by(charters.c.created_at, charters.c.id))
    with store.reading() as conn:
        return [(row["id"], _files(row)) for row in conn.execute(stmt).mappings()]


def charter_file(store: Store, charter_id: str, role: str) -> bytes | None:
    column = charters.c.scan if role == "scan" else charters.c.pdf
    with store.reading() as conn:
        data = conn.execute(select(column).where(charters.c.id == charter_id)).scalar()
    return None if data is None else bytes(data)


def store_received(store: Store, rows: list[dict[str, Any]], cursor: int) -> int:
    """Store one page of the hub's charter feed (as `charters` rows without their files) and its new
    cursor, in one transaction. A charter already here keeps its bytes (never replaced); one for a
    tandem erased here is not stored. Returns the number of charters new to this device."""
    tandem = RECORD_TABLES["tandem"]
    new = differing = 0
    with store.transaction() as conn:
        for row in rows:
            kept = _kept(conn, row["id"])
            if kept is not None and kept.tandem_id != row["tandem_id"]:
                # Ids are each structure's own at the hub: an administrator's device may receive two
                # structures' charters under one id. Both are kept, the later one under an id of its own.
                alias = uuid.uuid5(uuid.NAMESPACE_URL, f"tandem-charter:{row['tandem_id']}:{row['id']}")
                row = {**row, "id": str(alias)}
                kept = _kept(conn, row["id"])
            if kept is not None:
                if kept.sha256 != row["sha256"]:
                    differing += 1
                elif kept.received and kept.hub_status == "waiting" and row["hub_status"] == "synced":
                    conn.execute(update(charters).where(charters.c.id == row["id"]).values(hub_status="synced"))
                continue
            erased = conn.execute(select(tandem.c.erased).where(tandem.c.id == row["tandem_id"])).scalar()
            if erased is not None:
                continue
            conn.execute(charters.insert(), row)
            new += 1
        RemoteChanges._set_state(conn, {"charter_cursor": cursor})
    if differing:
        log.warning("charter feed: %d charter(s) differ from the copy kept here; the local copy is kept", differing)
    return new


def _kept(conn: Any, charter_id: str) -> Any:
    return conn.execute(select(charters.c.sha256, charters.c.tandem_id, charters.c.received, charters.c.hub_status)
                        .where(charters.c.id == charter_id)).first()


def missing_files(store: Store, charter_id: str | None = None) -> list[dict[str, Any]]:
    """Files not here yet, {charter_id, role, sha256, size}: of one charter, or of every received one."""
    missing_scan = (charters.c.scan_sha256.is_not(None)) & charters.c.scan.is_(None)
    stmt = select(charters.c.id, charters.c.sha256, charters.c.pdf_size, charters.c.scan_sha256,
                  charters.c.scan_size, charters.c.pdf.is_(None).label("no_pdf"), missing_scan.label("no_scan")
                  ).where(or_(charters.c.pdf.is_(None), missing_scan))
    # 'waiting' too: one of its files may be complete at the hub while another never arrives (the
    # transfer asks the hub, and skips what is not complete yet).
    stmt = stmt.where(charters.c.id == charter_id) if charter_id is not None else \
        stmt.where(charters.c.received.is_(True), charters.c.hub_status.in_(("synced", "waiting")))
    found = []
    with store.reading() as conn:
        for row in conn.execute(stmt.order_by(charters.c.created_at, charters.c.id)):
            if row.no_pdf:
                found.append({"charter_id": row.id, "role": "pdf", "sha256": row.sha256, "size": row.pdf_size})
            if row.no_scan:
                found.append({"charter_id": row.id, "role": "scan", "sha256": row.scan_sha256, "size": row.scan_size})
    return found


def part_numbers(store: Store, sha256: str) -> set[int]:
    with store.reading() as conn:
        return set(conn.execute(select(blob_parts.c.n).where(blob_parts.c.sha256 == sha256)).scalars())


def store_part(store: Store, sha256: str, n: int, data: bytes) -> None:
    """One downloaded chunk, in its own short transaction: a cut download keeps what arrived."""
    with store.transaction() as conn:
        conn.execute(blob_parts.insert().prefix_with("OR REPLACE"), {"sha256": sha256, "n": n, "data": data})


def assemble(store: Store, sha256: str, size: int) -> bool:
    """Put the downloaded chunks together into the charters that wait for this file, if the whole
    checks out (size and SHA-256); the chunks go either way. False: the file was not what was announced."""
    with store.transaction() as conn:
        parts = conn.execute(select(blob_parts.c.data).where(blob_parts.c.sha256 == sha256)
                             .order_by(blob_parts.c.n)).scalars().all()
        data = b"".join(bytes(part) for part in parts)
        ok = len(data) == size and hashlib.sha256(data).hexdigest() == sha256
        if ok:
            conn.execute(update(charters).where(charters.c.sha256 == sha256, charters.c.pdf.is_(None)).values(pdf=data))
            conn.execute(update(charters).where(charters.c.scan_sha256 == sha256, charters.c.scan.is_(None))
                         .values(scan=data))
        conn.execute(delete(blob_parts).where(blob_parts.c.sha256 == sha256))
    return ok


def purge_parts(store: Store) -> int:
    """Delete the chunks no charter waits for any more (erased, or assembled elsewhere)."""
    wanted = select(charters.c.sha256).where(charters.c.pdf.is_(None)).union(
        select(charters.c.scan_sha256).where(charters.c.scan.is_(None), charters.c.scan_sha256.is_not(None)))
    with store.transaction() as conn:
        return conn.execute(delete(blob_parts).where(blob_parts.c.sha256.not_in(wanted))).rowcount


def transfer_counts(store: Store) -> dict[str, int]:
    """What waits to go to the hub or to come from it (local reads only)."""
    missing = or_(charters.c.pdf.is_(None), charters.c.scan_sha256.is_not(None) & charters.c.scan.is_(None))
    stmt = select(charters.c.received, charters.c.hub_status, missing.label("missing"), func.count()).group_by(
        charters.c.received, charters.c.hub_status, "missing")
    counts = dict.fromkeys(("to_announce", "to_upload", "refused", "to_download", "waiting_at_hub"), 0)
    with store.reading() as conn:
        for received, status, absent, n in conn.execute(stmt):
            key = ({"waiting": "waiting_at_hub", "synced": "to_download" if absent else None} if received else
                   {"local": "to_announce", "announced": "to_upload", "refused": "refused"}).get(status)
            if key is not None:
                counts[key] += n
    with store.reading() as conn:
        counts["parts"] = conn.execute(select(func.count()).select_from(blob_parts)).scalar_one()
    return counts
