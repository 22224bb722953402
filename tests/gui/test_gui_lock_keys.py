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
