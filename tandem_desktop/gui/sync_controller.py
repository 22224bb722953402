"""When to sync, and what the window shows about it.

Sync starts by itself when the hub becomes reachable (Qt's network information where a backend
exists, plus a light probe while offline), a few seconds after local changes, periodically while
online, and on demand. Failures are retried with exponential backoff (capped, reset by a success).
A sync runs on the network lane, one at a time; each of its database steps (a pulled page stored,
a pushed batch acknowledged) is handed to the database lane, so a list count or a save slips in
between two pages. Each stored page is told at once (`data_pulled`), and progress comes back to
the GUI thread by a queued signal, so the window never freezes. Local reads (status, flags) run on
the database lane, probes on the network lane.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QNetworkInformation

from ..services.sync import PushFailed, SyncReport, SyncStatus
from .display import NBSP
from .sync_service import Failure, SyncService, classify, failure_message
from .sync_texts import failure_label
from .tasks import Lane, TaskRunner

log = logging.getLogger(__name__)

DEBOUNCE_MS = 5_000
PERIODIC_MS = 5 * 60_000
PROBE_MS = 30_000
BACKOFF_BASE_MS = 5_000
BACKOFF_MAX_MS = 10 * 60_000
PROBE_TIMEOUT_S = 2.0
USER_REASONS = ("manual", "reverse", "enrolled")  # syncs the counsellor asked for: their outcome is told
MSG_NOT_ENROLLED = f"Cet appareil n’est pas connecté à un hub{NBSP}: Fichier › Connexion au hub…"


class _ProgressRelay(QObject):
    """Lives in the GUI thread; `moved` is emitted from the worker and delivered queued."""

    moved = Signal(str, int, object)
    pulled = Signal(object)  # kind -> ids (None: too many) of the records one stored page changed


class SyncController(QObject):
    """Decides when to sync and keeps the state the status bar shows (read its attributes on `changed`)."""

    changed = Signal()  # anything the status bar shows
    progress = Signal(str, int, object)  # phase, done, total (None when unknown)
    synced = Signal(object)  # the SyncReport
    failed = Signal(str)  # a French message
    revoked = Signal()
    update_required = Signal(str)
    enrolled = Signal(object)  # the Enrollment
    conflicts_changed = Signal()
    flags_changed = Signal(list)  # open flags, each with a `mentor_name`
    data_pulled = Signal(object)  # a stored page (kind -> ids or None) or a sync (kinds) wrote records; empty: any

    def __init__(self, profile: Any, runner: TaskRunner, service: SyncService, parent: QObject | None = None, *,
                 debounce_ms: int = DEBOUNCE_MS, periodic_ms: int = PERIODIC_MS, probe_ms: int = PROBE_MS,
                 backoff_base_ms: int = BACKOFF_BASE_MS, backoff_max_ms: int = BACKOFF_MAX_MS,
                 probe_timeout_s: float = PROBE_TIMEOUT_S, network_information: bool = True):
        super().__init__(parent)
        self.profile = profile
        self.runner = runner
        self.service = service
        self.backoff_base_ms = backoff_base_ms
        self.backoff_max_ms = backoff_max_ms
        self.probe_timeout_s = probe_timeout_s
        self.status: SyncStatus | None = None
        self.online: bool | None = None  # None until the first probe or sync answers
        self.syncing = False
        self.phase: tuple[str, int, int | None] | None = None
        self.last_report: SyncReport | None = None
        self.last_error = ""
        self.failing = ""  # the last sync failed, not for the network: its short label (« Trousseau verrouillé »)
        self.flags: list[dict[str, Any]] = []
        self.failures = 0
        self.next_retry_ms: int | None = None
        self.stopped = False  # closing, revoked, or too old for the hub
        self.fatal: Failure | None = None
        self.reason = ""  # why the running (or last) sync started: manual, local, periodic, retry…
        self._again: str | None = None  # a sync asked for while one runs: its reason
        self._probing = False
        self._cancel = threading.Event()
        self._relay = _ProgressRelay(self)
        self._relay.moved.connect(self._moved)
        self._relay.pulled.connect(self._page_stored)
        self._told: set[str] = set()  # kinds already told page by page during the running sync
        self.debounce_timer = self._timer(debounce_ms, True, lambda: self.sync_now(reason="local"))
        self.periodic_timer = self._timer(periodic_ms, False, lambda: self.sync_now(reason="periodic"))
        self.probe_timer = self._timer(probe_ms, False, self.probe_now)
        self.retry_timer = self._timer(backoff_base_ms, True, lambda: self.sync_now(reason="retry"))
        self.network: QNetworkInformation | None = self._watch_network() if network_information else None

    def _timer(self, interval: int, single: bool, slot: Any) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.setInterval(interval)
        timer.timeout.connect(slot)
        return timer

    def _watch_network(self) -> QNetworkInformation | None:
        """The OS's own idea of connectivity, where Qt has a backend for it (not on every platform)."""
        try:
            if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
                return None
        except Exception:  # a missing plugin must never stop the window
            log.info("no network information backend")
            return None
        info = QNetworkInformation.instance()
        if info is not None:
            info.reachabilityChanged.connect(self._reachability)
        return info

    # -- state --------------------------------------------------------------------------------

    @property
    def is_enrolled(self) -> bool:
        return self.status is not None and self.status.enrolled

    @property
    def hub_url(self) -> str:
        return (self.status.hub_url or "") if self.status is not None else ""

    @property
    def can_sync(self) -> bool:
        return self.is_enrolled and not self.stopped

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Read the local state, then look for the hub (which syncs if it answers)."""
        self.refresh_status(then=self._started)

    def _started(self) -> None:
        if self.can_sync:
            self.probe_now()

    def stop(self) -> None:
        """Closing: no more timers, and a running sync is asked to stop at its next safe point."""
        self.stopped = True
        self._cancel.set()
        for timer in (self.debounce_timer, self.periodic_timer, self.probe_timer, self.retry_timer):
            timer.stop()

    def refresh_status(self, then: Any = None) -> None:
        """Re-read pending changes, conflicts and flags (local reads, on the worker; the last answer wins)."""
        service, profile = self.service, self.profile
        self.runner.submit(lambda: service.sync_status(profile),
                           on_done=lambda status: self._status_read(status, then),
                           on_error=lambda exc: self._status_failed(exc, then))

    def _status_read(self, status: SyncStatus, then: Any) -> None:
        self.status = status
        if status.revoked and self.fatal is not Failure.REVOKED:
            self._enter_fatal(Failure.REVOKED, "")
        self.changed.emit()
        if status.flags_open or self.flags:
            self.refresh_flags()
        if then is not None:
            then()

    def _status_failed(self, exc: BaseException, then: Any = None) -> None:
        log.warning("sync status unreadable: %r", exc)
        if then is not None:
            then()

    def refresh_flags(self) -> None:
        """Open overbooking flags, with each mentor's name (read on the worker)."""
        service, profile = self.service, self.profile
        store = getattr(profile, "store", None)

        def work() -> list[dict[str, Any]]:
            from .display import ref_label

            return [{**f.as_dict(), "mentor_name": ref_label(store, "mentor", f.mentor_id) if store else "—"}
                    for f in service.list_flags(profile) if not f.resolved]

        self.runner.submit(work, on_done=self._flags_read, on_error=self._status_failed)

    def _flags_read(self, flags: list[dict[str, Any]]) -> None:
        if flags != self.flags:
            self.flags = flags
            self.flags_changed.emit(flags)
            self.changed.emit()

    # -- triggers -----------------------------------------------------------------------------

    def local_changed(self, *_: object) -> None:
        """A local write: show the new pending count now, sync a few seconds after the last change
        (offline, the probe syncs when the hub answers again)."""
        self.refresh_status()
        if self.can_sync and self.online is not False:
            self.debounce_timer.start()

    def sync_now(self, reason: str = "manual") -> bool:
        """Start a sync (or queue one after the running one). False if this device cannot sync."""
        if not self.can_sync:
            if reason == "manual":
                self.failed.emit(MSG_NOT_ENROLLED if not self.is_enrolled else self.last_error)
            return False
        if self.syncing:
            if self._again is None or reason in USER_REASONS:
                self._again = reason
            return True
        self._run(reason)
        return True

    def probe_now(self) -> None:
        """A light « are you there? » to the hub; a hub that answers after being away gets a sync."""
        if self._probing or self.syncing or not self.can_sync:
            return
        self._probing = True
        service, url, timeout = self.service, self.hub_url, self.probe_timeout_s
        self.runner.submit(lambda: bool(service.probe(url, timeout=timeout)),
                           on_done=self._probed, on_error=lambda exc: self._probed(False), lane=Lane.NETWORK)

    def _probed(self, reachable: bool) -> None:
        self._probing = False
        if self.stopped:
            return
        was_online = self.online is True
        self._set_online(reachable)
        if reachable and not was_online and not self.syncing:
            self.sync_now(reason="reachable")

    def _reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        if reachability == QNetworkInformation.Reachability.Disconnected:
            self._set_online(False)
        elif reachability != QNetworkInformation.Reachability.Unknown:
            self.probe_now()

    def _set_online(self, online: bool) -> None:
        self.online = online
        if online:
            self.probe_timer.stop()
            if not self.periodic_timer.isActive():
                self.periodic_timer.start()
        else:
            self.periodic_timer.stop()
            if self.can_sync and not self.probe_timer.isActive():
                self.probe_timer.start()
        self.changed.emit()

    # -- one sync -----------------------------------------------------------------------------

    def _run(self, reason: str) -> None:
        self.debounce_timer.stop()
        self.retry_timer.stop()
        self.syncing = True
        self.reason = reason
        self._again = None
        self.phase = None
        self._cancel = threading.Event()
        self._told = set()
        service, profile, cancel, relay = self.service, self.profile, self._cancel, self._relay
        database = self.runner.database_lane  # pages stored while the next downloads

        def work() -> Any:
            return service.sync_now(profile, progress=relay.moved.emit, cancel=cancel, database=database,
                                    applied=relay.pulled.emit)

        self.runner.submit(work, on_done=self._done, on_error=self._failed, lane=Lane.NETWORK)
        self.changed.emit()

    def _page_stored(self, kinds: dict[str, list[str] | None]) -> None:
        """A pulled page is in the database: the views showing those records refresh now."""
        if self.syncing and kinds:
            self._told |= set(kinds)
            self.data_pulled.emit(kinds)

    def _moved(self, phase: str, done: int, total: object) -> None:
        if self.syncing:
            self.phase = (phase, done, total if isinstance(total, int) else None)
            self.progress.emit(phase, done, total)
            self.changed.emit()

    def _done(self, report: Any) -> None:
        """Still « syncing » until the counts are re-read, so the status bar never shows stale ones."""
        self.last_report = report
        self.last_error = ""
        self.failing = ""
        self.failures = 0
        self.next_retry_ms = None
        self.refresh_status(then=lambda: self._finish(report))

    def _finish(self, report: SyncReport) -> None:
        self.syncing = False
        self.phase = None
        if not self.stopped:
            self._set_online(True)
        self.refresh_flags()
        kinds = list(report.kinds_changed)
        if (kinds and not set(kinds) <= self._told) or (not kinds and report.pulled):
            self.data_pulled.emit(kinds)
        charters = getattr(report, "charters", None) or {}
        if charters.get("received") or charters.get("downloaded_files") or charters.get("uploaded_files"):
            self.data_pulled.emit({"charter": None})  # an open tandem page shows its charter's new state
        if report.conflicts_new:
            self.conflicts_changed.emit()
        self.synced.emit(report)
        self.changed.emit()
        if self._again is not None and self.can_sync:
            self._run(self._again)

    def _failed(self, exc: BaseException) -> None:
        self.syncing = False
        self.phase = None
        pulled = exc.report if isinstance(exc, PushFailed) else None  # the push failed but the pull ran
        if pulled is not None:
            self.last_report = pulled
            if pulled.kinds_changed or pulled.pulled:
                self.data_pulled.emit(list(pulled.kinds_changed))
        kind = classify(exc)
        message = failure_message(exc)
        self.last_error = message
        self.failing = failure_label(exc) if kind is Failure.OTHER else ""
        if kind in (Failure.REVOKED, Failure.UPDATE):
            self._enter_fatal(kind, message)
        elif not self.stopped:
            if kind is Failure.UNREACHABLE:
                self._set_online(False)
            self._schedule_retry()
        self.refresh_status()
        self.failed.emit(message)
        self.changed.emit()
        if self._again is not None and self.can_sync and kind is not Failure.UNREACHABLE:
            self._run(self._again)

    def _schedule_retry(self) -> None:
        delay = min(self.backoff_base_ms * 2 ** self.failures, self.backoff_max_ms)
        self.failures += 1
        self.next_retry_ms = delay
        self.retry_timer.start(delay)

    def _enter_fatal(self, kind: Failure, message: str) -> None:
        """Revoked or too old: sync stops for this session (the outbox is kept either way)."""
        self.stop()
        self.stopped = True
        self.fatal = kind
        if kind is Failure.REVOKED:
            self.revoked.emit()
        else:
            self.update_required.emit(message)
        self.changed.emit()

    # -- other service calls, off the GUI thread ------------------------------------------------

    def enroll(self, hub_url: str, code: str, device_name: str | None, on_done: Any, on_error: Any,
               insecure_http: bool = False) -> None:
        """Enroll this device; afterwards the status is re-read and the first sync starts.
        `insecure_http`: the counsellor allowed a plain http:// hub on another machine."""
        service, profile = self.service, self.profile
        extra = {"insecure_http": True} if insecure_http else {}

        def done(result: dict[str, Any]) -> None:
            self.stopped = False
            self.fatal = None
            self.failing = ""
            self.failures = 0
            self.online = True
            self._cancel = threading.Event()
            on_done(result)
            self.enrolled.emit(result)
            self.refresh_status(then=lambda: self.sync_now(reason="enrolled"))

        self.runner.submit(lambda: service.enroll(profile, hub_url, code, device_name=device_name, **extra),
                           on_done=done, on_error=on_error, lane=Lane.NETWORK)

    def reverse(self, conflict_id: str, on_done: Any, on_error: Any) -> None:
        """Write the lost value back (an ordinary local edit), then sync it."""
        service, profile = self.service, self.profile

        def done(result: Any) -> None:
            on_done(result)
            self.refresh_status()
            self.conflicts_changed.emit()
            self.sync_now(reason="reverse")

        self.runner.submit(lambda: service.reverse_conflict(profile, conflict_id), on_done=done, on_error=on_error)

    def wipe(self, on_done: Any, on_error: Any) -> None:
        self.stop()
        service, profile = self.service, self.profile
        self.runner.submit(lambda: service.wipe_local_copy(profile), on_done=on_done, on_error=on_error)
