"""« Vérifier une charte… » on the attacked files: the real dialog shows the verdict the CLI prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tandem_desktop.cli import main
from tandem_desktop.gui.charter_verify import AMBER, RED, VerifyDialog
from tandem_desktop.gui.tasks import TaskRunner

from ..conftest import PASSPHRASE
from .test_seal_attacks import Scene, nadia_service, scene  # noqa: F401  (scene is a fixture)
from .test_seal_register import resealed, service_of  # noqa: F401  (resealed is a fixture)

NBSP = "\u00a0"


@pytest.fixture
def runner(qapp: QApplication) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def shown_report(qtbot, service, runner: TaskRunner, path: Path) -> VerifyDialog:  # type: ignore[no-untyped-def]
    dialog = VerifyDialog(service, runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.verify_file(path)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=15000)
    return dialog


def cli_lines(path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The exit code and the file's verdict lines; what the hub said (« Hub : … ») is kept in HUB_LINES."""
    code = main(["--data-dir", data_dir, "charter", "verify", str(path)])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Fichier") and out[1].startswith("Empreinte SHA-256")
    assert out[2].startswith(f"Charte n°{NBSP}")  # the number the file says it has (not a verdict)
    HUB_LINES[:] = [line for line in out[3:] if _from_hub(line)]
    return [str(code), *(line for line in out[3:] if not _from_hub(line))]


HUB_LINES: list[str] = []


def _from_hub(line: str) -> bool:
    return line.startswith(("Hub", "✗ Hub"))


def test_the_dialog_and_the_cli_give_the_same_verdict_on_a_forged_charter(
        qtbot, scene: Scene, runner: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    forged = tmp_path / "charte-avenant.pdf"
    forged.write_bytes(scene.files["a_other_structure"])
    code, *printed = cli_lines(forged, str(scene.nadia_settings.data_dir), capsys)
    assert code == "1"
    with nadia_service(scene) as service:
        dialog = shown_report(qtbot, service, runner, forged)
    assert dialog.headline.text() == "✗ Document modifié après le scellement"
    assert dialog.report.messages == printed  # one function wrote both
    # the hub's word too: the CLI and the dialog asked the same hub about the same number
    qtbot.waitUntil(lambda: dialog.hub is not None, timeout=15000)
    assert HUB_LINES and dialog.hub.lines == HUB_LINES
    assert dialog.detail_labels["at_hub"].text() == "\n".join(HUB_LINES)
    assert "Le document a été modifié après le scellement." in dialog.messages_label.text()
    details = {key: label.text() for key, label in dialog.detail_labels.items()}
    assert details["signer"] == "Nadia Ferhat, Mission locale de Marseille"
    assert details["signatures"] == f"2{NBSP}: le sceau et 1 ajoutée après lui"
    assert details["kind"].startswith("Certification (DocMDP)")
    assert details["local"] == "Différente de la charte enregistrée sur ce poste sous ce numéro"


def test_the_genuine_charter_in_the_dialog_names_the_counsellor_and_structure(
        qtbot, scene: Scene, runner: TaskRunner, tmp_path: Path) -> None:  # noqa: F811
    genuine = tmp_path / "charte.pdf"
    genuine.write_bytes(scene.original)
    with nadia_service(scene) as service:
        dialog = shown_report(qtbot, service, runner, genuine)
    assert dialog.headline.text() == "✓ Sceau intact"
    details = {key: label.text() for key, label in dialog.detail_labels.items()}
    assert details["signer"] == "Nadia Ferhat, Mission locale de Marseille"
    assert details["device"] == f"«{NBSP}vm{NBSP}» (nom donné par le poste)"
    assert details["hub"] == "L’autorité du hub Tandem de ce poste"
    assert details["signatures"] == "1 (le sceau)"
    assert details["local"] == "Identique à la charte enregistrée sur ce poste"


def test_the_dialog_shows_a_resealed_copy_red_and_an_unvouched_seal_amber(
        qtbot, scene: Scene, resealed: dict[str, bytes], runner: TaskRunner, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Red team finding 1: the whole charter rewritten and sealed again with a self-signed key."""
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    forged = tmp_path / "charte-resignee.pdf"
    forged.write_bytes(resealed["self_signed"])
    code, *printed = cli_lines(forged, str(scene.nadia_settings.data_dir), capsys)
    assert code == "3"
    with nadia_service(scene) as service:
        dialog = shown_report(qtbot, service, runner, forged)
        dialog.grab().save(str(tmp_path / "verify-mismatch.png"))
    assert dialog.headline.text() == "✗ Ce n’est pas la charte enregistrée sur ce poste"
    assert f"color: {RED}" in dialog.headline.styleSheet()
    assert dialog.report.messages == printed and "intact" not in dialog.messages_label.text()
    assert dialog.detail_labels["local"].text() == "Différente de la charte enregistrée sur ce poste sous ce numéro"
    with service_of(scene.karim_settings) as service:  # on a device of the same hub that does not hold it
        dialog = shown_report(qtbot, service, runner, forged)
    assert dialog.headline.text() == f"⚠ Sceau non reconnu{NBSP}: ni le hub ni ce poste ne le garantissent"
    assert f"color: {AMBER}" in dialog.headline.styleSheet()
