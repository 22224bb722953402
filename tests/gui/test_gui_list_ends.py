"""Ctrl+End reaches the real end of a lazily loaded list; the Tandems list opens on live tandems."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from waiting import loaded

from tandem_desktop.gui.table_model import PAGE_SIZE

pytestmark = pytest.mark.gui


@pytest.fixture
def mentees_650(store):  # type: ignore[no-untyped-def]
    store.create_many("mentee", [{"first_name": f"Prénom{i:03d}", "last_name": f"Nom{i:03d}"} for i in range(650)])


def test_ctrl_end_goes_to_the_last_record_not_the_last_loaded(qtbot, mentees_650, window) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    page = window.section("mentee").list_page
    loaded(qtbot, page)
    assert page.model.rowCount() == PAGE_SIZE
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    loaded(qtbot, page)
    assert page.model.rowCount() == 650
    assert page.table.currentIndex().row() == 649
    selected = page.model.record_at(page.table.currentIndex().row())
    assert (selected["first_name"], selected["last_name"]) == ("Prénom649", "Nom649")
    assert page.selected_id() == selected["id"]
    assert page.table.rowViewportPosition(649) < page.table.viewport().height(), "scrolled to it"
    assert page.table.currentIndex().column() == 0 and page.table.horizontalScrollBar().value() == 0
    page.grab().save("/tmp/shots/ctrl_end.png")
    qtbot.keyClick(page.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert page.table.currentIndex().row() == 0


def test_ctrl_end_pressed_while_the_list_loads_goes_to_the_last_record(qtbot, mentees_650, window, runner) -> None:  # type: ignore[no-untyped-def]
    """Opening a big profile, the database lane checks and backs it up first: a Ctrl+End pressed while
    the list's load waited behind that stopped at the 200th row (the table asked canFetchMore, which
    says no while a load is on its way)."""
    window.show_section("mentee")
    page = window.section("mentee").list_page
    loaded(qtbot, page)
    release = threading.Event()
    runner.submit(lambda: release.wait(10))  # the lane busy, as with the opening's check
    page.refresh()
    assert page.model.reading
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    release.set()
    qtbot.waitUntil(lambda: page.model.rowCount() == 650 and page.table.currentIndex().row() == 649, timeout=10_000)
    selected = page.model.record_at(page.table.currentIndex().row())
    assert (selected["first_name"], selected["last_name"]) == ("Prénom649", "Nom649")


def test_tandems_list_opens_on_live_tandems_before_ended_ones(qtbot, store, runner) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.main_window import MainWindow

    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "capacity": 20})
    mentees = store.create_many("mentee", [{"first_name": f"P{i}", "last_name": f"N{i:03d}"} for i in range(30)])
    ended = [{"mentor_id": mentor, "mentee_id": m, "status": "ended", "outcome": "job",
              "proposed_on": f"2024-01-{i + 1:02d}", "ended_on": "2024-12-01"} for i, m in enumerate(mentees[:25])]
    live = [{"mentor_id": mentor, "mentee_id": m, "status": status, "proposed_on": f"2026-0{i + 1}-01"}
            for i, (m, status) in enumerate(zip(mentees[25:], ("proposed", "accepted", "active", "proposed",
                                                             "charter_signed"), strict=True))]
    store.create_many("tandem", ended + live)
    window = MainWindow(store, runner)
    qtbot.addWidget(window)
    window.show()
    window.show_section("tandem")
    loaded(qtbot, window.section("tandem").list_page)
    model = window.section("tandem").list_page.model
    statuses = [model.record_at(r)["status"] for r in range(model.rowCount())]
    assert statuses[:5] == ["proposed", "accepted", "active", "proposed", "charter_signed"]
    assert set(statuses[5:]) == {"ended"}
    window.grab().save("/tmp/shots/tandems_live_first.png")
    window.close()
