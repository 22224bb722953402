"""The one thread a command starts: a database lane for a sync outside the window.

The window has its lanes (gui/tasks.py, the other module that starts threads). A sync from the
command line, a script or a benchmark gets this one: its database steps run on one worker, so a
pulled page is stored while the next one downloads (sync/engine.py, pull), as in the window. At
100,000 mentees a first sync otherwise waited for the hub, then decoded, then wrote, one after
the other. Qt-free; the lane lives as long as the `with` block and is joined when it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class DatabaseLane:
    """`lane(step)` runs `step` on the worker and waits; `lane.later(step)` does not (a future)."""

    def __init__(self, pool: ThreadPoolExecutor):
        self._pool = pool

    def __call__(self, step: Callable[[], T]) -> T:
        return self._pool.submit(step).result()

    def later(self, step: Callable[[], T]) -> Future[T]:
        return self._pool.submit(step)


@contextmanager
def database_lane() -> Iterator[DatabaseLane]:
    """One worker for the block; steps queued when it ends still run before it returns."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tandem-database")
    try:
        yield DatabaseLane(pool)
    finally:
        pool.shutdown(wait=True)
