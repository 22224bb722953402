"""The one module that starts threads: background lanes, and results back on the GUI thread.

Three lanes, so that one kind of wait never holds another (Anki's taskman: a database worker and a
network pool):
- DATABASE: one worker. Every write, and every read that can take more than a few milliseconds.
  One worker because SQLite serialises writers anyway, and it keeps two of our writes from racing.
- NETWORK: sync HTTP and hub probes. A job here that must touch the database hands that step to the
  database lane with `on_database` and waits for it, so the database lane is free while the hub
  answers and other work (a list count, a save) slips in between two pulled pages.
- CPU: scoring a batch proposal, rendering and sealing a charter. It reads through its own
  connection (WAL readers never wait for the writer), so it never holds the database lane.

Results come back by a queued signal, as plain Python values (never live connections or ORM
objects). A job that loops takes a `threading.Event` and checks it between steps (cancellation).
`TaskRunner(single_worker=True)` is the old one-worker path, kept for the benchmark's baseline.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from enum import Enum
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Lane(Enum):
    DATABASE = "database"
    NETWORK = "network"
    CPU = "cpu"


THREADS = {Lane.DATABASE: 1, Lane.NETWORK: 2, Lane.CPU: 2}
_here = threading.local()  # which lane the current worker thread is running a job for


class DatabaseLane:
    """Steps for the database lane from a worker: `lane(step)` waits, `lane.later(step)` does not."""

    def __init__(self, runner: TaskRunner):
        self._runner = runner

    def __call__(self, step: Callable[[], T]) -> T:
        return self._runner.on_database(step)

    def later(self, step: Callable[[], T]) -> Future[T]:
        return self._runner.on_database_later(step)


class LaneClosed(RuntimeError):
    """The window is closing: a step handed to the database lane will not run."""


def current_lane() -> Lane | None:
    """The lane of the job running on this thread (None on the GUI thread)."""
    return getattr(_here, "lane", None)


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from the workers are queued to it."""

    finished = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, lane: Lane, work: Callable[[], Any], deliver: Callable[[bool, Any], None]):
        super().__init__()
        self.setAutoDelete(True)
        self._lane = lane
        self._work = work
        self._deliver = deliver

    def run(self) -> None:
        _here.lane = self._lane
        try:
            result = self._work()
        except BaseException as exc:  # delivered to the caller, who decides what to show
            self._deliver(False, exc)
        else:
            self._deliver(True, result)
        finally:
            _here.lane = None


class TaskRunner(QObject):
    """Runs callables on a lane, off the GUI thread, and calls back on the GUI thread."""

    error = Signal(object)  # failures nobody asked to handle

    def __init__(self, parent: QObject | None = None, *, single_worker: bool = False):
        super().__init__(parent)
        self.single_worker = single_worker
        self._pools: dict[Lane, QThreadPool] = {}
        for lane in Lane:
            if single_worker and lane is not Lane.DATABASE:
                self._pools[lane] = self._pools[Lane.DATABASE]
                continue
            pool = QThreadPool(self)
            pool.setMaxThreadCount(THREADS[lane])
            self._pools[lane] = pool
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._tickets = itertools.count(1)
        self._pending: dict[int, tuple[Done | None, Failed | None]] = {}
        self._lanes: dict[int, Lane] = {}
        self._waiting: set[Future[Any]] = set()  # database steps other lanes are blocked on
        self._lock = threading.Lock()
        self._closing = False

    def _lane(self, lane: Lane) -> Lane:
        return Lane.DATABASE if self.single_worker else lane

    def submit(self, work: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None, *,
               lane: Lane = Lane.DATABASE) -> int:
        """Queue `work` on `lane`; its result goes to `on_done` (or its exception to `on_error`) in the
        GUI thread. Without `on_error`, a failure is logged and goes to the `error` signal."""
        ticket = next(self._tickets)
        self._pending[ticket] = (on_done, on_error)
        self._lanes[ticket] = lane
        relay = self._relay

        def deliver(ok: bool, value: Any) -> None:
            (relay.finished if ok else relay.failed).emit(ticket, value)

        run_on = self._lane(lane)
        self._pools[run_on].start(_Job(run_on, work, deliver))
        return ticket

    def on_database(self, step: Callable[[], T]) -> T:
        """From a network or CPU job: run `step` on the database lane and wait for its result (or
        exception). On the database lane itself the step runs at once. Never from the GUI thread."""
        if current_lane() is Lane.DATABASE:
            return step()
        return self.on_database_later(step).result()

    def on_database_later(self, step: Callable[[], T]) -> Future[T]:
        """From a network or CPU job: queue `step` on the database lane without waiting; the future
        gives its result (a sync stores a pulled page while it downloads the next). LaneClosed
        when the window is closing: closing waits for these like for on_database's."""
        lane = current_lane()
        if lane is None:
            raise RuntimeError("on_database() is for worker threads: the GUI thread must not wait")
        future: Future[T] = Future()
        if lane is Lane.DATABASE:  # on the lane itself: at once (queueing behind ourselves would deadlock)
            try:
                future.set_result(step())
            except BaseException as exc:
                future.set_exception(exc)
            return future
        with self._lock:
            if self._closing:
                raise LaneClosed()
            self._waiting.add(future)

        def deliver(ok: bool, value: Any) -> None:
            with self._lock:
                self._waiting.discard(future)
            if not future.done():
                (future.set_result if ok else future.set_exception)(value)

        self._pools[Lane.DATABASE].start(_Job(Lane.DATABASE, step, deliver))
        return future

    @property
    def database_lane(self) -> DatabaseLane:
        """`on_database` as a callable that also has `later` (services/sync.py uses both)."""
        return DatabaseLane(self)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def pending_on(self, lane: Lane) -> int:
        """Jobs queued or running on `lane` whose answer has not reached the GUI thread yet."""
        return sum(1 for ticket in self._pending if self._lanes.get(ticket) is lane)

    def _distinct_pools(self) -> list[QThreadPool]:
        return list(dict.fromkeys(self._pools.values()))

    def wait(self, msecs: int = -1) -> bool:
        """Block until queued work has run on every lane (shutdown, tests); callbacks still need the
        event loop."""
        return all(pool.waitForDone(msecs) for pool in self._distinct_pools())

    def shutdown(self) -> None:
        """Drop work not started yet, let running jobs end, forget all callbacks. Network and CPU
        jobs end first: the database lane still serves the steps they wait on."""
        others = [p for p in self._distinct_pools() if p is not self._pools[Lane.DATABASE]]
        for pool in others:
            pool.clear()
        for pool in others:
            pool.waitForDone()
        with self._lock:
            self._closing = True
            waiting = list(self._waiting)
        pool = self._pools[Lane.DATABASE]
        pool.clear()
        for future in waiting:  # a step cleared from the queue: its caller must not wait forever
            if not future.done():
                future.set_exception(LaneClosed())
        pool.waitForDone()
        self._pending.clear()
        self._lanes.clear()

    @Slot(int, object)
    def _on_finished(self, ticket: int, result: object) -> None:
        self._lanes.pop(ticket, None)
        on_done, _ = self._pending.pop(ticket, (None, None))
        if on_done is not None:
            on_done(result)

    @Slot(int, object)
    def _on_failed(self, ticket: int, exc: object) -> None:
        self._lanes.pop(ticket, None)
        entry = self._pending.pop(ticket, None)
        if entry is None:
            return
        _, on_error = entry
        if on_error is not None:
            on_error(exc)  # type: ignore[arg-type]
        else:
            log.error("background task failed: %r", exc)
            self.error.emit(exc)
