"""What changed, told to every view: one broadcaster per window, passed in (no global).

Every write the window makes (through `operations.WriteOp`) and every page a sync applies is
broadcast as a `Changed`: kind → the ids written (None: any record of that kind). Views refresh
what the change touches instead of reloading every section (Anki's `OpChanges`, Electrum's
`qt_event_listener`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

LOCAL = "local"  # a write made on this device: it waits in the outbox
SYNC = "sync"  # a page pulled from the hub


@dataclass(frozen=True)
class Changed:
    kinds: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    source: str = LOCAL
    origin: object | None = None  # the view that made the write (it may have refreshed itself)

    def touches(self, *kinds: str) -> bool:
        return any(kind in self.kinds for kind in kinds)

    def ids(self, kind: str) -> frozenset[str] | None:
        """The ids of `kind` written (empty when the kind was not written; None: maybe any)."""
        return self.kinds.get(kind, frozenset())

    def __bool__(self) -> bool:
        return bool(self.kinds)


def as_kinds(value: Any) -> dict[str, frozenset[str] | None]:
    """Kind → ids from what a write returns: the records door's `Changes` (its `written` mapping),
    a mapping, or an iterable of kind names (any record)."""
    for name in ("written",):
        inner = getattr(value, name, None)
        if isinstance(inner, Mapping):
            value = inner
            break
    if isinstance(value, Mapping):
        return {str(k): (None if ids is None else frozenset(str(i) for i in ids)) for k, ids in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return {str(kind): None for kind in value}
    return {}


class ChangeBroadcaster(QObject):
    """The one place views learn that records changed; emitted on the GUI thread only."""

    changed = Signal(object)  # a Changed

    def tell(self, kinds: Any, *, source: str = LOCAL, origin: object | None = None) -> Changed:
        change = Changed(as_kinds(kinds), source, origin)
        if change:
            self.changed.emit(change)
        return change
