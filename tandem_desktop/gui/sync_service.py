"""The sync use cases as the window sees them: the service API, and what its errors mean on screen.

The window only ever calls `tandem_desktop.services.sync` (never `sync/` or `hub/`). The start-up
code imports it and passes the module in (the controller takes anything with the same API), and its
answers are the service's frozen dataclasses: SyncReport, SyncStatus, Enrollment, Conflict, Flag and
Resolution (a reversal's records, as `Changes`, and values).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from threading import Event
from typing import Any, Protocol

from ..domain.errors import DomainError
from ..services.sync import Conflict, Enrollment, Flag, Resolution, SyncReport, SyncStatus
from .display import NBSP

Progress = Callable[[str, int, int | None], None]


class SyncService(Protocol):
    """What `tandem_desktop.services.sync` offers (see its docstrings for the details)."""

    def enroll(self, profile: Any, hub_url: str, code: str, device_name: str | None = None, *,
               insecure_http: bool = False) -> Enrollment: ...

    def needs_insecure_http(self, hub_url: str) -> bool: ...

    def sync_now(self, profile: Any, progress: Progress | None = None, cancel: Event | None = None, *,
                 database: Callable[[Callable[[], Any]], Any] | None = None,
                 applied: Callable[[dict[str, list[str] | None]], None] | None = None) -> SyncReport: ...

    def sync_status(self, profile: Any) -> SyncStatus: ...

    def list_conflicts(self, profile: Any, include_resolved: bool = False) -> list[Conflict]: ...

    def reverse_conflict(self, profile: Any, conflict_id: str) -> Resolution: ...

    def list_flags(self, profile: Any) -> list[Flag]: ...

    def probe(self, hub_url: str, timeout: float = 2.0) -> bool: ...

    def wipe_local_copy(self, profile: Any) -> list[str]: ...


class Failure(Enum):
    """What a failed sync, probe or enrollment means for the counsellor."""

    UNREACHABLE = "unreachable"  # offline or hub down: try again later, nothing lost
    REVOKED = "revoked"  # the hub refuses this device for good
    UPDATE = "update"  # this version is too old for the hub: sync stops, the outbox is kept
    OTHER = "other"


_BY_NAME = {"HubUnreachable": Failure.UNREACHABLE, "DeviceRevoked": Failure.REVOKED,
            "UpdateRequired": Failure.UPDATE}
MSG_UNREACHABLE = f"Hub injoignable{NBSP}: vérifiez la connexion. Vos modifications sont gardées sur ce poste."
MSG_UPDATE = "Une mise à jour de Tandem Desktop est nécessaire pour synchroniser."


def classify(exc: BaseException) -> Failure:
    """By class name, so this works whichever module defines the errors (`tandem_desktop.sync`)."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _BY_NAME:
            return _BY_NAME[cls.__name__]
    if isinstance(exc, ConnectionError | TimeoutError):
        return Failure.UNREACHABLE
    return Failure.OTHER


def failure_message(exc: BaseException, what: str = "Synchronisation impossible") -> str:
    """The service's own French message when it has one; a plain French sentence otherwise."""
    if isinstance(exc, DomainError) and str(exc):
        return str(exc)
    kind = classify(exc)
    if kind is Failure.UNREACHABLE:
        return MSG_UNREACHABLE
    if kind is Failure.UPDATE:
        return MSG_UPDATE
    return f"{what}{NBSP}: {exc or type(exc).__name__}"
