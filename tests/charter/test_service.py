"""CharterService on real encrypted profiles: seal, store, move the tandem, record ink, check files."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tandem_desktop.charter.context import MissingData
from tandem_desktop.charter.render import Signature
from tandem_desktop.charter.verdict import MSG_OWN_LOCAL
from tandem_desktop.charter.verify import MSG_INTACT, MSG_NO_SEAL, verify_pdf
from tandem_desktop.domain.errors import DomainError
from tandem_desktop.services import charters as charter_service
from tandem_desktop.services.charters import CharterError, CharterService, write_atomically
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store import files as private_files
from tandem_desktop.store.repository import Store

from ..conftest import FIXED_TODAY
from ..sync.conftest import World

STROKES = [[(0.05, 0.6), (0.2, 0.2), (0.35, 0.8), (0.5, 0.3), (0.7, 0.7), (0.95, 0.4)], [(0.1, 0.9), (0.9, 0.9)]]


def png_signature() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 70), (60, 15), (120, 75), (230, 20)], fill=(20, 20, 90, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_tandem(store: Store, *, complete: bool = True) -> str:
    """A proposed tandem whose records hold everything the charter needs (or lack a few things)."""
    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale",
                                           "commune": "Marseille", "email": "contact@ml-marseille.fr"
                                           if complete else None})
    counsellor = store.create("counsellor", {"first_name": "Camille", "last_name": "Martin",
                                             "email": "camille.martin@ml-marseille.fr", "structure_id": structure})
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2,
                                     "employer": "CMA CGM" if complete else None,
                                     "job_title": "Responsable logistique"})
    mentee = store.create("mentee", {"first_name": "Sofiane", "last_name": "Benali", "project_type": "job_search",
                                     "structure_id": structure, "counsellor_id": counsellor})
    return Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "duration_months": 6,
                                  "objectives": "Trouver un emploi de magasinier\nPréparer les entretiens"}).record_id


def signatures() -> list[Signature]:
    return [Signature("mentee", strokes=STROKES), Signature("mentor", image=png_signature()),
            Signature("counsellor", strokes=STROKES)]


def written_state(store: Store) -> tuple[Any, ...]:
    """Everything a refused call must leave as it was."""
    with store.reading() as conn:
        charters = conn.exec_driver_sql("SELECT count(*) FROM charters").scalar_one()
        meta = conn.exec_driver_sql("SELECT key, value FROM meta WHERE key != 'hlc_last' ORDER BY key").all()
    return store.outbox_size(), charters, tuple(meta)


@pytest.fixture
def service(store: Store) -> CharterService:
    return CharterService(store)


def test_seal_stores_the_pdf_and_moves_the_tandem_to_charter_signed(store: Store, service: CharterService) -> None:
    tandem_id = make_tandem(store)
    outbox_before = store.outbox_size()
    started = time.perf_counter()
    stored = service.seal(tandem_id, signatures(), place="Marseille")
    elapsed = time.perf_counter() - started
    print(f"render + seal: {elapsed:.2f} s")
    assert elapsed < 20

    assert stored.mode == "screen" and stored.sealed and stored.self_signed is True
    assert stored.template_id == "charte-tandem" and stored.template_version == "2026.2"
    assert stored.signed_on == FIXED_TODAY.isoformat() and stored.signed_place == "Marseille"
    assert "Tandem Desktop — poste non enrôlé" in (stored.sealed_by or "")
    pdf = service.pdf(stored.id)
    assert hashlib.sha256(pdf).hexdigest() == stored.sha256
    assert service.charters_of(tandem_id) == [stored]

    tandem = store.get("tandem", tandem_id)
    assert tandem["status"] == "charter_signed"
    assert tandem["accepted_on"] == tandem["charter_signed_on"] == FIXED_TODAY.isoformat()
    assert store.outbox_size() > outbox_before  # the status change syncs; the PDF does not

    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[embedded.signer_cert], allow_fetching=False))
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE

    from pypdf import PdfReader  # an independent reader: the seal is a standard signature field

    independent = PdfReader(io.BytesIO(pdf))
    assert (independent.get_fields() or {})["Sceau"]["/FT"] == "/Sig"
    assert independent.metadata["/TandemCharter"] == stored.id

    report = service.verify(pdf)
    assert report.ok and report.matches_local is True and report.self_signed is True
    assert report.charter_id == stored.id and report.template == "charte-tandem 2026.2"
    assert report.messages[:2] == [MSG_OWN_LOCAL, MSG_INTACT]  # « Sceau local », and it is this device's own
    assert any(m.startswith("Identique à la charte enregistrée sur ce poste") for m in report.messages)


def test_the_sealed_pdf_is_never_a_file_in_the_profile_folder(store: Store, service: CharterService,
                                                              profile) -> None:  # type: ignore[no-untyped-def]
    stored = service.seal(make_tandem(store), signatures())
    pdf = service.pdf(stored.id)
    profile.close()  # flush everything SQLCipher writes (WAL included) before looking
    files = [p for p in Path(profile.settings.data_dir).rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert b"%PDF" not in data and pdf[-2000:] not in data, path


def test_a_modified_copy_is_reported_and_not_matched(store: Store, service: CharterService) -> None:
    stored = service.seal(make_tandem(store), signatures())
    pdf = bytearray(service.pdf(stored.id))
    pdf[pdf.index(b"stream") + 40] ^= 0x20  # inside the first page's compressed content
    report = service.verify(bytes(pdf))
    assert not report.ok and report.modified_after_seal and report.matches_local is False
    assert report.sealed and not report.intact and report.charter_id == stored.id
    assert any("modifié" in m for m in report.messages)
    assert f"Différent de la charte {stored.id} enregistrée sur ce poste." in report.messages


def test_ink_signature_with_a_scan(store: Store, service: CharterService) -> None:
    tandem_id = make_tandem(store)
    scan = png_signature()
    stored = service.record_ink_signature(tandem_id, signed_on=FIXED_TODAY, place="Aubagne", scan=scan,
                                          scan_name="charte-signée.png")
    assert stored.mode == "ink" and not stored.sealed and stored.has_scan
    assert stored.self_signed is None and stored.sealed_by is None and stored.signed_place == "Aubagne"
    assert service.scan(stored.id) == (scan, "charte-signée.png")
    reference = service.pdf(stored.id)
    assert verify_pdf(reference).messages == [MSG_NO_SEAL]  # the reference text, not sealed
    tandem = store.get("tandem", tandem_id)
    assert tandem["status"] == "charter_signed" and tandem["charter_signed_on"] == FIXED_TODAY.isoformat()

    other = make_tandem(store)
    pdf_scan = b"%PDF-1.4\n% scan\n"
    stored = service.record_ink_signature(other, signed_on=FIXED_TODAY, place="Marseille", scan=pdf_scan,
                                          scan_name="scan.pdf")
    assert service.scan(stored.id) == (pdf_scan, "scan.pdf")
    third = make_tandem(store)
    assert not service.record_ink_signature(third, signed_on=FIXED_TODAY, place=None).has_scan


@pytest.mark.parametrize(("scan", "name", "message"), [
    (b"Bonjour", "scan.pdf", "porte l’extension .pdf mais n’est pas un PDF"),
    (b"GIF89a....", "scan.gif", "n’est ni un PDF ni une image PNG ou JPEG"),
    (b"", "vide.png", "est vide"),
])
def test_a_bad_scan_is_refused_in_french_and_nothing_is_written(
        store: Store, service: CharterService, scan: bytes, name: str, message: str) -> None:
    tandem_id = make_tandem(store)
    before = written_state(store)
    with pytest.raises(CharterError, match=message):
        service.record_ink_signature(tandem_id, signed_on=FIXED_TODAY, place="Marseille", scan=scan, scan_name=name)
    assert written_state(store) == before
    assert store.get("tandem", tandem_id)["status"] == "proposed"


def test_an_ink_date_before_the_proposal_or_in_the_future_is_refused(store: Store, service: CharterService) -> None:
    tandem_id = make_tandem(store)
    before = written_state(store)
    with pytest.raises(CharterError, match="précède la proposition du tandem"):
        service.record_ink_signature(tandem_id, signed_on=FIXED_TODAY - timedelta(days=3), place="Marseille")
    with pytest.raises(CharterError, match="dans le futur"):
        service.record_ink_signature(tandem_id, signed_on=FIXED_TODAY + timedelta(days=1), place="Marseille")
    assert written_state(store) == before


def test_missing_data_lists_everything_in_french_and_writes_nothing(
        store: Store, service: CharterService, tmp_path: Path) -> None:
    tandem_id = make_tandem(store, complete=False)
    before = written_state(store)
    out_dir = tmp_path / "sortie"
    out_dir.mkdir()
    with pytest.raises(MissingData) as caught:
        service.seal(tandem_id, signatures())
    assert caught.value.missing == ["Employeur du mentor", "Adresse e-mail de la structure"]
    assert str(caught.value).startswith("Charte impossible\u00a0: il manque")
    with pytest.raises(MissingData):
        write_atomically(out_dir / "charte.pdf", service.generate(tandem_id))
    with pytest.raises(MissingData):
        service.record_ink_signature(tandem_id, signed_on=FIXED_TODAY, place="Marseille", scan=png_signature())
    assert written_state(store) == before  # not even the local seal key
    assert store.meta_value(charter_service.META_LOCAL_KEY) is None
    assert list(out_dir.iterdir()) == []
    assert store.get("tandem", tandem_id)["status"] == "proposed"


def test_generate_gives_an_unsigned_charter_and_stores_nothing(store: Store, service: CharterService) -> None:
    tandem_id = make_tandem(store)
    before = written_state(store)
    pdf = service.generate(tandem_id)
    report = verify_pdf(pdf)
    assert not report.sealed and report.messages == [MSG_NO_SEAL] and report.template == "charte-tandem 2026.2"
    assert written_state(store) == before and service.charters_of(tandem_id) == []


def test_an_ended_tandem_cannot_sign_and_an_active_one_keeps_its_step(store: Store, service: CharterService) -> None:
    tandem_id = make_tandem(store)
    first = service.seal(tandem_id, signatures())
    second = service.seal(tandem_id, signatures())  # signed again: a second charter, same step
    assert [c.id for c in service.charters_of(tandem_id)] == [second.id, first.id]
    assert store.get("tandem", tandem_id)["status"] == "charter_signed"
    Records(store, Actor()).move_tandem(tandem_id, "active")
    service.seal(tandem_id, signatures())
    assert store.get("tandem", tandem_id)["status"] == "active"
    Records(store, Actor()).move_tandem(tandem_id, "ended", outcome="job")
    with pytest.raises(CharterError, match="Ce tandem est terminé"):
        service.seal(tandem_id, signatures())
    assert len(service.charters_of(tandem_id)) == 3


def test_bad_signatures_are_refused_before_anything_is_written(store: Store, service: CharterService) -> None:
    tandem_id = make_tandem(store)
    before = written_state(store)
    for bad in ([Signature("mentor", image=b"GIF89a")], [Signature("mentor")],
                [Signature("témoin", strokes=STROKES)],
                [Signature("mentor", strokes=STROKES), Signature("mentor", strokes=STROKES)]):
        with pytest.raises(DomainError):
            service.seal(tandem_id, bad)
    assert written_state(store) == before


def test_write_atomically_leaves_the_old_file_or_the_new_one_never_a_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "charte.pdf"
    write_atomically(target, b"%PDF-ancienne")
    write_atomically(target, b"%PDF-nouvelle")
    assert target.read_bytes() == b"%PDF-nouvelle"

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(private_files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomically(target, b"%PDF-perdue")
    assert target.read_bytes() == b"%PDF-nouvelle"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["charte.pdf"]
    monkeypatch.undo()
    with pytest.raises(OSError):
        write_atomically(tmp_path / "absent" / "charte.pdf", b"%PDF")
    assert os.listdir(tmp_path) == ["charte.pdf"]
    assert target.stat().st_mode & 0o777 == 0o600  # a charter names people


# -- enrolled with a real hub -----------------------------------------------------------------------



def test_an_enrolled_device_seals_with_its_hub_certificate(hub_world: World) -> None:
    device = hub_world.device(hub_world.structure("Mission locale de Marseille"), "Portable de Camille")
    service = CharterService(device.store)
    stored = service.seal(make_tandem(device.store), signatures())
    assert stored.self_signed is False and "CN=Conseillère" in (stored.sealed_by or "")
    assert "OU=Portable de Camille" in (stored.sealed_by or "")
    report = service.verify(service.pdf(stored.id))
    assert report.ok and report.chains_to_hub is True and report.self_signed is False and report.matches_local
    assert report.messages[0] == MSG_INTACT
    assert ("Scellé par Conseillère, Mission locale de Marseille (certificat délivré par l’autorité du hub "
            "Tandem).") in report.messages
    assert device.store.meta_value(charter_service.META_LOCAL_KEY) is None  # no local key was ever needed
