"""The Qt binding must not corrupt Python's own objects: PySide6 6.12.0 dropped a reference to None on
every Qt call returning a null pointer, and a working day of such calls aborted the process."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel, QWidget


def test_null_returns_keep_none_alive(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(200):
        assert widget.findChild(QLabel, "absent") is None
    assert sys.getrefcount(None) - before >= -5
