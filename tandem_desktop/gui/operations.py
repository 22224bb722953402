"""Writes from the window: run on the database lane, then tell every view what changed.

    ops.write(lambda: records.update(store, "mentee", id, values), parent=self)
       .success(self._saved).failure(self._refused).run()

Like Anki's `CollectionOp(parent, op).success(cb)`: the write never runs on the GUI thread (a
pulled page being applied can hold the database for a moment, and the window must keep
repainting); when it has run, the broadcaster tells the views which kinds and records changed,
then `success` gets the result. A failure goes to `failure`, or to the runner's error handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject

from .changes import LOCAL, ChangeBroadcaster, as_kinds
from .tasks import Lane, TaskRunner

R = TypeVar("R")
ChangesOf = Callable[[Any], Any]


class Operations:
    """What views are given to write and read off the GUI thread (built once per window)."""

    def __init__(self, runner: TaskRunner, broadcaster: ChangeBroadcaster):
        self.runner = runner
        self.broadcaster = broadcaster

    def write(self, op: Callable[[], R], *, parent: QObject | None = None,
              changes: ChangesOf | Any = None) -> WriteOp[R]:
        """A write; `changes` is what it changed (kind → ids, kinds, or a function of the result).
        Without it, the result itself is read as the changes (the records door returns them)."""
        return WriteOp(self, op, parent, changes)

    def read(self, op: Callable[[], R], on_done: Callable[[R], None], on_error: Callable[[BaseException], None]
             | None = None, *, lane: Lane = Lane.DATABASE) -> int:
        """A read that may take more than a few milliseconds (counts, big lists)."""
        return self.runner.submit(op, on_done, on_error, lane=lane)


class WriteOp(Generic[R]):
    def __init__(self, ops: Operations, op: Callable[[], R], parent: QObject | None, changes: Any):
        self._ops = ops
        self._op = op
        self._parent = parent
        self._changes = changes
        self._success: Callable[[R], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, callback: Callable[[R], None]) -> WriteOp[R]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> WriteOp[R]:
        self._failure = callback
        return self

    def run(self) -> int:
        """Queue the write on the database lane; returns the runner's ticket."""
        return self._ops.runner.submit(self._op, on_done=self._done, on_error=self._failed)

    def _alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    def _done(self, result: R) -> None:
        changes = self._changes(result) if callable(self._changes) else (
            self._changes if self._changes is not None else result)
        self._ops.broadcaster.tell(as_kinds(changes), source=LOCAL, origin=self._parent)
        if self._success is not None and self._alive():
            self._success(result)

    def _failed(self, exc: BaseException) -> None:
        if self._failure is not None and self._alive():
            self._failure(exc)
        else:
            self._ops.runner.error.emit(exc)
