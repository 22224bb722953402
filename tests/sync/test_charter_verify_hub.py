"""Issue 14, points 1 and 3 with a real hub on 127.0.0.1: whoever holds the paper follows its QR code to
the hub's page, which says what was sealed without naming anyone; `tandem charter verify` gives the
same verdict, word for word, on the device that sealed, on another device of the structure and on a
device enrolled afterwards, and says when it could not ask the hub."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pytest
import zxingcpp

from tandem_desktop.cli import main
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charter_check import MSG_UNREACHABLE
from tandem_desktop.services.charters import CharterService

from ..conftest import PASSPHRASE
from .test_charter_sync import make_tandem, seal

NBSP = "\u00a0"


def verify_lines(profile, path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """`tandem charter verify` in-process on this profile's folder (the profile closed first: the CLI
    opens it like a counsellor would)."""
    if profile.lock.held:
        profile.close()
    code = main(["--data-dir", str(profile.settings.data_dir), "charter", "verify", *extra, str(path)])
    out = capsys.readouterr().out.splitlines()
    return code, out[1:]  # without « Fichier : … », the path


def test_the_paper_leads_to_the_hub_and_every_device_gives_the_same_verdict(
        sqlite_world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    world = sqlite_world
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    structure = world.structure("Mission locale de Marseille")
    a, b = world.device(structure, "poste-a"), world.device(structure, "poste-b")
    tandem = make_tandem(a, structure)
    stored = seal(a, tandem)
    pdf = CharterService(a.store).pdf(stored.id)
    sync_service.sync_now(a)
    sync_service.sync_now(b)
    assert CharterService(b.store).pdf(stored.id) == pdf

    # The QR code leads to the hub's page: no name of anyone, what was sealed, when, by whom.
    with pdfium.PdfDocument(pdf) as document:
        [address] = [code.text for code in zxingcpp.read_barcodes(document[0].render(scale=3).to_pil())]
    assert address == f"{world.url}/charte/{stored.verification_code}"
    page = httpx.get(address)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert stored.verification_code in html and stored.sha256 in html and "Mission locale de Marseille" in html
    assert "scellée" in html and "révoqué" in html
    for personal in ("Zéphyrine", "Quaglia", "Hélène", "Durand", "Conseillère", "poste-a", "@"):
        assert personal not in html, personal

    # The same file, the same verdict everywhere: the sealing device, another one, a new one.
    copy = tmp_path / "charte-recue-par-courriel.pdf"
    copy.write_bytes(pdf)
    late = world.device(structure, "poste-nouveau")
    verdicts = {name: verify_lines(device, copy, capsys) for name, device in (("a", a), ("b", b), ("late", late))}
    assert verdicts["a"] == verdicts["b"] == verdicts["late"]
    code, lines = verdicts["a"]
    assert code == 0
    assert any(line.startswith(f"Hub{NBSP}: charte n°{NBSP}{stored.verification_code} scellée le ") and
               "Mission locale de Marseille" in line and "délivré par le hub" in line for line in lines)
    assert f"Hub{NBSP}: ce fichier est identique, octet pour octet, à celui déposé au hub." in lines

    # The number alone (read on the paper, typed): the hub's word.
    code = main(["--data-dir", str(b.settings.data_dir), "charter", "verify", "--numero",
                 stored.verification_code.lower().replace("-", " ")])
    out = capsys.readouterr().out
    assert code == 0 and "scellée le " in out and stored.verification_code in out

    # Offline: the file's verdict stands, and the hub's silence is said.
    world.stop_hub()
    code, lines = verify_lines(a, copy, capsys)
    assert code == 0 and lines[-1] == MSG_UNREACHABLE
    assert lines[:-1] == [line for line in verdicts["a"][1] if not line.startswith("Hub")]
    code, offline = verify_lines(a, copy, capsys, "--hors-ligne")
    assert code == 0 and not any(line.startswith("Hub") for line in offline)
    code = main(["--data-dir", str(b.settings.data_dir), "charter", "verify", "--numero", stored.verification_code])
    assert code == 1 and capsys.readouterr().out.splitlines()[-1] == (
        f"Hub injoignable{NBSP}: le numéro n’a pas pu lui être demandé (réessayez en ligne).")


def test_an_ink_charter_is_listed_with_its_scan_deposit(sqlite_world) -> None:  # type: ignore[no-untyped-def]
    world = sqlite_world
    structure = world.structure("France Travail Aubagne")
    a = world.device(structure, "poste-a")
    tandem = make_tandem(a, structure)
    printed = CharterService(a.store).generate(tandem)
    from pypdf import PdfReader

    number = PdfReader(io.BytesIO(printed)).metadata["/TandemNumber"]
    CharterService(a.store).record_ink_signature(tandem, signed_on=a.store.today(), place="Aubagne",
                                                 scan=b"\xff\xd8\xff\xe0" + b"\x00" * 5000, scan_name="scan.jpg",
                                                 number=number)
    answer = httpx.get(f"{world.url}/v1/charters/verify/{number}").json()
    assert answer["found"] is False  # not synced yet: the hub does not know it
    sync_service.sync_now(a)
    check = CharterService(a.store).hub_check(number)
    assert check.found and len(check.lines) == 1
    assert check.lines[0].startswith(f"Hub{NBSP}: charte n°{NBSP}{number} signée à l’encre le ")
    assert "«\u00a0France Travail Aubagne\u00a0», scan déposé le " in check.lines[0]
    page = httpx.get(f"{world.url}/charte/{number}").text
    assert "signée à l’encre" in page and "scan déposé le" in page


def test_exporting_a_charter_not_here_yet_fetches_it(sqlite_world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import update

    from tandem_desktop.store.schema import charters

    world = sqlite_world
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    structure = world.structure("Mission locale de Marseille")
    a, b = world.device(structure, "poste-a"), world.device(structure, "poste-b")
    stored = seal(a, make_tandem(a, structure))
    pdf = CharterService(a.store).pdf(stored.id)
    sync_service.sync_now(a)
    sync_service.sync_now(b)

    with b.store.transaction() as conn:  # as if the file had not arrived yet
        conn.execute(update(charters).where(charters.c.id == stored.id).values(pdf=None))
    b.close()
    out = tmp_path / "copie.pdf"
    code = main(["--data-dir", str(b.settings.data_dir), "charter", "export", stored.verification_code,
                 "--out", str(out)])
    assert code == 0 and out.read_bytes() == pdf
    assert "depuis le hub" in capsys.readouterr().err
    # offline: said in French, nothing written
    from tandem_desktop.settings import load_settings
    from tandem_desktop.store.profile import open_profile

    world.stop_hub()
    settings = load_settings(b.settings.data_dir, environ={"TANDEM_KDF_LOG2N": "14"}).with_passphrase(PASSPHRASE)
    profile = open_profile(settings)
    try:
        with profile.store.transaction() as conn:
            conn.execute(update(charters).where(charters.c.id == stored.id).values(pdf=None))
    finally:
        profile.close()
    second = tmp_path / "copie-2.pdf"
    code = main(["--data-dir", str(b.settings.data_dir), "charter", "export", stored.verification_code,
                 "--out", str(second)])
    err = capsys.readouterr().err
    assert code != 0 and not second.exists()
    assert "Traceback" not in err and "hub" in err.lower()
