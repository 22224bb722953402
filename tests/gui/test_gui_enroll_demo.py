"""« Connexion au hub… » on a demo profile: refused in French before anything is typed, and the device
name field no longer offers the host name (the hub names it after the counsellor and structure)."""

from __future__ import annotations

import socket

import pytest
from sync_support import hub, sync_window

from tandem_desktop.gui.enroll_dialog import DEVICE_NAME_HINT
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.store.demo import DEMO_REFUSED

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]  # fixtures used by name


def open_dialog(window):  # type: ignore[no-untyped-def]
    next(a for a in window.file_menu.actions() if a.objectName() == "action_enroll").trigger()
    dialog = window.sync_ui.enroll_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_the_enroll_dialog_of_a_real_profile_leaves_the_name_to_the_hub(sync_window) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(sync_window)
    assert dialog.device_name.text() == "" and dialog.device_name.placeholderText() == DEVICE_NAME_HINT
    assert socket.gethostname() not in dialog.device_name.text()
    assert dialog.enroll_button.isEnabled() and not dialog.error.isVisible()
    dialog.close()


def test_the_enroll_dialog_refuses_a_demo_profile(sync_window, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    generate_demo(store, mentors=2, mentees=4, seed=1)
    dialog = open_dialog(sync_window)
    assert dialog.error.isVisible() and dialog.error.text() == DEMO_REFUSED
    assert not dialog.enroll_button.isEnabled() and not dialog.code.isEnabled()
    assert dialog.close_button.isEnabled()
    dialog.grab().save(str(tmp_path / "enroll_demo.png"))
    dialog.grab().save("/tmp/cm/enroll_demo.png")
    dialog.close()
