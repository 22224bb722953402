"""One sync: handshake, push the outbox in idempotent batches, pull the feed page by page, check.

Safe to cut anywhere: an outbox row is deleted only after the hub answered for it (the hub
remembers op ids, so a resent batch is applied once), and pulled pages are stored with their
cursor in one transaction, up to GROUP_PAGES at a time (a cut pull resumes there and downloads
again at most the pages not stored yet).
A failing push never stops the pull: the pull runs, then the push failure is raised (PushFailed).
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import asdict, dataclass, field
from threading import Event
from typing import Any, Protocol

import orjson

from ..store.bulk import gc_paused
from ..store.remote import PageStats, RemoteChanges
from .client import COMPACT, HubClient
from .errors import (
    AuthenticationFailed,
    DeviceRevoked,
    HubError,
    HubUnreachable,
    PushFailed,
    SyncCancelled,
    SyncError,
    UpdateRequired,
)
from .pushing import BATCH_OPS, Progress, push

PAGE_ENTRIES = 1000  # the hub's maximum: half the round trips and local commits of 500
GROUP_PAGES = 8  # pulled pages stored in one transaction (see _Group)
GROUP_WAIT_S = 1.0
OFFSET_SLACK_MS = 2_000  # the saved offset is rewritten only when it moved more than this
CHECK_ATTEMPTS = 3  # summaries asked while the feed moves on, before the check is put off
MSG_NOT_COMPARABLE = ("Comparaison avec le hub remise à la prochaine synchronisation\u00a0: d’autres postes lui "
                      "envoyaient des changements pendant la vérification.")
_FATAL = (DeviceRevoked, AuthenticationFailed, UpdateRequired, SyncCancelled, HubUnreachable)

__all__ = ["BATCH_OPS", "PAGE_ENTRIES", "Progress", "SyncReport", "compare", "pull", "push", "sync_once"]


@dataclass
class SyncReport:
    pushed: int = 0  # operations (outbox writes) the hub acknowledged as applied or in conflict
    pulled: int = 0  # feed entries downloaded
    conflicts_new: int = 0
    refused: int = 0  # refused for their content: in the conflict list, value kept
    kept: int = 0  # refused for a reason this device cannot fix, or a hub failure: sent again next sync
    kept_reason: str = ""  # the hub's last word on one of those
    set_aside: int = 0  # too large for the hub: in the conflict list, value kept
    flags: int = 0  # new hub flags (overbooked mentors…)
    mismatches: dict[str, Any] = field(default_factory=dict)  # kind -> {"hub": …, "local": …}
    duration_s: float = 0.0
    checked: bool = False  # the per-kind comparison ran (it is skipped while local edits wait)
    check_note: str = ""  # why the comparison was put off, when it was
    push_error: str = ""  # the push failed (the pull still ran): what the hub or the network said
    kinds_changed: list[str] = field(default_factory=list)  # lists the window should reload
    charters: dict[str, Any] = field(default_factory=dict)  # the charter transfer (sync/attachments.py, as_dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(cancel: Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise SyncCancelled()


class Pending(Protocol):
    """A pulled page being stored (on the window's database lane): result() waits for its stats."""

    def result(self) -> PageStats: ...


class Stored:
    """A page already stored: its stats at once."""

    def __init__(self, stats: PageStats):
        self.stats = stats

    def result(self) -> PageStats:
        return self.stats


def _store(remote: RemoteChanges, entries: list[dict[str, Any]], cursor: int) -> Pending:
    """Store a page; where the caller can (`apply_page_later`, services/sync.py), without waiting:
    the next page then downloads while this one is written."""
    later = getattr(remote, "apply_page_later", None)
    return later(entries, cursor) if later is not None else Stored(remote.apply_page(entries, cursor))


class _Group:
    """Pulled pages waiting to be stored together: one transaction for up to GROUP_PAGES of them.

    Each commit rewrote every index page its rows had touched: a page's 1,000 records land all
    over the indexes on names and communes, so a first sync of 100,000 mentees wrote 1 GB for a
    300 MB database (653 MB by fours, 468 MB by sixteens). A group is stored once it is full, or
    once its first page has waited GROUP_WAIT_S (a slow hub: the window still fills as it comes)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.pages = 0
        self.since = 0.0

    def add(self, entries: list[dict[str, Any]]) -> None:
        if not self.pages:
            self.since = time.monotonic()
        self.entries += entries
        self.pages += 1

    def due(self) -> bool:
        return self.pages >= GROUP_PAGES or time.monotonic() - self.since >= GROUP_WAIT_S


def pull(remote: RemoteChanges, client: HubClient, report: SyncReport, progress: Progress | None,
         cancel: Event | None, page_entries: int = PAGE_ENTRIES) -> None:
    cursor = int(remote.state().get("cursor") or 0)
    changed: set[str] = set(report.kinds_changed)
    first, deferring = cursor == 0, False
    pending: tuple[Pending, int] | None = None  # the group being stored, and its entry count
    group = _Group()

    def settle() -> None:
        nonlocal pending
        if pending is None:
            return
        stats, count = pending[0].result(), pending[1]
        pending = None
        report.pulled += count
        report.conflicts_new += stats.conflicts_new
        report.flags += stats.flags_new
        changed.update(stats.kinds_changed)
        report.kinds_changed = sorted(changed)
        if progress:
            progress("pull", report.pulled, None)

    try:
        while True:
            _check(cancel)
            page = client.pull(cursor, page_entries)  # while the previous group is stored
            _check(cancel)  # cancelled while it downloaded: not stored (the next sync asks again)
            new_cursor = int(page["cursor"])
            if new_cursor < cursor:
                raise HubError("curseur du hub en arrière")
            more = bool(page.get("more"))
            if first and more and not deferring:  # a long first pull (store/deferred.py)
                remote.defer_indexes()
                deferring = True
            group.add([e for e in page["entries"] if isinstance(e, dict)])
            if group.due() or not more:
                settle()
                _check(cancel)  # cancelled while the previous group was stored: this one is not
                pending = (_store(remote, group.entries, new_cursor), len(group.entries))
                group = _Group()
            if not more:
                settle()
                return
            if new_cursor == cursor:
                raise HubError("le hub annonce d’autres changements sans avancer")
            cursor = new_cursor
    finally:
        if pending is not None:  # a cut download: the group being written still ends (or fails) first
            with contextlib.suppress(Exception):
                pending[0].result()
        if deferring:
            _rebuild(remote, progress)


def _rebuild(remote: RemoteChanges, progress: Progress | None) -> None:
    """The deferred indexes, after the last page or a cut pull. When this fails too (the disk full),
    the pull's own error is the one to tell: the mark stays, and opening the profile builds them."""
    if progress:
        progress("index", 0, None)
    if sys.exc_info()[0] is None:
        remote.rebuild_indexes()
        return
    with contextlib.suppress(Exception):
        remote.rebuild_indexes()


def compare(remote: RemoteChanges, client: HubClient, report: SyncReport, progress: Progress | None = None,
            cancel: Event | None = None) -> None:
    """Per-kind counts and digests of this device's scope, against the hub's (PROTOCOL.md, summary).

    Compared only when both describe the same point of the feed: the hub's summary names the seq it
    was computed at; while other devices push, the rest is pulled first and the summary asked
    again, a few times, then the check is put off (never reported as a mismatch)."""
    if remote.store.outbox_writes():
        return  # local edits made during the sync: the two sides differ by design until the next one
    for _ in range(CHECK_ATTEMPTS):
        hub = client.summary()
        seq = hub.get("seq")
        cursor = int(remote.state().get("cursor") or 0)
        if not isinstance(seq, int) or seq == cursor:  # a hub before protocol 4 does not say
            _compare_now(remote, client, report, hub)
            return
        if seq < cursor:
            break
        pull(remote, client, report, progress, cancel)
        if remote.store.outbox_writes():
            return
    report.check_note = MSG_NOT_COMPARABLE


def _compare_now(remote: RemoteChanges, client: HubClient, report: SyncReport, hub: dict[str, Any]) -> None:
    if client.protocol >= COMPACT:  # digests of line hashes, kept per record by the open store
        local = remote.summary(hashed=True)
    else:
        # Protocol 4's digest needs every line: kept in the sync state until sync stores something
        # (pulled pages, push answers drop it); local writes are pushed before the check.
        cached = remote.state().get("local_summary")
        local = orjson.loads(cached) if cached else None
        if not isinstance(local, dict) or local.get("hashed"):
            local = remote.summary(hashed=False)
            remote.set_state(local_summary=orjson.dumps(local).decode())
    hub_counts, hub_digests = hub.get("counts") or {}, hub.get("digests") or {}
    for kind in sorted(set(hub_counts) | set(local["counts"])):
        if kind not in local["counts"]:
            continue  # a kind this release does not know
        mine = {"count": local["counts"][kind], "digest": local["digests"][kind]}
        theirs = {"count": hub_counts.get(kind, 0), "digest": hub_digests.get(kind)}
        if mine["count"] != theirs["count"] or (theirs["digest"] and mine["digest"] != theirs["digest"]):
            report.mismatches[kind] = {"hub": theirs, "local": mine}
    report.checked = True


def follow_hub_clock(remote: RemoteChanges, hello: dict[str, Any], sent_ms: int, received_ms: int) -> None:
    """The device's clock follows the hub's (hello's `time_ms`, protocol 4): a laptop whose clock is
    years off still stamps inside the hub's bound. Kept in the profile for the next start."""
    hub_ms = hello.get("time_ms")
    if not isinstance(hub_ms, int) or isinstance(hub_ms, bool):
        return
    offset = hub_ms - (sent_ms + received_ms) // 2
    remote.store.clock.set_offset(offset)
    saved = remote.state().get("clock_offset_ms") or ""
    if not saved.lstrip("-").isdigit() or abs(int(saved) - offset) > OFFSET_SLACK_MS:
        remote.set_state(clock_offset_ms=offset)  # written only when it moved: a sync with nothing to do stays cheap


def sync_once(remote: RemoteChanges, client: HubClient, progress: Progress | None = None,
              cancel: Event | None = None, *, batch_ops: int = BATCH_OPS, page_entries: int = PAGE_ENTRIES,
              check: bool = True) -> SyncReport:
    """Handshake, push, pull, check. Raises a SyncError subclass; the outbox is kept on every error.
    A push that fails for another reason than a fatal one (revoked, unknown token, too old, hub
    unreachable, cancelled) does not stop the pull: PushFailed is raised after it, with the report."""
    with gc_paused():  # a first sync decodes and stores 100,000 records: small objects, no cycles
        return _sync_once(remote, client, progress, cancel, batch_ops=batch_ops, page_entries=page_entries,
                          check=check)


def _sync_once(remote: RemoteChanges, client: HubClient, progress: Progress | None, cancel: Event | None, *,
               batch_ops: int, page_entries: int, check: bool) -> SyncReport:
    started = time.monotonic()
    report = SyncReport()
    _check(cancel)
    if progress:
        progress("connect", 0, None)
    computer = remote.store.clock.computer_ms
    sent = computer()
    hello = client.negotiate()
    follow_hub_clock(remote, hello, sent, computer())
    remote.set_state(hub_schema=hello.get("schema"), protocol=client.protocol)
    failure: SyncError | None = None
    try:
        push(remote, client, report, progress, cancel, batch_ops)
    except _FATAL:
        raise
    except SyncError as exc:
        failure = exc
        report.push_error = str(exc)
    pull(remote, client, report, progress, cancel, page_entries)
    if check and failure is None:
        _check(cancel)
        if progress:
            progress("check", 0, None)
        compare(remote, client, report, progress, cancel)
    report.duration_s = round(time.monotonic() - started, 3)
    if failure is not None:
        raise PushFailed(failure, report)
    return report
