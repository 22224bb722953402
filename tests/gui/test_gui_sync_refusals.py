"""A write too large for the hub, against a real hub in the real window: the status bar says it was set
aside, « Conflits » keeps it with « Renvoyer au hub », and once the record is shortened it goes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text
from sync_support import NBSP, enroll, hub, new_device, sync_window
from waiting import settle

from tandem_desktop.services import sync as sync_service

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


def test_a_write_set_aside_is_shown_and_sent_again(qtbot, typist, sync_window, hub,
                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, store = sync_window, sync_window.store
    enroll(qtbot, typist, window, hub.url, hub.code())
    sync_and_wait(qtbot, window)
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "notes": "court"})
    # Written straight into the outbox: the domain's own bounds keep the app from making such a write.
    with store.transaction() as conn:
        seq, changes = conn.execute(text("SELECT seq, changes FROM outbox")).one()
        big = {**orjson.loads(changes), "notes": "x" * (5 * 1024 * 1024)}
        conn.execute(text("UPDATE outbox SET changes = :c WHERE seq = :s"), {"c": orjson.dumps(big).decode(), "s": seq})
    store.create("mentor", {"first_name": "Inès", "last_name": "Haddad"})
    report = sync_and_wait(qtbot, window)
    assert (report.set_aside, report.pushed) == (1, 1)
    bar = window.sync_ui.status
    qtbot.waitUntil(lambda: bar.mismatch_label.text().startswith(f"1{NBSP}modification mise de côté"),
                    timeout=5000)  # then « Écart avec le hub : mentors »: the hub does not have it yet
    assert "Conflits" in window.sync_ui.status.mismatch_label.toolTip()

    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    page = window.sync_ui.conflicts
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.rows[0]["type_text"] == "Trop volumineuse pour le hub"
    assert len(page.model.rows[0]["lost_text"]) < 400  # megabytes are never laid out in a cell
    page.table.selectRow(0)
    assert page.reverse_button.text() == "Renvoyer au hub" and page.reverse_button.isEnabled()
    assert "volumineuse" in page.detail.text()
    store.update("mentor", mentor, {"notes": "résumé"})  # the counsellor shortens the record

    reports: list[Any] = []
    window.sync.synced.connect(reports.append)
    qtbot.mouseClick(page.reverse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
    assert reports[-1].set_aside == 0
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    other = new_device(tmp_path, "poste-b")
    try:
        sync_service.enroll(other, hub.url, hub.code(), "Poste B")
        sync_service.sync_now(other)
        assert other.store.get("mentor", mentor)["first_name"] == "Hélène"
        assert other.store.get("mentor", mentor)["notes"] == "résumé"
    finally:
        other.close()
