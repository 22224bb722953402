"""Sync by itself against a real hub: a few moments after local changes (one sync for a burst),
when the hub comes back after being away, and retries with a growing, capped delay."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from sync_support import close_window, enroll, hub, make_controller, open_window, shot, status_texts
from waiting import loaded, settle

pytestmark = pytest.mark.gui
__all__ = ["hub"]  # fixture used by name


def edit_mentor(qtbot, typist, window, record_id: str, employer: str) -> None:  # type: ignore[no-untyped-def]
    """Open the mentor's form, type a new employer, Ctrl+S."""
    window.show_section("mentor")
    section = window.section("mentor")
    section.edit_record(record_id)
    field = section.form().widget("employer")
    field.setFocus()
    field.clear()
    typist(field, employer)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert section.form() is None, "saved"


def test_local_changes_sync_once_after_a_quiet_moment(qtbot, typist, profile, runner, hub) -> None:  # type: ignore[no-untyped-def]
    controller = make_controller(profile, runner, debounce_ms=400)
    window = open_window(qtbot, profile, runner, controller)
    try:
        mentor = profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
        enroll(qtbot, typist, window, hub.url, hub.code())
        window.sections["mentor"].refresh()
        loaded(qtbot, window.sections["mentor"].list_page)
        reports: list[Any] = []
        controller.synced.connect(reports.append)
        for employer in ("CMA CGM", "Airbus", "Orange"):
            edit_mentor(qtbot, typist, window, mentor, employer)
            qtbot.wait(100)  # quicker than the debounce: each save postpones the sync
        assert reports == [] and not controller.syncing, "no sync while the counsellor is still typing"
        assert controller.debounce_timer.isActive()
        qtbot.waitUntil(lambda: len(reports) == 1, timeout=5000)
        assert reports[0].pushed == 3, "the three saves left in one sync"
        assert controller.reason == "local"
        qtbot.waitUntil(lambda: status_texts(window)["pending"] == "Aucune modification en attente", timeout=5000)
        qtbot.wait(600)
        assert len(reports) == 1, "one sync for the burst"
    finally:
        close_window(window, runner)


def test_offline_then_the_hub_comes_back(qtbot, typist, profile, runner, hub) -> None:  # type: ignore[no-untyped-def]
    controller = make_controller(profile, runner, debounce_ms=100, probe_ms=150)
    window = open_window(qtbot, profile, runner, controller)
    try:
        mentor = profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
        enroll(qtbot, typist, window, hub.url, hub.code())
        window.sections["mentor"].refresh()
        loaded(qtbot, window.sections["mentor"].list_page)
        assert status_texts(window)["state"] == "En ligne"

        hub.stop()
        edit_mentor(qtbot, typist, window, mentor, "CMA CGM")  # the debounced sync finds no hub
        qtbot.waitUntil(lambda: status_texts(window)["state"] == "Hors ligne", timeout=10_000)
        assert controller.probe_timer.isActive(), "offline: a light probe looks for the hub"
        edit_mentor(qtbot, typist, window, mentor, "Airbus")
        qtbot.waitUntil(lambda: status_texts(window)["pending"].endswith("modifications en attente"), timeout=5000)
        assert "injoignable" in window.sync_ui.status.state_label.toolTip()
        shot(window, "offline")

        reports: list[Any] = []
        controller.synced.connect(reports.append)
        hub.start()  # a new server on the same port and database
        qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
        assert controller.reason == "reachable"
        assert reports[0].pushed == 2, "both offline edits reached the hub"
        qtbot.waitUntil(lambda: status_texts(window)["pending"] == "Aucune modification en attente", timeout=5000)
        assert status_texts(window)["state"] == "En ligne"
        assert not controller.probe_timer.isActive() and controller.periodic_timer.isActive()
        assert controller.failures == 0 and controller.next_retry_ms is None
    finally:
        close_window(window, runner)


def test_failures_are_retried_with_a_growing_capped_delay(qtbot, typist, profile, runner, hub) -> None:  # type: ignore[no-untyped-def]
    controller = make_controller(profile, runner, backoff_base_ms=50, backoff_max_ms=300, probe_ms=60_000)
    window = open_window(qtbot, profile, runner, controller)
    try:
        enroll(qtbot, typist, window, hub.url, hub.code())
        hub.stop()
        delays: list[int] = []
        controller.failed.connect(lambda message: delays.append(controller.next_retry_ms))
        reasons: list[str] = []
        controller.changed.connect(lambda: reasons.append(controller.reason) if controller.syncing else None)
        assert controller.sync_now()
        qtbot.waitUntil(lambda: len(delays) >= 5, timeout=10_000)
        assert delays[:5] == [50, 100, 200, 300, 300]
        assert set(reasons) == {"manual", "retry"}
        assert window.sync_ui.status.state_text() == "Hors ligne"

        reports: list[Any] = []
        controller.synced.connect(reports.append)
        hub.start()
        qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
        assert controller.failures == 0 and controller.next_retry_ms is None, "a success resets the backoff"
        assert not controller.retry_timer.isActive()
    finally:
        close_window(window, runner)
