"""Keys typed on a lock screen stay on it (what an attack found: Échap in the passphrase field of a
dialog's lock screen closed the import dialog behind it)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tandem_desktop.gui.lock import LockScreen


def test_escape_and_enter_on_a_dialogs_lock_screen_leave_the_dialog_open(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.import_file()
    dialog = window.import_dialog
    qtbot.waitExposed(dialog)
    window.screen_lock.lock()
    cover = next(s for s in dialog.findChildren(LockScreen) if s.isVisible())
    for key in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
        qtbot.keyClick(cover.passphrase, key)
        assert dialog.isVisible(), key
    assert window.screen_lock.locked


def test_a_button_an_import_hid_behind_the_lock_stays_hidden_after_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """What an attack found: the import ended behind the lock, hid « Arrêter »; the unlock showed it."""
    window.import_file()
    dialog = window.import_dialog
    qtbot.waitExposed(dialog)
    dialog._busy = "import"
    dialog._update()
    assert dialog.stop_button.isVisible()
    window.screen_lock.lock()
    dialog._busy = ""
    dialog._update()  # what the end of an import does
    window.screen_lock.unlock()
    assert not dialog.stop_button.isVisible()
