"""Start-up: profile creation, the unlock dialog, and clear exits for profiles that cannot open."""

from __future__ import annotations

import hashlib

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from tandem_desktop import app
from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.gui.passphrase import MSG_MISMATCH, MSG_TOO_SHORT, PassphraseDialog
from tandem_desktop.store.errors import ProfileLocked, WrongKey
from tandem_desktop.store.profile import init_profile, open_profile, read_meta

pytestmark = pytest.mark.gui
PASSPHRASE = "ceci est une phrase de passe"


@pytest.fixture
def critical(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text, *a: shown.append(text)))
    return shown


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    monkeypatch.delenv("TANDEM_PASSPHRASE", raising=False)
    monkeypatch.delenv("TANDEM_DATA_DIR", raising=False)


def digest(path) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_locked_profile_exits_non_zero_with_a_clear_message(qapp, profile, settings, env, critical,
                                                              monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    assert app.main(["--data-dir", str(settings.data_dir)]) == 1
    assert critical == [str(ProfileLocked(settings.data_dir))]


def test_a_corrupt_database_exits_non_zero_and_is_left_as_it_was(qapp, settings, env, critical,
                                                                 tmp_path) -> None:  # type: ignore[no-untyped-def]
    init_profile(settings).close()
    settings.database_path.write_bytes(b"not a database at all" * 100)
    before = digest(settings.database_path)
    secret = tmp_path / "phrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    seen: list[tuple[str, list[str]]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "damage_box":
            timer.stop()
            seen.append((box.text() + "\n" + box.informativeText(), [b.text() for b in box.buttons()]))
            next(b for b in box.buttons() if b.text() == "Quitter").click()

    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(50)
    try:
        assert app.main(["--data-dir", str(settings.data_dir), "--passphrase-file", str(secret)]) == 1
    finally:
        timer.stop()
    [(text, buttons)] = seen
    assert "endommagé" in text and "tandem restore" not in text and str(settings.backups_dir) in text
    assert "Choisir une sauvegarde…" in buttons and "Restaurer cette sauvegarde" not in buttons
    assert critical == [], "quitting after reading the box: no second box"
    assert digest(settings.database_path) == before


def test_main_opens_the_window_and_releases_the_profile_on_close(qapp, settings, env, critical,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    init_profile(settings).close()
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    seen: list[str] = []

    def close_window() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        seen.extend(w.windowTitle() for w in windows)
        for w in windows:
            w.close()

    QTimer.singleShot(300, close_window)
    safety_net = QTimer()  # never hang the suite; stopped afterwards, or its exit() would break later tests
    safety_net.setSingleShot(True)
    safety_net.timeout.connect(lambda: QApplication.exit(99))
    safety_net.start(10_000)
    try:
        assert app.main(["--data-dir", str(settings.data_dir)]) == 0
    finally:
        safety_net.stop()
    assert seen == ["profil — Tandem Desktop"]
    assert critical == []
    open_profile(settings).close()  # the lock was released


def test_new_profile_uses_the_keyring_silently(qapp, settings, memory_keyring, runner) -> None:  # type: ignore[no-untyped-def]
    profile = app.open_or_create(settings.with_passphrase(None), runner)
    try:
        assert profile is not None
        assert read_meta(settings).key_source == "keyring"
        assert profile.store.count("mentor") == 0
    finally:
        profile.close()


def test_unlock_dialog_wrong_then_right_passphrase(qtbot, settings, runner, typist) -> None:  # type: ignore[no-untyped-def]
    init_profile(settings).close()
    before = digest(settings.database_path)
    dialog = PassphraseDialog(lambda p: open_profile(settings.with_passphrase(p)), runner, create=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.confirm.isVisible(), "unlocking asks once"
    typist(dialog.passphrase, "mauvaise phrase")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=5000)
    assert dialog.message.text() == str(WrongKey("passphrase"))
    assert dialog.isVisible() and dialog.profile is None
    assert digest(settings.database_path) == before

    dialog.passphrase.clear()
    typist(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.profile is not None, timeout=5000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.profile.store.count("mentor") == 0
    dialog.profile.close()


def test_create_dialog_checks_length_and_confirmation(qtbot, settings, runner, typist) -> None:  # type: ignore[no-untyped-def]
    dialog = PassphraseDialog(lambda p: init_profile(settings.with_passphrase(p)), runner, create=True)
    qtbot.addWidget(dialog)
    dialog.show()
    typist(dialog.passphrase, "court")
    typist(dialog.confirm, "court")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == MSG_TOO_SHORT
    dialog.passphrase.setText("une longue phrase")
    dialog.confirm.setText("une longue frase")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == MSG_MISMATCH
    assert not settings.profile_path.exists()

    dialog.confirm.setText("une longue phrase")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.profile is not None, timeout=5000)
    dialog.profile.close()
    assert read_meta(settings).key_source == "passphrase"
    open_profile(settings.with_passphrase("une longue phrase")).close()
