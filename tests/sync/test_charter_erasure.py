"""Issue 14, point 4: an erased person's charters and scans leave every device and the hub.

Two real devices of one structure and a real hub over HTTP: the first seals a charter and records an
ink charter with a scan, both reach the second device through the hub; then the mentee is erased.
Afterwards no device holds a row, a chunk or a byte of those files (every table of the decrypted
databases scanned for slices of them), the hub has no charter row, blob or chunk left, and the hub's
raw files (the SQLite file and its journal, or PostgreSQL's relation files after `tandem-hub vacuum`)
hold no slice of them either.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import text

from tandem_desktop.charter.render import PARTIES, Signature
from tandem_desktop.hub import erasure as hub_erasure
from tandem_desktop.services.charters import CharterService
from tandem_desktop.services.records import Actor, Records

from .conftest import sync_all
from .test_erasure import scan_postgres

DRAWING = [[(0.1, 0.5), (0.5, 0.2), (0.9, 0.6)]]


def slices(data: bytes, count: int = 6, size: int = 48) -> list[bytes]:
    """Slices spread over the file: any one surviving on disk is a trace of it."""
    step = max(1, (len(data) - size) // count)
    return [data[i:i + size] for i in range(64, len(data) - size, step)][:count]


def found(data: bytes, needles: list[bytes]) -> list[int]:
    return [n for n, needle in enumerate(needles) if needle in data]


def scan_decrypted(profile, needles: list[bytes]) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    hits: dict[str, list[int]] = {}
    with profile.store.reading() as conn:
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
        for table in tables:
            if table.endswith("_fts"):
                continue
            for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"'):
                blob = b"\x00".join(v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None)
                if where := found(blob, needles):
                    hits.setdefault(table, []).extend(where)
    return hits


def hub_rows(engine, tandem_id: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        charters = conn.execute(text("SELECT count(*) FROM charters WHERE tandem_id = :t"), {"t": tandem_id}).scalar()
        blobs = conn.execute(text("SELECT count(*) FROM blobs")).scalar()
        chunks = conn.execute(text("SELECT count(*) FROM blob_chunks")).scalar()
    return int(charters or 0), int(blobs or 0), int(chunks or 0)


def test_erasing_the_mentee_removes_charters_and_scans_everywhere(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale de Marseille")
    a, b = world.device(structure, "poste-a"), world.device(structure, "poste-b")
    state = a.store.remote.state()
    a.store.update("structure", structure, {"commune": "Marseille", "email": "contact@ml-marseille.fr"})
    records = Records(a.store, Actor())
    mentee = records.create("mentee", {"first_name": "Zéphyrine", "last_name": "Quaglia", "structure_id": structure,
                                       "counsellor_id": state["counsellor_id"], "consent_given": True}).record_id
    mentors = [records.create("mentor", {"first_name": "Hélène", "last_name": name, "capacity": 3,
                                         "employer": "CMA CGM", "job_title": "Comptable"}).record_id
               for name in ("Durand", "Roux")]
    other = records.create("mentee", {"first_name": "Karim", "last_name": "Benali", "structure_id": structure,
                                      "counsellor_id": state["counsellor_id"], "consent_given": True}).record_id
    pairs = ((mentors[0], mentee), (mentors[1], mentee), (mentors[0], other))
    tandems = [records.create("tandem", {"mentor_id": mentor, "mentee_id": who, "structure_id": structure,
                                         "counsellor_id": state["counsellor_id"], "duration_months": 6,
                                         "objectives": "Un apprentissage"}).record_id for mentor, who in pairs]
    service = CharterService(a.store)
    sealed = service.seal(tandems[0], [Signature(p, strokes=DRAWING) for p in PARTIES])
    scan = b"%PDF-1.4\n" + os.urandom(1_500_000)  # a scanned PDF: 2 chunks, bytes found nowhere else
    ink = service.record_ink_signature(tandems[1], signed_on=a.store.today(), place="Marseille", scan=scan,
                                       scan_name="charte-signee.pdf")
    kept = service.seal(tandems[2], [Signature(p, strokes=DRAWING) for p in PARTIES])  # another person's
    files = [service.pdf(sealed.id), service.pdf(ink.id), scan]
    # Two charters of one template share their fonts and layout: only what is unique to the erased
    # person's files (names, numbers, signatures, the scan) counts as a trace.
    common = service.pdf(kept.id)
    needles = [piece for data in files for piece in slices(data, count=40) if piece not in common][:30]
    assert len(needles) >= 10
    sync_all([a, b], rounds=2)
    on_b = CharterService(b.store)
    assert {c.id for t in tandems for c in on_b.charters_of(t)} == {sealed.id, ink.id, kept.id}
    assert hashlib.sha256(on_b.scan(ink.id)[0]).hexdigest() == hashlib.sha256(scan).hexdigest()
    assert hub_rows(world.engine, tandems[0])[0] == 1

    Records(a.store, Actor()).erase("mentee", mentee, "request")
    sync_all([a, b], rounds=2)

    for device in (a, b):
        charters = CharterService(device.store)
        assert charters.charters_of(tandems[0]) == [] and charters.charters_of(tandems[1]) == []
        assert [c.id for c in charters.charters_of(tandems[2])] == [kept.id]  # the other tandem's stays
        assert charters.pdf(kept.id)[:5] == b"%PDF-"
        assert scan_decrypted(device, needles) == {}
        with device.store.reading() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM blob_parts").scalar() == 0
    assert hub_rows(world.engine, tandems[0])[0] == 0 and hub_rows(world.engine, tandems[1])[0] == 0
    with world.engine.connect() as conn:
        left = conn.execute(text("SELECT sha256 FROM blobs")).scalars().all()
    assert set(left) == {kept.sha256}  # only the other tandem's charter is still at the hub
    if world.engine.dialect.name == "sqlite":
        folder = Path(world.engine.url.database).parent
        hits = {str(p): found(p.read_bytes(), needles) for p in folder.glob("hub.db*") if p.is_file()}
        assert {k: v for k, v in hits.items() if v} == {}
    else:
        hub_erasure.vacuum(world.engine)
        assert scan_postgres(world.engine, lambda data: found(data, needles)) == {}
