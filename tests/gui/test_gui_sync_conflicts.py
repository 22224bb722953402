"""What the hub tells the counsellor, against a real hub: a conflict between two laptops shown in
« Conflits » and reversed, an overbooked mentor flagged to both structures, a revoked device."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sync_support import NBSP, activate, enroll, hub, new_device, shot, status_texts, sync_window
from waiting import loaded, settle

from tandem_desktop.gui.overbooking import WARNING_NAME
from tandem_desktop.gui.revoked import MSG_READ_ONLY, RevokedDialog
from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.records import Actor, Records

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]  # fixtures used by name
SYNC_KEYS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def sync_and_wait(qtbot, window) -> Any:  # type: ignore[no-untyped-def]
    """Ctrl+Maj+S, then wait for the report."""
    reports: list[Any] = []
    window.sync.synced.connect(reports.append)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_S, SYNC_KEYS)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
    window.sync.synced.disconnect(reports.append)
    return reports[0]


def test_a_conflict_between_two_laptops_is_shown_and_reversed(qtbot, typist, sync_window, hub,
                                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, store = sync_window, sync_window.store
    enroll(qtbot, typist, window, hub.url, hub.code())
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "employer": "CMA CGM"})
    sync_and_wait(qtbot, window)
    other = new_device(tmp_path, "poste-b")
    try:
        sync_service.enroll(other, hub.url, hub.code(), "Poste B")
        sync_service.sync_now(other)
        other.store.update("mentor", mentor, {"employer": "Airbus"})  # laptop B, synced first
        sync_service.sync_now(other)
        store.update("mentor", mentor, {"employer": "Orange"})  # this laptop, offline meanwhile
        report = sync_and_wait(qtbot, window)
        assert report.conflicts_new == 1
        assert store.get("mentor", mentor)["employer"] == "Orange", "the later arrival wins"
        qtbot.waitUntil(lambda: status_texts(window)["conflicts"] == f"1{NBSP}conflit", timeout=5000)

        qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
        page = window.sync_ui.conflicts
        assert window.stack.currentWidget() is page
        qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
        row = page.model.rows[0]
        assert (row["record_text"], row["field_text"], row["kept_text"], row["lost_text"]) == (
            "Mentor · Hélène Dupont", "Employeur", "Orange", "Airbus")
        assert row["type_text"] and row["date_text"]
        assert window.status_count.text() == f"1{NBSP}conflit ouvert"
        assert not page.reverse_button.isEnabled(), "nothing selected yet"
        page.table.selectRow(0)
        assert page.reverse_button.isEnabled()
        assert "Airbus" in page.detail.text()
        shot(window, "conflicts")

        reports: list[Any] = []
        reversals: list[Any] = []
        window.sync.synced.connect(reports.append)
        page.reversed.connect(reversals.append)
        qtbot.mouseClick(page.reverse_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
        assert store.get("mentor", mentor)["employer"] == "Airbus"
        [changes] = reversals  # the service's typed Changes: what the views refresh
        assert (changes.kinds, changes.ids("mentor"), changes.fields) == ({"mentor"}, {mentor}, ("employer",))
        assert window.sync.reason == "reverse"
        assert window.status_message.text().startswith("Synchronisation terminée")
        qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
        assert page.empty_label.isVisible()
        qtbot.waitUntil(lambda: status_texts(window)["conflicts"] == "", timeout=5000)
        page.filter.setCurrentIndex(page.filter.findData("resolved"))
        assert page.model.rowCount() == 1 and page.model.rows[0]["resolved"]
        sync_service.sync_now(other)
        assert other.store.get("mentor", mentor)["employer"] == "Airbus", "the lost value is back everywhere"
    finally:
        other.close()


def test_an_overbooked_mentor_is_flagged_in_the_status_bar_and_on_the_mentor_page(
        qtbot, typist, sync_window, hub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, store = sync_window, sync_window.store
    enroll(qtbot, typist, window, hub.url, hub.code("Mission locale de Marseille"))
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "capacity": 1})
    sync_and_wait(qtbot, window)
    other = new_device(tmp_path, "poste-adie")
    try:
        sync_service.enroll(other, hub.url, hub.code("Adie Provence"), "Poste Adie")
        sync_service.sync_now(other)
        theirs = other.store.create("mentee", {"first_name": "Sofiane", "last_name": "Benali"})
        # the last free place…
        Records(other.store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": theirs})
        sync_service.sync_now(other)
        mine = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad"})
        Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mine})  # …given here too, offline
        sync_and_wait(qtbot, window)
        bar = window.sync_ui.status
        qtbot.waitUntil(lambda: status_texts(window)["flags"] != "", timeout=5000)
        assert status_texts(window)["flags"] == f"Mentor en surréservation{NBSP}: Hélène Dupont"
        assert f"2{NBSP}tandems en cours pour une capacité de 1" in bar.flags_label.toolTip()

        window.show_section("mentor")
        window.section("mentor").edit_record(mentor)
        warning = window.section("mentor").form().findChild(QLabel, WARNING_NAME)
        assert warning is not None and warning.isVisible()
        assert warning.text().startswith(f"⚠ Mentor en surréservation{NBSP}: 2{NBSP}tandems en cours")
        shot(window, "overbooked")
        window.section("mentor").close_overlay(ask=False)
        sync_service.sync_now(other)
        assert [f.mentor_id for f in sync_service.list_flags(other)] == [mentor], "flagged to both structures"
    finally:
        other.close()


@pytest.fixture
def revoked_dialogs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The revoked dialog is the outside here: record it and answer with `choice`."""
    seen: dict[str, Any] = {"choice": "keep", "shown": []}

    def exec_(dialog: RevokedDialog) -> int:
        seen["shown"].append(dialog.findChild(QLabel, "revoked_text").text())
        (dialog.wipe_button if seen["choice"] == "wipe" else dialog.keep_button).click()
        shot(dialog, "revoked_dialog")
        return int(dialog.result())

    monkeypatch.setattr(RevokedDialog, "exec", exec_)
    return seen


def revoke_and_sync(qtbot, typist, window, hub) -> None:  # type: ignore[no-untyped-def]
    enroll(qtbot, typist, window, hub.url, hub.code())
    admin.revoke_device(hub.engine, window.sync.status.device_id)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_S, SYNC_KEYS)
    settle(qtbot, window)


def test_a_revoked_device_is_told_and_can_keep_a_read_only_copy(qtbot, typist, sync_window, hub,
                                                                revoked_dialogs) -> None:  # type: ignore[no-untyped-def]
    window = sync_window
    window.store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
    revoke_and_sync(qtbot, typist, window, hub)
    qtbot.waitUntil(lambda: bool(revoked_dialogs["shown"]), timeout=10_000)
    assert revoked_dialogs["shown"][0].startswith(f"Cet appareil a été révoqué par le hub{NBSP}:")
    qtbot.waitUntil(lambda: window.sync_ui.read_only is not None, timeout=5000)
    assert status_texts(window)["state"] == "Appareil révoqué"
    assert window.status_message.text() == MSG_READ_ONLY
    assert not window.sync_ui.sync_action.isEnabled() and window.sync.stopped
    page = window.section("mentor").list_page
    assert page.new_button.isHidden() and page.delete_button.isHidden()
    assert not window.new_action.isEnabled() and not window.save_action.isEnabled()
    window.section("mentor").refresh()
    loaded(qtbot, window.section("mentor").list_page)
    page.table.selectRow(0)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    form = window.section("mentor").form()
    assert form is not None and form.save_button.isHidden() and form.widget("last_name").isReadOnly()
    assert form.findChild(QLabel, "read_only_banner").isVisible()
    qtbot.waitUntil(lambda: window.status_count.text() == "1\u00a0mentor" or window.status_count.text() == "1 mentor",
                    timeout=5000)
    shot(window, "revoked_read_only")
    for timer in (window.sync.debounce_timer, window.sync.periodic_timer, window.sync.probe_timer,
                  window.sync.retry_timer):
        assert not timer.isActive(), "sync has stopped"


def test_a_revoked_device_can_wipe_its_copy_after_two_confirmations(qtbot, typist, sync_window, hub, settings,
                                                                    revoked_dialogs, answer_yes) -> None:  # type: ignore[no-untyped-def]
    window = sync_window
    revoked_dialogs["choice"] = "wipe"
    activate(qtbot, window)
    revoke_and_sync(qtbot, typist, window, hub)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert len(answer_yes) == 2 and answer_yes[1].startswith(f"Dernière confirmation{NBSP}:")
    assert not settings.database_path.exists() and not settings.profile_path.exists()
