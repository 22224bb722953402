"""The window's size, position, section and list column widths, remembered per profile.

Why in the profile folder and not QSettings: each profile (a counsellor's, a demo) keeps its own
layout, nothing lands in the user's global configuration, and the file is written 0600 by the one
private writer like everything else in the folder. It holds no personal data, only numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication

from ..store.files import write_private

if TYPE_CHECKING:
    from .main_window import MainWindow

STATE_FILE = "fenetre.json"
VERSION = 1
MIN_COLUMN, MAX_COLUMN = 30, 2000
MIN_SIZE, MAX_SIZE = 200, 20000


def state_path(profile_dir: Path) -> Path:
    return profile_dir / STATE_FILE


def read_state(path: Path) -> dict[str, Any]:
    """What was saved, or {} (missing, unreadable or damaged: the window opens with its defaults)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == VERSION else {}


def restore(window: MainWindow, path: Path) -> None:
    """Apply the saved layout; every part is checked, a bad one is skipped."""
    state = read_state(path)
    _restore_geometry(window, state.get("geometry"))
    page = state.get("page")
    if isinstance(page, int) and 0 <= page < len(window.pages):
        window.navigation.setCurrentRow(page)
    columns = state.get("columns")
    if isinstance(columns, dict):
        for kind, widths in columns.items():
            section = window.sections.get(kind)
            if section is None or not isinstance(widths, list):
                continue
            table = section.list_page.table
            for column, width in enumerate(widths[: table.model().columnCount()]):
                if isinstance(width, int) and MIN_COLUMN <= width <= MAX_COLUMN:
                    table.setColumnWidth(column, width)


def _geometry(window: MainWindow) -> dict[str, Any]:
    rect = window.normalGeometry() if window.isMaximized() else window.geometry()
    return {"x": rect.x(), "y": rect.y(), "width": rect.width(), "height": rect.height(),
            "maximized": window.isMaximized()}


def _restore_geometry(window: MainWindow, saved: Any) -> None:
    """The saved rectangle, exactly; moved onto the primary screen if no screen shows its top any more
    (a second monitor unplugged since)."""
    if not isinstance(saved, dict):
        return
    x, y, width, height = (saved.get(k) for k in ("x", "y", "width", "height"))
    numbers = (x, y, width, height)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        return
    rect = QRect(x, y, width, height)
    top = QRect(x, y, width, 40)
    if not any(screen.availableGeometry().intersects(top) for screen in QGuiApplication.screens()):
        primary = QGuiApplication.primaryScreen()
        if primary is not None:
            rect.moveTopLeft(primary.availableGeometry().topLeft())
    window.setGeometry(rect)
    if saved.get("maximized") is True:
        window.showMaximized()


def snapshot(window: MainWindow) -> dict[str, Any]:
    columns = {}
    for kind, section in window.sections.items():
        table = section.list_page.table
        columns[kind] = [table.columnWidth(c) for c in range(table.model().columnCount())]
    return {
        "version": VERSION,
        "geometry": _geometry(window),
        "page": window.navigation.currentRow(),
        "columns": columns,
    }


def save(window: MainWindow, path: Path) -> bool:
    """Write the layout (0600); False if the folder is gone or read-only (the layout is only a comfort)."""
    try:
        write_private(path, json.dumps(snapshot(window), indent=1).encode("utf-8"))
    except OSError:
        return False
    return True
