"""Charters through the hub (PROTOCOL.md, "Charters and attachments", protocol 6), device side.

Real hub over HTTP, real encrypted profiles. Charters sealed or signed in ink on one device reach every
device of its structure (and no other), byte for byte; a wiped laptop enrolled again gets them all
back; a cut upload or download resumes with only the chunks missing; a refused charter never stops
the records. The only doubles are of the network (a HubClient cutting the connection after k chunks).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tandem_desktop.charter.render import PARTIES, Signature
from tandem_desktop.domain.ids import new_id
from tandem_desktop.services import attachments as attachment_service
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store import charters as charter_store
from tandem_desktop.store.errors import NotReceived
from tandem_desktop.store.profile import Profile
from tandem_desktop.sync.attachments import received_row
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import connection_settings, load_token
from tandem_desktop.sync.errors import HubUnreachable

from .conftest import World

DRAWING = [[(0.1, 0.5), (0.5, 0.2), (0.9, 0.6)], [(0.2, 0.8), (0.8, 0.8)]]
MIB = 1024 * 1024


def make_tandem(profile: Profile, structure: str, last_name: str = "Quaglia") -> str:
    """A tandem of the device's structure with everything a charter needs."""
    counsellor = profile.store.remote.state()["counsellor_id"]
    profile.store.update("structure", structure, {"commune": "Marseille", "email": "contact@ml-marseille.fr"})
    records = Records(profile.store, Actor())
    mentee = records.create("mentee", {"first_name": "Zéphyrine", "last_name": last_name, "structure_id": structure,
                                       "counsellor_id": counsellor, "consent_given": True}).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 3,
                                       "employer": "CMA CGM", "job_title": "Comptable"}).record_id
    return records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "structure_id": structure,
                                     "counsellor_id": counsellor, "duration_months": 6,
                                     "objectives": "Un apprentissage"}).record_id


def seal(profile: Profile, tandem: str) -> Any:
    return CharterService(profile.store).seal(tandem, [Signature(p, strokes=DRAWING) for p in PARTIES])


def scan_png(size: int) -> bytes:
    """A « scan »: PNG magic and random bytes (found nowhere else, incompressible)."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def ink(profile: Profile, tandem: str, scan: bytes) -> Any:
    return CharterService(profile.store).record_ink_signature(tandem, signed_on=profile.store.today(),
                                                              place="Marseille", scan=scan, scan_name="scan.png")


def digests(profile: Profile) -> dict[str, tuple[str | None, str | None]]:
    """charter id -> (SHA-256 of the PDF here, of the scan here), None for a file not here."""
    with profile.store.reading() as conn:
        rows = conn.execute(text("SELECT id, pdf, scan FROM charters")).all()
    return {r.id: tuple(None if d is None else hashlib.sha256(d).hexdigest() for d in (r.pdf, r.scan))
            for r in rows}  # type: ignore[misc]


def hub_status(profile: Profile) -> dict[str, str]:
    with profile.store.reading() as conn:
        return dict(conn.execute(text("SELECT id, hub_status FROM charters")).all())  # type: ignore[arg-type]


class CutClient(HubClient):
    """The network of a real hub, cut (HubUnreachable) after `cut_after` chunks of one direction."""

    def __init__(self, profile: Profile, *, cut_puts: int | None = None, cut_gets: int | None = None):
        state = profile.store.remote.state()
        super().__init__(state["hub_url"], load_token(profile, state), **connection_settings(state))
        self.cut_puts, self.cut_gets = cut_puts, cut_gets
        self.puts: list[tuple[str, int]] = []
        self.gets: list[tuple[str, int]] = []

    def put_chunk(self, sha256: str, n: int, data: bytes) -> dict[str, Any]:
        if self.cut_puts is not None and len(self.puts) >= self.cut_puts:
            raise HubUnreachable("connexion coupée")
        self.puts.append((sha256, n))
        return super().put_chunk(sha256, n, data)

    def get_chunk(self, sha256: str, n: int) -> bytes:
        if self.cut_gets is not None and len(self.gets) >= self.cut_gets:
            raise HubUnreachable("connexion coupée")
        self.gets.append((sha256, n))
        return super().get_chunk(sha256, n)


def test_charters_reach_every_device_of_the_structure_and_a_wiped_laptop(world: World) -> None:
    structure, other = world.structure("Mission locale"), world.structure("Autre structure")
    a, b, c = world.device(structure, "poste-a"), world.device(structure, "poste-b"), world.device(other, "poste-c")
    first, second = make_tandem(a, structure), make_tandem(a, structure, "Benali")
    v1, v2 = seal(a, first), seal(a, first)  # sealed twice: two versions, both kept everywhere
    scan = scan_png(2_500_000)
    paper = ink(a, second, scan)
    with a.store.transaction() as conn:  # a charter of an earlier release: no device, announced like the others
        conn.execute(text("UPDATE charters SET device_id = NULL WHERE id = :id"), {"id": v1.id})
    made = digests(a)
    assert set(made) == {v1.id, v2.id, paper.id} and made[paper.id][1] == hashlib.sha256(scan).hexdigest()

    sent = sync_service.sync_now(a).charters
    assert (sent["announced"], sent["uploaded_files"], sent["refused"], sent["errors"]) == (3, 4, 0, [])
    assert sent["bytes_sent"] > len(scan)
    assert set(hub_status(a).values()) == {"synced"}
    assert attachment_service.pending_transfers(a)["to_announce"] == 0

    got = sync_service.sync_now(b).charters
    assert (got["received"], got["downloaded_files"], got["errors"]) == (3, 4, [])
    assert digests(b) == made
    listed = {ch.id: ch for t in (first, second) for ch in CharterService(b.store).charters_of(t)}
    assert set(listed) == {v1.id, v2.id, paper.id}
    assert all(ch.has_pdf and ch.received for ch in listed.values()) and listed[paper.id].has_scan
    assert CharterService(b.store).scan(paper.id) == (scan, "scan.png")
    assert sync_service.sync_now(b).charters["received"] == 0  # the feed's cursor is kept
    assert sync_service.sync_now(c).charters["received"] == 0 and digests(c) == {}

    from tandem_desktop.hub import admin

    admin.revoke_device(world.engine, a.store.remote.state()["device_id"])
    sync_service.wipe_local_copy(a)
    fresh = world.device(structure, "poste-a-neuf")  # enrolled again; its first sync fetches everything
    assert digests(fresh) == made
    assert {ch.id for ch in CharterService(fresh.store).charters_of(first)} == {v1.id, v2.id}


def test_a_cut_upload_resumes_with_the_chunks_missing(sqlite_world: World) -> None:
    structure = sqlite_world.structure("Mission locale")
    a, b = sqlite_world.device(structure, "poste-a"), sqlite_world.device(structure, "poste-b")
    scan = scan_png(3 * MIB + 1000)  # 4 chunks; the reference PDF is 1
    paper = ink(a, make_tandem(a, structure), scan)

    cut = CutClient(a, cut_puts=3)  # the PDF, then 2 chunks of the scan
    report = sync_service.sync_now(a, client=cut)
    cut.close()
    assert report.pushed > 0, "the records went"
    assert report.charters["announced"] == 1 and any("injoignable" in e for e in report.charters["errors"])
    assert hub_status(a)[paper.id] == "announced"

    again = CutClient(a)
    report = sync_service.sync_now(a, client=again)
    again.close()
    scan_sha = hashlib.sha256(scan).hexdigest()
    assert again.puts == [(scan_sha, 2), (scan_sha, 3)], "only the chunks the hub lacked, none twice"
    assert report.charters["uploaded_files"] == 1 and report.charters["errors"] == []
    assert hub_status(a)[paper.id] == "synced"
    sync_service.sync_now(b)
    assert digests(b) == digests(a)


def test_a_cut_download_keeps_its_chunks_and_fetches_only_the_rest(sqlite_world: World) -> None:
    structure = sqlite_world.structure("Mission locale")
    a, b = sqlite_world.device(structure, "poste-a"), sqlite_world.device(structure, "poste-b")
    tandem = make_tandem(a, structure)
    sealed = seal(a, tandem)
    scan = scan_png(3 * MIB + 1000)
    paper = ink(a, tandem, scan)
    sync_service.sync_now(a)
    scan_sha = hashlib.sha256(scan).hexdigest()

    cut = CutClient(b, cut_gets=3)  # the two PDFs, then the scan's first chunk
    report = sync_service.sync_now(b, client=cut)
    cut.close()
    assert report.charters["received"] == 2 and report.charters["downloaded_files"] == 2
    assert CharterService(b.store).pdf(sealed.id) == CharterService(a.store).pdf(sealed.id)
    with pytest.raises(NotReceived, match="Le scan de cette charte n’est pas encore arrivé du hub"):
        CharterService(b.store).scan(paper.id)
    assert charter_store.part_numbers(b.store, scan_sha) == {0}

    cut = CutClient(b, cut_gets=1)  # a second sync, cut again: chunk 1 only
    sync_service.sync_now(b, client=cut)
    cut.close()
    assert cut.gets == [(scan_sha, 1)] and charter_store.part_numbers(b.store, scan_sha) == {0, 1}
    assert attachment_service.pending_transfers(b)["to_download"] == 1

    counted: list[int] = []
    original = HubClient.get_chunk

    def counting(self: HubClient, sha256: str, n: int) -> bytes:
        counted.append(n)
        return original(self, sha256, n)

    HubClient.get_chunk = counting  # type: ignore[method-assign]
    try:  # the counsellor opens it: fetched now, the last two chunks only
        opened = attachment_service.fetch_charter_files(b, paper.id)
    finally:
        HubClient.get_chunk = original  # type: ignore[method-assign]
    assert counted == [2, 3] and opened.has_scan and opened.has_pdf
    assert CharterService(b.store).scan(paper.id) == (scan, "scan.png")
    assert charter_store.part_numbers(b.store, scan_sha) == set()


def test_refused_charters_never_stop_the_records(sqlite_world: World) -> None:
    structure = sqlite_world.structure("Mission locale")
    a, b = sqlite_world.device(structure, "poste-a"), sqlite_world.device(structure, "poste-b")
    tandem = make_tandem(a, structure)
    good = seal(a, tandem)
    orphan = dict(_row(a, good.id), id=new_id(), tandem_id=new_id(), verification_code="ZZZZ-2345")
    taken = dict(_row(a, good.id), id=new_id())  # another charter under the same number
    forged = b"%PDF-1.7\n" + os.urandom(2000)  # « sealed », without any seal: the hub checks once it has it
    unsealed = dict(_row(a, good.id), id=new_id(), verification_code="ZZZZ-3456", pdf=forged,
                    sha256=hashlib.sha256(forged).hexdigest())
    for values in (orphan, taken, unsealed):
        charter_store.insert_charter(a.store, values)
    mentor = a.store.create("mentor", {"first_name": "Inès", "last_name": "Haddad"})

    report = sync_service.sync_now(a)
    assert report.charters["announced"] == 2 and report.charters["refused"] == 2
    statuses = hub_status(a)
    assert (statuses[good.id], statuses[orphan["id"]], statuses[taken["id"]], statuses[unsealed["id"]]) == (
        "synced", "local", "refused", "refused")
    assert charter_store.get_charter(a.store, unsealed["id"]).hub_message in report.charters["errors"]
    refused = charter_store.get_charter(a.store, taken["id"])
    assert "numéro" in (refused.hub_message or "") and refused.hub_message in report.charters["errors"]
    assert attachment_service.pending_transfers(a) | {"parts": 0} == {
        "to_announce": 1, "to_upload": 0, "refused": 2, "to_download": 0, "waiting_at_hub": 0, "parts": 0}

    sync_service.sync_now(b)
    assert b.store.get("mentor", mentor)["last_name"] == "Haddad", "the records synced all the same"
    on_b = digests(b)  # the hub keeps the announced charter whose file it dropped: its file never comes
    assert on_b == {good.id: digests(a)[good.id], unsealed["id"]: (None, None)}
    assert charter_store.get_charter(b.store, unsealed["id"]).hub_status == "waiting"
    assert sync_service.sync_status(a).last_error is None


def _row(profile: Profile, charter_id: str) -> dict[str, Any]:
    keep = ("id", "tandem_id", "template_id", "template_version", "verification_code", "mode", "pdf", "sha256",
            "signed_on", "signed_place", "scan", "scan_name", "sealed_by", "self_signed", "created_at")
    with profile.store.reading() as conn:
        row = conn.execute(text(f"SELECT {', '.join(keep)} FROM charters WHERE id = :id"), {"id": charter_id})
        return dict(row.mappings().one())


def test_the_migration_describes_the_charters_of_an_earlier_release(tmp_path: Path) -> None:
    from alembic import command

    from tandem_desktop.store import migrations
    from tandem_desktop.store.engine import make_engine

    pdf, scan = b"%PDF-1.7 charte", b"\xff\xd8\xff\xe0 un scan JPEG"
    engine = make_engine(tmp_path / "ancien.db", b"\x07" * 32)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "0011_honorability")
        conn.execute(text("INSERT INTO charters (id, tandem_id, template_id, template_version, verification_code, "
                          "mode, pdf, sha256, signed_on, scan, scan_name, created_at) VALUES ('c1', 't1', "
                          "'charte-standard', '2026.1', 'K7Q4-9XPM', 'ink', :pdf, :sha, '2026-01-05', :scan, "
                          "'scan.jpg', '2026-01-05T10:00:00+00:00')"),
                     {"pdf": pdf, "sha": hashlib.sha256(pdf).hexdigest(), "scan": scan})
        migrations.upgrade(conn)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT pdf_size, scan_sha256, scan_size, scan_type, hub_status, received, device_id "
                                "FROM charters")).one()
    engine.dispose()
    assert tuple(row) == (len(pdf), hashlib.sha256(scan).hexdigest(), len(scan), "image/jpeg", "local", 0, None)


def test_a_received_charter_of_a_tandem_erased_here_is_not_stored(store: Any) -> None:
    from ..charter.test_service import make_tandem as local_tandem

    tandem = local_tandem(store)
    Records(store, Actor()).erase("mentee", store.get("tandem", tandem)["mentee_id"], "request")
    entry = {"id": new_id(), "tandem_id": tandem, "number": "K7Q4-9XPM", "mode": "screen",
             "template": "charte-standard 2026.2", "signed_on": "2026-01-05", "signed_place": None,
             "created_at": "2026-01-05T10:00:00Z", "self_signed": False, "seq": 4, "device_id": new_id(),
             "attachments": [{"role": "pdf", "sha256": "ab" * 32, "size": 10, "media_type": "application/pdf",
                              "name": None, "at_hub": True, "at": None}]}
    def page(*items: dict[str, Any]) -> list[dict[str, Any]]:
        return [row for row in map(received_row, items) if row is not None]

    assert charter_store.store_received(store, page(entry), 4) == 0
    assert charter_store.charters_of(store, tandem) == [] and store.remote.state()["charter_cursor"] == "4"
    other = dict(entry, tandem_id=new_id())  # a tandem this device holds no erasure of: kept, file to come
    assert charter_store.store_received(store, page(other), 5) == 1
    kept = charter_store.get_charter(store, other["id"])
    assert (kept.has_pdf, kept.received, kept.hub_status, kept.template_version) == (False, True, "synced", "2026.2")
    with pytest.raises(NotReceived, match="Le PDF de cette charte n’est pas encore arrivé du hub\u00a0:"):
        charter_store.charter_pdf(store, other["id"])
    assert page(dict(other, attachments=[])) == []  # no PDF: not a charter this release reads


def test_a_sync_moves_files_for_a_bounded_time_and_the_next_goes_on(sqlite_world: World,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A big scan on a slow line must not hold back the next sync's records: past the sync's time for
    files no chunk starts, what arrived stays, and the next sync goes on from there."""
    from tandem_desktop.sync import attachments

    structure = sqlite_world.structure("Mission locale")
    a = sqlite_world.device(structure, "poste-a")
    scan = scan_png(3 * MIB + 5)
    charter = ink(a, make_tandem(a, structure), scan)
    monkeypatch.setattr(attachments, "BUDGET_S", 0.0)
    first = sync_service.sync_now(a)
    assert first.charters["deferred"] is True and first.charters["errors"] == []
    assert first.charters["announced"] == 1 and hub_status(a)[charter.id] == "announced"  # metadata went
    monkeypatch.setattr(attachments, "BUDGET_S", 45.0)
    second = sync_service.sync_now(a)
    assert second.charters["deferred"] is False and hub_status(a)[charter.id] == "synced"
    with sqlite_world.engine.connect() as conn:
        complete = conn.execute(text("SELECT count(*) FROM blobs WHERE complete")).scalar()
    assert complete == 2  # the reference PDF and the scan


def test_a_laptop_enrolled_again_mid_upload_still_sends_its_files(sqlite_world: World) -> None:
    """Its upload was cut, then the laptop was enrolled again (a new device id): the file exists on that
    laptop only, so it must still reach the hub — the laptop announces again and sends it."""
    structure = sqlite_world.structure("Mission locale")
    a = sqlite_world.device(structure, "poste-a")
    scan = scan_png(2 * MIB + 10)
    paper = ink(a, make_tandem(a, structure), scan)
    cut = CutClient(a, cut_puts=1)  # the reference PDF, then the line goes
    sync_service.sync_now(a, client=cut)
    cut.close()
    assert hub_status(a)[paper.id] == "announced"
    sync_service.enroll(a, sqlite_world.url, sqlite_world.code(structure), device_name="poste-a (de nouveau)")
    for _ in range(2):  # the hub knows no upload of this new device id: it announces again, then sends
        sync_service.sync_now(a)
    assert hub_status(a)[paper.id] == "synced"
    colleague = sqlite_world.device(structure, "poste-b")
    assert digests(colleague) == digests(a)


def test_an_administrators_upload_reaches_every_structure_it_was_announced_for(sqlite_world: World) -> None:
    """Round 3: an administrator's device recorded the same scan for a tandem of its structure and one
    of another; its upload completed in its own structure only, and the other never got the scan."""
    structure, seat = sqlite_world.structure("Mission locale"), sqlite_world.structure("Siège")
    b = sqlite_world.device(structure, "poste-b")
    theirs = make_tandem(b, structure)
    sync_service.sync_now(b)
    boss = sqlite_world.device(seat, "poste du siège", admin_role=True)
    ours = make_tandem(boss, seat, "Roux")
    scan = scan_png(2 * MIB + 77)
    for tandem in (ours, theirs):
        ink(boss, tandem, scan)
    report = sync_service.sync_now(boss).charters
    assert report["errors"] == [] and set(hub_status(boss).values()) == {"synced"}
    sync_service.sync_now(b)
    [received] = CharterService(b.store).charters_of(theirs)
    assert CharterService(b.store).scan(received.id)[0] == scan
