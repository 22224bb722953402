"""Dialogs whose text grows: the new-profile passphrase dialog, the recovery code shown once, the
enrollment dialog and the key problem dialog — real widgets, typed into as a counsellor would. Every
line stays readable (the dialog grows with its message), one message at a time, cleared as the input
changes."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QWidget
from sync_support import enroll_through_dialog, hub, shot, sync_window

from tandem_desktop.gui.enroll_dialog import MSG_INSECURE
from tandem_desktop.gui.key_dialogs import KeyProblemDialog, RecoveryCodeDialog
from tandem_desktop.gui.passphrase import PassphraseDialog
from tandem_desktop.store.errors import KeyUnavailable, LockedKeyring
from tandem_desktop.store.profile import init_profile, open_profile
from tandem_desktop.texts.french import NBSP

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]

WEAK = "12345678"
GOOD = "Hélène aime les tartes aux pommes"


def visible_labels(dialog: QWidget) -> list[QLabel]:
    return [label for label in dialog.findChildren(QLabel) if label.isVisible() and label.text()]


def assert_fits(dialog: QDialog) -> None:
    """Every visible line is whole: the dialog is as tall as its layout needs, no label is shorter
    than its wrapped text, and no two visible labels overlap."""
    layout = dialog.layout()
    layout.activate()
    assert dialog.height() >= layout.totalHeightForWidth(dialog.width())
    assert dialog.height() >= dialog.sizeHint().height() or dialog.width() > dialog.sizeHint().width()
    labels = visible_labels(dialog)
    for label in labels:
        needed = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
        assert label.height() >= needed, f"{label.objectName()} cut: {label.height()} < {needed}"
    boxes = [(label, label.geometry().translated(label.parentWidget().mapTo(dialog, label.pos()) - label.pos()))
             for label in labels]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.intersects(box_b), f"{a.objectName()} overlaps {b.objectName()}"


def test_the_new_passphrase_dialog_grows_with_one_message_cleared_as_one_types(qtbot, typist, runner,  # type: ignore[no-untyped-def]
                                                                              tmp_path) -> None:
    dialog = PassphraseDialog(lambda p: None, runner, create=True, location=str(tmp_path / "profil"))  # type: ignore[arg-type,return-value]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    empty_height = dialog.height()
    assert_fits(dialog)

    typist(dialog.passphrase, WEAK)
    assert dialog.message.text().startswith(f"Solidité{NBSP}: très faible.")
    assert dialog.height() > empty_height, "the dialog grew for the hint"
    assert_fits(dialog)

    dialog.confirm.setText(WEAK)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    refusal = dialog.message.text()
    assert refusal.startswith(f"Phrase de passe trop facile à deviner{NBSP}:")
    shown = [label.text() for label in visible_labels(dialog)]
    assert [t for t in shown if "très faible" in t or "trop facile" in t] == [refusal], "one message, not two"
    assert_fits(dialog)
    shot(dialog, "polish_passphrase_refused")

    dialog.passphrase.clear()
    typist(dialog.passphrase, GOOD)
    assert dialog.message.text() == f"Solidité{NBSP}: bonne."
    assert not any("trop facile" in label.text() for label in visible_labels(dialog)), "the refusal went"
    assert_fits(dialog)
    assert dialog.height() < empty_height + 3 * dialog.fontMetrics().height(), "and the dialog shrank back"
    shot(dialog, "polish_passphrase_good")

    dialog.confirm.setText("autre chose")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Les deux saisies ne correspondent pas."
    typist(dialog.confirm, "x")
    assert dialog.message.text() == f"Solidité{NBSP}: bonne.", "correcting the confirmation clears the refusal"
    dialog.close()


def test_the_recovery_code_dialog_grows_for_a_wrong_group(qtbot, typist) -> None:  # type: ignore[no-untyped-def]
    dialog = RecoveryCodeDialog("ABCDE-FGHJK-MNPQR-STVWX-YZ234", "/tmp/profil")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dialog.height()
    typist(dialog.confirm, "99999")
    assert dialog.error.isVisible() and dialog.error.text().startswith("Ce n’est pas le groupe demandé")
    assert dialog.height() > before
    assert_fits(dialog)
    shot(dialog, "polish_recovery_wrong")
    dialog.confirm.clear()
    typist(dialog.confirm, dialog.expected())
    assert not dialog.error.isVisible() and dialog.continue_button.isEnabled()
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)


def test_ticking_unencrypted_clears_the_http_refusal(qtbot, typist, sync_window, hub) -> None:  # type: ignore[no-untyped-def]
    dialog = enroll_through_dialog(qtbot, typist, sync_window, "http://192.0.2.77:8765", hub.code())
    assert dialog.error.isVisible() and dialog.error.text() == MSG_INSECURE
    assert_fits(dialog)
    qtbot.mouseClick(dialog.insecure_http, Qt.MouseButton.LeftButton, pos=dialog.insecure_http.rect().center())
    assert dialog.insecure_http.isChecked()
    assert not dialog.error.isVisible() and dialog.error.text() == ""
    assert_fits(dialog)
    dialog.close()


def test_retrying_a_still_locked_keyring_says_it_tried(qtbot, settings, memory_keyring, runner) -> None:  # type: ignore[no-untyped-def]
    bare = settings.with_passphrase(None)
    init_profile(bare).close()
    memory_keyring.lock()
    dialog = KeyProblemDialog(LockedKeyring(), runner, lambda: open_profile(bare))
    qtbot.addWidget(dialog)
    dialog.show()
    before = dialog.progress.text() if dialog.progress.isVisible() else ""
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.retry_button.isEnabled(), timeout=10_000)
    assert dialog.progress.isVisible() and dialog.progress.text() != before
    assert re.fullmatch(r"Toujours verrouillé \(essai à \d\d:\d\d:\d\d\)\.", dialog.progress.text())
    assert_fits(dialog)
    shot(dialog, "polish_still_locked")
    memory_keyring.unlock()
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.profile is not None, timeout=10_000)
    dialog.profile.close()


def test_a_missing_key_speaks_of_the_buttons_not_the_commands(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    for has_code in (True, False):
        dialog = KeyProblemDialog(KeyUnavailable(), runner, lambda: None, has_code=has_code)  # type: ignore[arg-type,return-value]
        qtbot.addWidget(dialog)
        text = dialog.message.text()
        assert "tandem " not in text and "README" not in text
        assert f"«{NBSP}Repartir du hub…{NBSP}»" in text and dialog.restart_button.text() == "Repartir du hub…"
        assert (f"«{NBSP}Code de secours…{NBSP}»" in text) is has_code
    assert "tandem recover" in str(KeyUnavailable()), "the command line keeps its commands"
