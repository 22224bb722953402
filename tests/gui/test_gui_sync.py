"""Sync in the real window against a real hub: enrollment through the dialog, the status bar, and
« Synchroniser maintenant » running in the worker while the window stays responsive."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from sync_support import (
    NBSP,
    close_window,
    enroll,
    enroll_through_dialog,
    hub,
    make_controller,
    new_device,
    open_window,
    shot,
    status_texts,
    sync_window,
)
from waiting import loaded, settle

from tandem_desktop.gui.enroll_dialog import MSG_URL, unreachable_message
from tandem_desktop.gui.sync_texts import pending_text
from tandem_desktop.services import sync as sync_service

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]  # fixtures used by name


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):  # type: ignore[no-untyped-def]
    qtbot.keyClick(window.focusWidget() or window, key, modifier)
    settle(qtbot, window)


def create_mentor(qtbot, typist, window, first: str, last: str) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+N in Mentors, type the names, Ctrl+S: a local write as the counsellor makes it."""
    window.show_section("mentor")
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.section("mentor").form()
    for name, text in (("first_name", first), ("last_name", last)):
        form.widget(name).setFocus()
        typist(form.widget(name), text)
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.section("mentor").form() is None, "the mentor was saved"


def test_enrollment_through_the_dialog(qtbot, typist, sync_window, hub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, controller = sync_window, sync_window.sync
    assert status_texts(window)["state"] == "Non connecté au hub"
    assert not window.sync_ui.sync_action.isEnabled()
    shot(window, "not_enrolled")

    dialog = enroll_through_dialog(qtbot, typist, window, "hub.exemple.fr", "ABCDEFGHJK")
    assert dialog.error.text() == MSG_URL, "an address without http(s):// is refused before any request"
    dialog.close()

    nowhere = "http://127.0.0.1:9"
    dialog = enroll_through_dialog(qtbot, typist, window, nowhere, hub.code())
    assert not dialog.enroll_button.isEnabled(), "busy while the worker talks to the network"
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert dialog.error.text() == unreachable_message(nowhere)
    assert dialog.enroll_button.isEnabled()
    dialog.close()

    used = hub.code()
    other = new_device(tmp_path, "autre-poste")
    try:
        sync_service.enroll(other, hub.url, used, "Autre poste")
    finally:
        other.close()
    dialog = enroll_through_dialog(qtbot, typist, window, hub.url, used)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "code" in dialog.error.text().lower() and "injoignable" not in dialog.error.text()
    assert not controller.is_enrolled
    shot(dialog, "enroll_refused")
    dialog.close()

    dialog = enroll_through_dialog(qtbot, typist, window, hub.url + "/", hub.code())
    qtbot.waitUntil(lambda: dialog.result_info is not None, timeout=10_000)
    device_id = dialog.result_info.device_id
    assert dialog.current.isVisible()
    assert dialog.current.text().startswith(f"Ce poste est connecté au hub «{NBSP}{hub.url}{NBSP}».")
    assert device_id in dialog.current.text()
    assert not dialog.error.isVisible() and dialog.code.text() == ""
    shot(dialog, "enroll_done")
    qtbot.waitUntil(lambda: controller.last_report is not None and not controller.syncing, timeout=10_000)
    dialog.close()
    texts = status_texts(window)
    assert texts["state"] == "En ligne"
    assert re.fullmatch(f"Dernière synchro{NBSP}: \\d\\d:\\d\\d", texts["last"]), texts["last"]
    assert controller.status.device_id == device_id
    assert window.sync_ui.sync_action.isEnabled()
    structures = window.sections["structure"].list_page
    qtbot.waitUntil(lambda: structures.model.rowCount() == 1, timeout=5000)  # hidden, but told
    assert not structures.stale, "the pulled page named its records: the list read them, in place"
    window.show_section("structure")
    loaded(qtbot, window.sections["structure"].list_page)
    assert window.sections["structure"].list_page.model.rowCount() == 1, "the first sync brought the structure"


def test_pending_changes_show_after_an_edit_and_clear_after_a_sync(qtbot, typist, profile, runner,
                                                                   hub) -> None:  # type: ignore[no-untyped-def]
    controller = make_controller(profile, runner, debounce_ms=60_000)  # only the shortcut syncs here
    window = open_window(qtbot, profile, runner, controller)
    try:
        enroll(qtbot, typist, window, hub.url, hub.code())
        assert status_texts(window)["pending"] == "Aucune modification en attente"
        create_mentor(qtbot, typist, window, "Hélène", "Dupont")
        waiting = profile.store.outbox_writes()
        assert waiting > 0
        qtbot.waitUntil(lambda: status_texts(window)["pending"] == pending_text(waiting), timeout=5000)
        assert waiting == 1 and pending_text(waiting) == "1\u00a0modification en attente"  # one saved record
        shot(window, "pending")

        reports: list[Any] = []
        controller.synced.connect(reports.append)
        press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
        assert reports[0].pushed == 1
        qtbot.waitUntil(lambda: status_texts(window)["pending"] == "Aucune modification en attente", timeout=5000)
        assert profile.store.outbox_writes() == 0
        assert status_texts(window)["state"] == "En ligne"
        assert window.status_message.text().startswith(f"Synchronisation terminée{NBSP}: 1{NBSP}modification envoyée")
        assert status_texts(window)["mismatch"] == "", "the device's counts agree with the hub's"
        shot(window, "synced")

        with profile.store.transaction() as conn:  # damage behind the store's back: no outbox entry
            conn.exec_driver_sql("UPDATE mentor SET deleted = 1")
        profile.store.create("mentor", {"first_name": "Jean", "last_name": "Martin"})  # a sync that moves data
        reports.clear()
        press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
        assert set(reports[0].mismatches) == {"mentor"}
        assert status_texts(window)["mismatch"] == f"Écart avec le hub{NBSP}: mentors"
        assert f"mentors{NBSP}: 1 ici, 2 au hub" in window.sync_ui.status.mismatch_label.toolTip()
        shot(window, "mismatch")
    finally:
        close_window(window, runner)


class ThreadSpy:
    """The real service, noting which thread each sync runs on."""

    def __init__(self, real: Any):
        self.real = real
        self.sync_threads: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def sync_now(self, *args: Any, **kwargs: Any) -> Any:
        self.sync_threads.append(threading.get_ident())
        return self.real.sync_now(*args, **kwargs)


def test_sync_now_runs_in_the_worker_and_the_window_stays_responsive(qtbot, typist, profile, runner,
                                                                     hub) -> None:  # type: ignore[no-untyped-def]
    spy = ThreadSpy(sync_service)
    controller = make_controller(profile, runner, spy, debounce_ms=60_000)
    window = open_window(qtbot, profile, runner, controller)
    try:
        enroll(qtbot, typist, window, hub.url, hub.code())
        profile.store.create_many("mentor", [{"first_name": f"Prénom{i}", "last_name": f"Nom{i}"}
                                            for i in range(3000)])
        window.sections["mentor"].refresh()
        loaded(qtbot, window.sections["mentor"].list_page)
        controller.local_changed()  # what a save in the window does: the count of waiting changes
        qtbot.waitUntil(lambda: status_texts(window)["pending"] == pending_text(profile.store.outbox_writes()),
                        timeout=5000)
        ticks_while_syncing = 0
        states: list[str] = []
        phases: list[str] = []

        def tick() -> None:
            nonlocal ticks_while_syncing
            ticks_while_syncing += controller.syncing

        timer = QTimer(window)
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        controller.changed.connect(lambda: states.append(status_texts(window)["state"]))
        controller.progress.connect(lambda phase, done, total: phases.append(phase))

        def shoot_while_pushing() -> None:
            if controller.phase and controller.phase[0] == "push" and controller.phase[1] and not shots:
                shots.append("syncing")
                QTimer.singleShot(30, lambda: shot(window, "syncing"))  # once the status bar is laid out again

        shots: list[str] = []
        controller.changed.connect(shoot_while_pushing)
        syncs_before = len(spy.sync_threads)
        done: list[Any] = []
        controller.synced.connect(done.append)
        press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert controller.syncing, "the shortcut starts the sync and returns at once"
        assert window.sync_ui.status.progress_bar.isVisible()
        qtbot.waitUntil(lambda: bool(done), timeout=60_000)
        timer.stop()
        assert spy.sync_threads[syncs_before] != threading.get_ident(), "the sync ran on the worker"
        assert ticks_while_syncing >= 2, "the GUI thread kept running timers during the sync"
        assert "push" in phases and "pull" in phases
        assert any(state.startswith("Synchronisation… envoi") for state in states)
        assert done[0].pushed == 3000
        qtbot.waitUntil(lambda: status_texts(window)["pending"] == "Aucune modification en attente", timeout=5000)
    finally:
        close_window(window, runner)
