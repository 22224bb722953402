"""Which records this process wrote, in commit order: caches that follow the database (the matching
data) ask what changed since their mark instead of reading every record again.

Only one process writes a profile at a time (the profile lock), and every write to a record table,
local or pulled from the hub, goes through `rows.insert` or `rows.update_row`: those note the record
on the transaction's connection, and `Store.transaction` publishes the notes here once the
transaction has committed (a rolled-back one publishes nothing). So after `mark, written =
journal.since(old)`, every record written since `old` is in `written`, and reading it now gives
its committed value.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

TOUCHED = "tandem_touched"  # key of the (kind, id) set on a transaction's connection info
KEEP = 20_000  # records remembered; an older mark gets None (read everything again, cheaper then)


def note(conn: Any, kind: str, record_ids: Iterable[str]) -> None:
    """Called by the row writers: these records of `kind` change in the current transaction."""
    touched = conn.info.get(TOUCHED)
    if touched is not None:
        touched.update((kind, record_id) for record_id in record_ids)


class WriteJournal:
    """Sequence numbers over committed record writes; thread-safe."""

    def __init__(self, keep: int = KEEP):
        self._lock = threading.Lock()
        self._entries: deque[tuple[int, str, str]] = deque(maxlen=keep)
        self._seq = 0

    def mark(self) -> int:
        """The number of the last write published: `since(mark)` later gives what came after it."""
        with self._lock:
            return self._seq

    def publish(self, touched: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            for kind, record_id in touched:
                self._seq += 1
                self._entries.append((self._seq, kind, record_id))

    def since(self, mark: int) -> tuple[int, dict[str, set[str]] | None]:
        """(the current mark, kind -> ids written after `mark`), or None for the ids when the journal
        no longer reaches back that far."""
        with self._lock:
            seq = self._seq
            if mark == seq:
                return seq, {}
            oldest = self._entries[0][0] if self._entries else seq + 1
            if mark < oldest - 1 or mark > seq:
                return seq, None
            written: dict[str, set[str]] = {}
            for entry_seq, kind, record_id in reversed(self._entries):
                if entry_seq <= mark:
                    break
                written.setdefault(kind, set()).add(record_id)
            return seq, written
