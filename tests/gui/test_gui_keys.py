"""The window's start-up when the keyring is locked or its entry is gone, the recovery code dialog,
and the status bar of a sync that fails — real profiles, real dialogs driven as a counsellor would,
the real `keyring` API over a backend that can be locked and emptied, a real hub over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from sync_support import close_window, hub, make_controller, open_window

from tandem_desktop import app
from tandem_desktop.gui import profile_flow
from tandem_desktop.gui.key_dialogs import (
    AfterRecoveryDialog,
    KeyProblemDialog,
    RecoveryCodeDialog,
    RecoveryEntryDialog,
)
from tandem_desktop.gui.passphrase import PassphraseDialog
from tandem_desktop.services import sync as sync_service
from tandem_desktop.store import recovery
from tandem_desktop.store.profile import init_profile, open_profile, read_meta

pytestmark = pytest.mark.gui
__all__ = ["hub"]
PASSPHRASE = "ceci est une phrase de passe"


class Modal:
    """Acts on the next modal dialog of a class when it shows (dialogs run their own event loop)."""

    def __init__(self) -> None:
        self.timers: list[QTimer] = []
        self.seen: list[Any] = []

    def on(self, cls: type, act: Callable[[Any], None]) -> None:
        timer = QTimer()
        timer.setInterval(20)

        def poll() -> None:
            widget = QApplication.activeModalWidget()
            if isinstance(widget, cls) and widget.isVisible():
                timer.stop()
                self.seen.append(widget)
                act(widget)

        timer.timeout.connect(poll)
        timer.start()
        self.timers.append(timer)

    def stop(self) -> None:
        for timer in self.timers:
            timer.stop()


@pytest.fixture
def modal() -> Any:
    watcher = Modal()
    yield watcher
    watcher.stop()


@pytest.fixture
def critical(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text, *a: shown.append(text)))
    return shown


def click(qtbot, button) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def keyring_profile(settings) -> tuple[Any, str]:  # type: ignore[no-untyped-def]
    bare = settings.with_passphrase(None)
    profile = init_profile(bare)
    code = profile.recovery_code
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    profile.close()
    return bare, code


def test_creating_with_a_locked_keyring_offers_the_passphrase_dialog(qtbot, qapp, settings, memory_keyring,
                                                                      runner, modal, typist, critical) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.lock()
    messages: list[str] = []

    def choose_passphrase(dialog: KeyProblemDialog) -> None:
        messages.append(dialog.message.text())
        assert not dialog.recovery_button.isVisible() and dialog.retry_button.isVisible()
        click(qtbot, dialog.passphrase_button)

    def type_passphrase(dialog: PassphraseDialog) -> None:
        typist(dialog.passphrase, "12345678")
        assert "très faible" in dialog.message.text()  # the live hint
        dialog.confirm.setText("12345678")
        click(qtbot, dialog.ok_button)
        messages.append(dialog.message.text())
        dialog.passphrase.setText(PASSPHRASE)
        assert "bonne" in dialog.message.text()
        dialog.confirm.setText(PASSPHRASE)
        click(qtbot, dialog.ok_button)

    modal.on(KeyProblemDialog, choose_passphrase)
    modal.on(PassphraseDialog, type_passphrase)
    profile = app.open_or_create(settings.with_passphrase(None), runner)
    assert profile is not None and critical == []
    try:
        assert "verrouillé" in messages[0] and "déverrouillez-le" in messages[0]
        assert "trop facile à deviner" in messages[1]
        assert profile.meta.key_source == "passphrase" and profile.recovery_code
    finally:
        profile.close()


def test_creating_with_a_locked_keyring_then_unlocking_and_retrying(qtbot, qapp, settings, memory_keyring,
                                                                    runner, modal) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.lock()

    def unlock_and_retry(dialog: KeyProblemDialog) -> None:
        memory_keyring.unlock()
        click(qtbot, dialog.retry_button)

    modal.on(KeyProblemDialog, unlock_and_retry)
    profile = app.open_or_create(settings.with_passphrase(None), runner)
    assert profile is not None
    with profile:
        assert profile.meta.key_source == "keyring" and len(memory_keyring.secrets) == 1


def test_opening_with_a_locked_keyring_says_locked_and_retries(qtbot, qapp, settings, memory_keyring, runner,
                                                               modal) -> None:  # type: ignore[no-untyped-def]
    bare, _ = keyring_profile(settings)
    memory_keyring.lock()
    texts: list[str] = []

    def retry_twice(dialog: KeyProblemDialog) -> None:
        texts.append(dialog.message.text())
        click(qtbot, dialog.retry_button)  # still locked: the dialog stays and says so
        qtbot.waitUntil(lambda: dialog.retry_button.isEnabled(), timeout=5000)
        assert dialog.isVisible()
        memory_keyring.unlock()
        click(qtbot, dialog.retry_button)

    modal.on(KeyProblemDialog, retry_twice)
    profile = app.open_or_create(bare, runner)
    assert profile is not None
    with profile:
        assert profile.store.count("mentor") == 1
    assert "verrouillé" in texts[0] and "introuvable" not in texts[0]


def test_a_deleted_key_opens_with_the_recovery_code_and_goes_back(qtbot, qapp, settings, memory_keyring, runner,
                                                                  modal, typist) -> None:  # type: ignore[no-untyped-def]
    bare, code = keyring_profile(settings)
    memory_keyring.clear()
    errors: list[str] = []

    def choose_code(dialog: KeyProblemDialog) -> None:
        assert "introuvable" in dialog.message.text() and dialog.restart_button.isVisible()
        click(qtbot, dialog.recovery_button)

    def type_code(dialog: RecoveryEntryDialog) -> None:
        typist(dialog.code, recovery.new_code())  # another profile's code
        click(qtbot, dialog.ok_button)
        qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5000)
        errors.append(dialog.error.text())
        dialog.code.setText(code.lower())
        click(qtbot, dialog.ok_button)

    modal.on(KeyProblemDialog, choose_code)
    modal.on(RecoveryEntryDialog, type_code)
    profile = app.open_or_create(bare, runner)
    assert profile is not None and profile.opened_with == "recovery"
    assert "n’est pas celui de ce profil" in errors[0]
    modal.on(AfterRecoveryDialog, lambda dialog: click(qtbot, dialog.keyring_button))
    message = profile_flow.after_open(profile, runner)
    profile.close()
    assert "de nouveau dans le trousseau" in message
    with open_profile(bare) as again:  # the next opening is the usual one
        assert again.opened_with == "keyring" and again.store.count("mentor") == 1


def test_starting_again_from_the_hub_when_key_and_code_are_lost(qtbot, qapp, settings, memory_keyring, runner,
                                                                modal, answer_yes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bare, _ = keyring_profile(settings)
    memory_keyring.clear()
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda parent, title, text, *a: told.append(text)))
    modal.on(KeyProblemDialog, lambda dialog: click(qtbot, dialog.restart_button))
    profile = app.open_or_create(bare, runner)
    assert profile is not None
    with profile:
        assert profile.store.count("mentor") == 0 and profile.recovery_code
    assert "Ne reviendront pas" in answer_yes[0] and "chartes signées" in answer_yes[0]
    assert "révoquer l’ancien appareil" in told[0]
    [aside] = [p for p in settings.data_dir.parent.iterdir() if "-mis-de-cote-" in p.name]
    assert (aside / "tandem.db").is_file()


def test_the_recovery_code_dialog_asks_for_a_group_back(qtbot, qapp, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code = recovery.new_code()
    dialog = RecoveryCodeDialog(code, "/home/conseillere/profil")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.code_label.text() == code
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible(), "Échap does not skip the code"
    assert not dialog.continue_button.isEnabled()
    dialog.confirm.setText("ZZZZZ" if dialog.expected() != "ZZZZZ" else "YYYYY")
    assert dialog.error.isVisible() and not dialog.continue_button.isEnabled()
    click(qtbot, dialog.copy_button)
    assert QGuiApplication.clipboard().text() == code
    target = tmp_path / "code.pdf"

    def print_to_pdf(print_dialog: QPrintDialog) -> int:  # the printer is the outside world
        printer = print_dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", print_to_pdf)
    assert dialog.print_sheet()
    text = " ".join("".join(page.extract_text() for page in PdfReader(str(target)).pages).split())
    assert code in text and "sur papier" in text
    dialog.confirm.setText(dialog.expected().lower())
    assert dialog.continue_button.isEnabled()
    click(qtbot, dialog.continue_button)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.confirmed


def test_an_old_profile_is_told_it_has_no_code_and_gets_one(qtbot, qapp, window, profile, runner, modal) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    profile.meta = replace(profile.meta, recovery=None)  # as made by the previous release
    profile.recovery_code = None  # (this one was just made: its code was « already shown »)
    profile.meta.save(profile.settings.profile_path)
    assert profile_flow.after_open(profile, runner) == profile_flow.MSG_NO_CODE
    action = profile_flow.install_recovery_action(window, window.file_menu, window.quit_action, profile, runner,
                                                  window.show_message)
    assert action in window.file_menu.actions()
    shown: list[str] = []

    def confirm(dialog: RecoveryCodeDialog) -> None:
        shown.append(dialog.code)
        dialog.confirm.setText(dialog.expected())
        click(qtbot, dialog.continue_button)

    modal.on(RecoveryCodeDialog, confirm)
    action.trigger()
    qtbot.waitUntil(lambda: bool(shown) and "Nouveau code" in window.status_message.text(), timeout=10_000)
    assert read_meta(profile.settings).recovery is not None
    profile.close()
    with open_profile(profile.settings.with_passphrase(None).with_recovery_code(shown[0])) as reopened:
        assert reopened.opened_with == "recovery"
    open_profile(profile.settings).close()


def test_a_failing_sync_shows_as_failing_not_green_online(qtbot, profile, runner, hub, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    sync_service.enroll(profile, hub.url, hub.code())
    assert profile.store.remote.state()["token_source"] == "keyring"
    controller = make_controller(profile, runner)
    window = open_window(qtbot, profile, runner, controller)
    bar = window.sync_ui.status
    try:
        qtbot.waitUntil(lambda: controller.last_report is not None and not controller.syncing, timeout=10_000)
        assert bar.state_text() == "En ligne" and "#1e7d32" in bar.state_label.styleSheet()
        memory_keyring.lock()
        controller.sync_now(reason="manual")
        qtbot.waitUntil(lambda: not controller.syncing and controller.last_error != "", timeout=10_000)
        assert bar.state_text() == "Trousseau verrouillé"
        assert "#b3261e" in bar.state_label.styleSheet()  # red, not green
        assert "Inutile de relier ce poste" in bar.state_label.toolTip()
        assert "verrouillé" in window.status_message.text()
        assert controller.retry_timer.isActive()  # it tries again by itself
        memory_keyring.unlock()
        controller.sync_now(reason="manual")
        qtbot.waitUntil(lambda: not controller.syncing and controller.last_error == "", timeout=10_000)
        assert bar.state_text() == "En ligne"
    finally:
        close_window(window, runner)


def test_a_new_profile_shows_its_code_once_after_opening(qtbot, qapp, settings, memory_keyring, runner,
                                                         modal) -> None:  # type: ignore[no-untyped-def]
    profile = app.open_or_create(settings.with_passphrase(None), runner)  # silent: the keyring takes the key
    assert profile is not None and profile.recovery_code
    shown: list[str] = []

    def confirm(dialog: RecoveryCodeDialog) -> None:
        shown.append(dialog.code)
        dialog.confirm.setText(dialog.expected())
        click(qtbot, dialog.continue_button)

    modal.on(RecoveryCodeDialog, confirm)
    assert profile_flow.after_open(profile, runner) == ""
    assert shown and profile.recovery_code is None  # shown once, kept nowhere
    profile.close()
    memory_keyring.clear()
    with open_profile(settings.with_passphrase(None).with_recovery_code(shown[0])) as reopened:
        assert reopened.opened_with == "recovery"
