"""The sync's database steps on the caller's lane (the window's database lane), and what the window
hears of each pulled page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..store import pulled
from ..sync.engine import Stored

PAGE_IDS = 100  # more records of one kind in a pulled page: told as « any » (lists read their rows again)
Applied = Callable[[dict[str, list[str] | None]], None]


def page_records(entries: list[dict[str, Any]], kinds: Iterable[str]) -> dict[str, list[str] | None]:
    """Kind -> ids of the records a pulled page wrote (None past PAGE_IDS), for the kinds it changed."""
    ids: dict[str, set[str]] = {kind: set() for kind in kinds}
    for entry in entries:
        written = ids.get(entry.get("kind") or "")
        if written is not None and isinstance(entry.get("record_id"), str):
            written.add(entry["record_id"])
    return {kind: sorted(found) if len(found) <= PAGE_IDS else None for kind, found in ids.items()}


class DatabaseSteps:
    """The sync's local side with every database step handed to `run` (the window's database
    lane): HTTP waits then never hold the database, and the steps stay serialised with other writes.
    `applied` hears the records each pulled page changed (kind -> ids), as soon as it is stored.
    When `run` also has `later` (step -> a future: gui/tasks.py's database lane), a pulled page is
    stored without waiting, and the next one downloads meanwhile (sync/engine.py, pull)."""

    def __init__(self, remote: Any, run: Callable[[Callable[[], Any]], Any], applied: Applied | None):
        self.store = remote.store
        self._remote, self._run, self._applied = remote, run, applied
        self._later = getattr(run, "later", None)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._remote, name)
        if not callable(method):
            return method

        def step(*args: Any, **kwargs: Any) -> Any:
            return self._told(name, args, kwargs, self._run(lambda: method(*args, **kwargs)))

        return step

    def apply_page_later(self, entries: list[dict[str, Any]], cursor: int) -> Any:
        if self._later is None:  # a lane that only waits: stored now, before the next download
            return Stored(self.apply_page(entries, cursor))
        page = pulled.read_page(entries)  # here, on the sync's thread, while the lane writes the last one
        future = self._later(lambda: self._remote.apply_read_page(page, cursor))
        return _StoredLater(future, lambda stats: self._told("apply_page", (entries,), {}, stats))

    def _told(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> Any:
        if name == "apply_page" and self._applied is not None and result.kinds_changed:
            entries = args[0] if args else kwargs.get("entries", [])
            self._applied(page_records(entries, sorted(result.kinds_changed)))
        return result


class _StoredLater:
    """A page handed to the database lane: result() waits for it, then tells the window once."""

    def __init__(self, future: Any, told: Callable[[Any], Any]):
        self._future, self._told, self._done = future, told, False

    def result(self) -> Any:
        stats = self._future.result()
        if not self._done:
            self._done = True
            self._told(stats)
        return stats
