"""Waiting for the lanes in window tests (import by name: `from waiting import settle`)."""

from __future__ import annotations

from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.gui.tasks import Lane


def settle(qtbot, window: MainWindow, timeout: int = 10_000) -> None:  # type: ignore[no-untyped-def]
    """Writes run on the database lane: wait until every write (and the reads it started) has
    answered on the GUI thread, as the counsellor would wait for the form to close."""
    qtbot.waitUntil(lambda: window.runner.pending_on(Lane.DATABASE) == 0
                    and not any(s.form() is not None and s.form().saving for s in window.sections.values()),
                    timeout=timeout)


def loaded(qtbot, page, timeout: int = 10_000) -> None:  # type: ignore[no-untyped-def]
    """A list's rows come from the database lane: wait until they (and the count) are in."""
    qtbot.waitUntil(lambda: not page.model.reading and page.runner.pending_on(Lane.DATABASE) == 0,
                    timeout=timeout)
