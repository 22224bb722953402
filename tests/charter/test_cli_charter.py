"""`tandem charter …`, the real command (in-process, tests/cli_run.py) on throw-away profiles."""

from __future__ import annotations

import json
from pathlib import Path

from tandem_desktop.charter import seal, verify
from tandem_desktop.charter.render import PARTIES
from tandem_desktop.cli import charter as cli_charter
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import open_profile

from ..cli_run import ok, refused, show, tandem
from ..test_cli import env  # noqa: F401  (a fixture)
from .test_service import make_tandem as service_tandem
from .test_service import png_signature


def make_tandem(env: dict[str, str], *, complete: bool = True) -> str:  # noqa: F811
    """The records, written in-process into the CLI's profile (five `tandem add` would cost seconds)."""
    settings = load_settings(env["TANDEM_DATA_DIR"], environ=env).with_passphrase(env["TANDEM_PASSPHRASE"])
    profile = open_profile(settings)
    try:
        return service_tandem(profile.store, complete=complete)
    finally:
        profile.close()


def test_parties_match_the_renderer() -> None:
    assert cli_charter.PARTIES == PARTIES
    assert verify.SEAL_FIELD == seal.SEAL_FIELD  # verify.py names it without importing pyHanko


def test_generate_seal_verify_list_export(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    tandem_id = make_tandem(env)
    out = tmp_path / "sortie"
    out.mkdir()
    signature = tmp_path / "signature.png"
    signature.write_bytes(png_signature())

    assert "Charte à imprimer écrite" in ok(env, "charter", "generate", tandem_id, "--out", str(out / "vierge.pdf"))
    assert (out / "vierge.pdf").read_bytes().startswith(b"%PDF")
    assert "Aucun sceau numérique" in refused(env, "charter", "verify", str(out / "vierge.pdf"))
    assert show(env, "tandem", tandem_id)["status"] == "proposed"

    sealed = out / "charte.pdf"
    text = ok(env, "charter", "seal", tandem_id, "--out", str(sealed), "--signature", f"mentor={signature}",
              "--signature", f"mentee={signature}", "--place", "Aubagne")
    assert "Charte scellée et enregistrée" in text and "certificat local non enrôlé" in text
    assert sealed.read_bytes().startswith(b"%PDF")
    tandem = show(env, "tandem", tandem_id)
    assert tandem["status"] == "charter_signed" and tandem["charter_signed_on"]

    text = ok(env, "charter", "verify", str(sealed))
    assert "Le sceau est intact" in text and "Identique à la charte enregistrée sur ce poste" in text
    assert text.splitlines()[3].startswith(
        f"Sceau local{verify.NBSP}: cette charte a été scellée avec le certificat propre au poste")
    report = json.loads(ok(env, "charter", "verify", str(sealed), "--json"))
    assert report["ok"] and report["matches_local"] and report["self_signed"] and report["template"]
    assert (report["verdict"], report["exit_code"]) == ("local", 0)

    listed = json.loads(ok(env, "charter", "list", tandem_id, "--json"))
    assert len(listed) == 1 and listed[0]["mode"] == "screen" and listed[0]["signed_place"] == "Aubagne"
    assert listed[0]["sha256"] == report["sha256"]
    number = listed[0]["verification_code"]
    assert text.splitlines()[2] == f"Charte n°{verify.NBSP}{number}" and report["number"] == number
    copy = out / "copie.pdf"
    ok(env, "charter", "export", listed[0]["id"], "--out", str(copy))
    assert copy.read_bytes() == sealed.read_bytes()
    spoken = out / "dictee.pdf"  # the number read over the phone, typed in lower case without its dash
    ok(env, "charter", "export", number.replace("-", "").lower(), "--out", str(spoken))
    assert spoken.read_bytes() == sealed.read_bytes()
    spoken.unlink()

    modified = bytearray(sealed.read_bytes())
    modified[modified.index(b"stream") + 40] ^= 0x01
    (out / "modifiee.pdf").write_bytes(bytes(modified))
    error = refused(env, "charter", "verify", str(out / "modifiee.pdf"))
    assert "modifié" in error
    assert json.loads(refused_stdout(env, "charter", "verify", str(out / "modifiee.pdf"), "--json"))["ok"] is False

    (out / "note.txt").write_text("pas un PDF", encoding="utf-8")
    assert "ce n’est pas un PDF" in refused(env, "charter", "verify", str(out / "note.txt"))
    assert "Opération impossible" in refused(env, "charter", "verify", str(out / "absent.pdf"))
    assert sorted(p.name for p in out.iterdir()) == ["charte.pdf", "copie.pdf", "modifiee.pdf", "note.txt",
                                                    "vierge.pdf"]

    # Another machine, no profile at all: the seal is still checked, its origin reported as local.
    elsewhere = {**env, "TANDEM_DATA_DIR": str(tmp_path / "aucun-profil")}
    text = ok(elsewhere, "charter", "verify", str(sealed))
    assert "Le sceau est intact" in text and "certificat local d’un poste non enrôlé" in text


def refused_stdout(env: dict[str, str], *args: str) -> str:  # noqa: F811
    result = tandem(env, *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    return result.stdout


def test_missing_data_is_listed_and_no_file_is_written(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    tandem_id = make_tandem(env, complete=False)
    out = tmp_path / "sortie"
    out.mkdir()
    for action in ("seal", "generate"):
        error = refused(env, "charter", action, tandem_id, "--out", str(out / "charte.pdf"))
        assert "Charte impossible" in error
        assert "  – Employeur du mentor\n" in error and "  – Adresse e-mail de la structure\n" in error
        assert "Aucun fichier n’a été écrit" in error
    assert list(out.iterdir()) == []
    assert show(env, "tandem", tandem_id)["status"] == "proposed"
    assert json.loads(ok(env, "charter", "list", tandem_id, "--json")) == []


def test_bad_arguments_are_refused_in_french_before_any_seal(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    tandem_id = make_tandem(env)
    out = tmp_path / "sortie"
    out.mkdir()
    not_image = tmp_path / "signature.gif"
    not_image.write_bytes(b"GIF89a pas une vraie image")
    error = refused(env, "charter", "seal", tandem_id, "--out", str(out / "c.pdf"), "--signature",
                    f"mentor={not_image}")
    assert "PNG ou JPEG" in error
    assert "partie=IMAGE attendu" in refused(env, "charter", "seal", tandem_id, "--out", str(out / "c.pdf"),
                                             "--signature", f"témoin={not_image}", code=2)
    assert "Dossier introuvable" in refused(env, "charter", "seal", tandem_id, "--out",
                                            str(tmp_path / "absent" / "c.pdf"))
    assert "est un dossier" in refused(env, "charter", "generate", tandem_id, "--out", str(out))
    assert list(out.iterdir()) == []
    assert show(env, "tandem", tandem_id)["status"] == "proposed"
    assert "introuvable" in refused(env, "charter", "export", "0190aaaa-0000-7000-8000-000000000000",
                                    "--out", str(out / "x.pdf"))
