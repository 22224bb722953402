"""The one module that starts threads: a task runner with a single database worker.

Why one worker: SQLite serialises writers anyway, and keeping database work on one thread means
two background jobs never race each other; results come back to the GUI thread by signal, as plain
Python values (never live connections or ORM objects).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from the worker are queued to it."""

    finished = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, ticket: int, work: Callable[[], Any], relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._ticket = ticket
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except BaseException as exc:  # delivered to the caller, who decides what to show
            self._relay.failed.emit(self._ticket, exc)
        else:
            self._relay.finished.emit(self._ticket, result)


class TaskRunner(QObject):
    """Runs callables off the GUI thread, one at a time, and calls back on the GUI thread."""

    error = Signal(object)  # failures nobody asked to handle

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._tickets = itertools.count(1)
        self._pending: dict[int, tuple[Done | None, Failed | None]] = {}

    def submit(self, work: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None) -> int:
        """Queue `work`; its result goes to `on_done` (or its exception to `on_error`) in the GUI thread."""
        ticket = next(self._tickets)
        self._pending[ticket] = (on_done, on_error)
        self._pool.start(_Job(ticket, work, self._relay))
        return ticket

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, msecs: int = -1) -> bool:
        """Block until queued work has run (used at shutdown and in tests); callbacks still need the event loop."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Drop work not started yet, let the running job end, forget all callbacks."""
        self._pool.clear()
        self._pool.waitForDone()
        self._pending.clear()

    @Slot(int, object)
    def _on_finished(self, ticket: int, result: object) -> None:
        on_done, _ = self._pending.pop(ticket, (None, None))
        if on_done is not None:
            on_done(result)

    @Slot(int, object)
    def _on_failed(self, ticket: int, exc: object) -> None:
        entry = self._pending.pop(ticket, None)
        if entry is None:
            return
        _, on_error = entry
        if on_error is not None:
            on_error(exc)  # type: ignore[arg-type]
        else:
            log.error("background task failed: %r", exc)
            self.error.emit(exc)
