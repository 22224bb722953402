"""Fixtures for driving the real main window on a temporary encrypted profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.gui.tasks import TaskRunner


@pytest.fixture
def runner(qapp: QApplication) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


@pytest.fixture
def window(qtbot, store, runner: TaskRunner) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The real window, shown and active (shortcuts only fire in the active window)."""
    main = MainWindow(store, runner)

    def drop_open_forms(window: MainWindow) -> None:
        # pytest-qt closes the window before this fixture's teardown runs: after a failed test a
        # form may still hold changes, and its « drop changes? » box would wait for an answer forever.
        for section in window.sections.values():
            section.close_overlay(ask=False)

    qtbot.addWidget(main, before_close_func=drop_open_forms)
    main.show()
    qtbot.waitExposed(main)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main, timeout=2000)
    yield main
    for section in main.sections.values():
        section.close_overlay(ask=False)
    main.close()
    runner.wait()


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Confirmation boxes (the counsellor's « Oui ») are the outside world here: record and accept."""
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def warning(parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    return shown


def type_text(qtbot, widget: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type like a keyboard would. QTest only knows ASCII keys (it aborts on « é »), so accented
    letters are sent as key events carrying their text, which is what a French keyboard produces."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


@pytest.fixture
def typist(qtbot):  # type: ignore[no-untyped-def]
    return lambda widget, text: type_text(qtbot, widget, text)

