"""The window remembers its size, position, section and column widths, per profile (0600 file)."""

from __future__ import annotations

import json
import stat

import pytest
from PySide6.QtCore import QSize

from tandem_desktop.gui import window_state
from tandem_desktop.gui.main_window import MainWindow

pytestmark = pytest.mark.gui


def open_window(qtbot, store, runner) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(store, runner)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_size_position_section_and_columns_come_back(qtbot, store, runner, settings) -> None:  # type: ignore[no-untyped-def]
    first = open_window(qtbot, store, runner)
    assert first.size() == QSize(1180, 740), "defaults the first time"
    first.resize(1300, 650)
    first.move(40, 30)
    size = first.size()
    assert size == QSize(1300, 650)
    first.show_section("tandem")
    mentee_table = first.section("mentee").list_page.table
    mentee_table.setColumnWidth(0, 333)
    mentee_table.setColumnWidth(2, 77)
    where = first.geometry().topLeft()
    first.close()

    path = settings.data_dir / window_state.STATE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["page"] == 2 and saved["columns"]["mentee"][:3][0] == 333
    assert "Dupont" not in path.read_text(encoding="utf-8")

    second = open_window(qtbot, store, runner)
    assert second.size() == size
    assert second.geometry().topLeft() == where
    assert second.current_section() is second.section("tandem")
    table = second.section("mentee").list_page.table
    assert (table.columnWidth(0), table.columnWidth(2)) == (333, 77)
    second.grab().save("/tmp/shots/window_state.png")
    second.close()


def test_a_damaged_state_file_is_ignored(qtbot, store, runner, settings) -> None:  # type: ignore[no-untyped-def]
    path = settings.data_dir / window_state.STATE_FILE
    for content in ("{pas du json", json.dumps({"version": 1, "geometry": {"x": "a", "width": 10}, "page": 99,
                                                 "columns": {"mentee": [5, "x", 10**9]}})):
        path.write_text(content, encoding="utf-8")
        window = open_window(qtbot, store, runner)
        assert window.size() == QSize(1180, 740)
        assert window.current_section() is window.section("mentor")
        assert window.section("mentee").list_page.table.columnWidth(0) == 150
        window.close()


def test_a_window_left_on_an_unplugged_screen_comes_back_onto_the_screen(qtbot, store, runner, settings) -> None:  # type: ignore[no-untyped-def]
    path = settings.data_dir / window_state.STATE_FILE
    path.write_text(json.dumps({"version": 1, "geometry": {"x": 5000, "y": 4000, "width": 1200, "height": 700,
                                                           "maximized": False}}), encoding="utf-8")
    window = open_window(qtbot, store, runner)
    assert window.screen().availableGeometry().contains(window.geometry().topLeft())
    assert window.size() == QSize(1200, 700)
    window.close()
