"""A charter re-rendered and sealed again (issue 9 red team, finding 1), over real files and a real
hub on 127.0.0.1.

The attacker takes Nadia's genuine sealed charter, rewrites the whole file with a visible change
(« DURÉE : 36 MOIS » over page 1), drops the seal, keeps the charter's id and number, and seals it
again in a « Sceau » field as a no-changes certification — with a self-signed key whose subject
copies Nadia's names, or with another structure's real hub certificate. That new seal covers the
whole file, so the previous release said « Le sceau est intact » and exited 0, even on Nadia's
enrolled device, which holds the genuine charter under that very id. Now it is « not the charter
stored here » (exit 3), « not vouched for » on another device that knows the hub (exit 3), and a
device that sealed locally before enrolling still verifies its own charters (« Sceau local », 0).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from tandem_desktop.charter import verdict
from tandem_desktop.charter.seal import seal_pdf
from tandem_desktop.charter.verify import MSG_INTACT, MSG_LOCAL, MSG_MODIFIED, NBSP, verify_pdf
from tandem_desktop.cli import main
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService
from tandem_desktop.store.profile import open_profile

from ..conftest import PASSPHRASE
from ..sync.conftest import World
from .test_seal_attacks import Scene, pyhanko_verdict, scene, self_signed_like, tandem_seal_of  # noqa: F401
from .test_service import make_tandem, signatures

CHANGED = "DUREE : 36 MOIS"


def rerendered(pdf: bytes) -> bytes:
    """`pdf` rewritten whole by another tool: same pages and metadata (id, number), no seal, no form,
    and a visible change on page 1."""
    overlay = io.BytesIO()
    sheet = canvas.Canvas(overlay)
    sheet.setFont("Helvetica-Bold", 40)
    sheet.drawString(80, 500, CHANGED)
    sheet.save()
    stamp = PdfReader(io.BytesIO(overlay.getvalue())).pages[0]
    reader, writer = PdfReader(io.BytesIO(pdf)), PdfWriter()
    for index, page in enumerate(reader.pages):
        added = writer.add_page(page)
        if "/Annots" in added:
            del added["/Annots"]
        if index == 0:
            added.merge_page(stamp)
    writer.add_metadata(dict(reader.metadata or {}))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@contextmanager
def service_of(settings: Any) -> Iterator[CharterService]:
    profile = open_profile(settings.with_passphrase(PASSPHRASE))
    try:
        yield CharterService(profile.store)
    finally:
        profile.close()


def cli_verify(data_dir: Path | str, pdf: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "charte-recue.pdf"
    path.write_bytes(pdf)
    code = main(["--data-dir", str(data_dir), "charter", "verify", str(path), *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def resealed(scene: Scene) -> dict[str, bytes]:  # noqa: F811
    forged = rerendered(scene.original)
    assert CHANGED in PdfReader(io.BytesIO(forged)).pages[0].extract_text()
    return {"self_signed": seal_pdf(forged, self_signed_like(scene.nadia_cert_pem)),
            "other_structure": seal_pdf(forged, scene.karim)}


@pytest.mark.parametrize("signer", ["self_signed", "other_structure"])
def test_a_resealed_copy_of_a_stored_charter_is_not_that_charter(
        scene: Scene, resealed: dict[str, bytes], signer: str, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    forged = resealed[signer]
    # pyHanko agrees the new seal is unchanged since it was made, and who made it:
    status = pyhanko_verdict(tandem_seal_of(forged), scene.ca_pem)
    assert status.intact and status.valid
    assert status.trusted is (signer == "other_structure") and status.bottom_line is (signer == "other_structure")
    with service_of(scene.nadia_settings) as service:
        report = service.verify(forged)
        genuine = service.verify(scene.original)
    assert report.charter_id == genuine.charter_id and report.number == genuine.number  # it claims to be it
    assert report.intact and not report.modified_after_seal  # the seal alone is fine...
    assert report.differs_from_local and report.matches_local is False  # ...the file is not the stored one
    assert not report.ok and report.kind == verdict.MISMATCH and verdict.exit_code(report) == 3
    assert report.messages[0].startswith(f"Ce fichier n’est pas la charte n°{NBSP}{report.number} enregistrée")
    assert MSG_INTACT not in report.messages and not any("intact" in m for m in report.messages)
    assert genuine.ok and genuine.kind == verdict.INTACT

    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    code, out, err = cli_verify(scene.nadia_settings.data_dir, forged, tmp_path, capsys)
    assert code == 3 and "Le sceau est intact" not in out
    assert err.startswith(f"Vérification échouée{NBSP}: Ce fichier n’est pas la charte")
    code, out, _ = cli_verify(scene.nadia_settings.data_dir, forged, tmp_path, capsys, "--json")
    answer = json.loads(out)
    assert code == 3 and (answer["ok"], answer["verdict"], answer["exit_code"]) == (False, "mismatch", 3)
    assert (answer["chains_to_hub"], answer["self_signed"]) == ((True, False) if signer == "other_structure"
                                                                else (False, True))
    assert answer["matches_local"] is False and answer["differs_from_local"] is True


def test_a_self_signed_seal_is_not_vouched_for_where_a_hub_is_known(
        scene: Scene, resealed: dict[str, bytes], tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """On Karim's device (same hub, another structure) the file is no stored charter: what decides is
    who vouches for the seal, and where a hub authority is known, nobody vouching is not « intact »."""
    forged = resealed["self_signed"]
    with service_of(scene.karim_settings) as service:
        report = service.verify(forged)
        vouched = service.verify(resealed["other_structure"])  # Karim's own device's seal: the hub vouches
    assert report.hub_known and report.chains_to_hub is False and report.matches_local is False
    assert not report.differs_from_local
    assert not report.ok and report.kind == verdict.NOT_VOUCHED and verdict.exit_code(report) == 3
    assert report.messages[0] == verdict.MSG_NOT_VOUCHED and MSG_INTACT not in report.messages
    assert any(f"«{NBSP}Nadia Ferhat, Mission locale de Marseille{NBSP}»" in m and "personne ne garantit" in m
               for m in report.messages)
    assert vouched.ok and vouched.kind == verdict.INTACT
    assert "Scellé par Karim Haddad, Adie (certificat délivré par l’autorité du hub Tandem)." in vouched.messages
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    code, out, err = cli_verify(scene.karim_settings.data_dir, forged, tmp_path, capsys)
    assert code == 3 and f"Vérification échouée{NBSP}: Sceau non reconnu" in err and "Le sceau est intact" not in out
    # With no profile, nobody could vouch for anything: the seal is checked alone, and says so first.
    alone = verify_pdf(forged)
    assert alone.ok and alone.kind == verdict.UNVOUCHED and alone.messages[:2] == [MSG_LOCAL, MSG_INTACT]
    code, out, _ = cli_verify(tmp_path / "aucun-profil", forged, tmp_path, capsys)
    assert code == 0 and out.splitlines()[3] == MSG_LOCAL


def test_a_device_that_sealed_before_enrolling_still_verifies_its_own_charters(
        hub_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    structure = hub_world.structure("Mission locale de Marseille")
    early = hub_world.new_profile("avant-enrolement")
    service = CharterService(early.store)
    stored = service.seal(make_tandem(early.store), signatures(), place="Marseille")
    assert stored.self_signed
    sync_service.enroll(early, hub_world.url, hub_world.code(structure), device_name="avant-enrolement")
    own = service.pdf(stored.id)
    report = service.verify(own)
    assert report.hub_known and report.self_signed and report.chains_to_hub is False and report.matches_local
    assert report.ok and report.kind == verdict.LOCAL and verdict.exit_code(report) == 0
    assert report.messages[0] == verdict.MSG_OWN_LOCAL and report.messages[0].startswith(f"Sceau local{NBSP}:")
    assert MSG_INTACT in report.messages
    changed = bytearray(own)
    changed[changed.index(b"stream") + 40] ^= 0x20
    assert service.verify(bytes(changed)).kind == verdict.MODIFIED
    data_dir = early.settings.data_dir
    early.close()
    other = hub_world.device(structure, "collegue")  # the same file elsewhere: nobody vouches for it there
    elsewhere = CharterService(other.store).verify(own)
    assert elsewhere.kind == verdict.NOT_VOUCHED and not elsewhere.ok
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    code, out, _ = cli_verify(data_dir, own, tmp_path, capsys)
    assert code == 0 and out.splitlines()[3] == verdict.MSG_OWN_LOCAL and MSG_INTACT in out
    code, out, _ = cli_verify(data_dir, bytes(changed), tmp_path, capsys)
    assert code == 1 and MSG_MODIFIED in out


def test_the_exit_codes_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["charter", "verify", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "0 intact" in text and "1 modifié après le scellement" in text and "3 inchangé mais non garanti" in text
