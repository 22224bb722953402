"""One sync: handshake, push the outbox in idempotent batches, pull the feed page by page, check.

Safe to cut anywhere: an outbox row is deleted only after the hub answered for it (the hub
remembers op ids, so a resent batch is applied once), and each pulled page is stored with its
cursor in one transaction (a cut pull resumes there and re-downloads at most the page it was on).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from threading import Event
from typing import Any

import orjson

from ..store.remote import RemoteChanges
from .client import MAX_BODY, HubClient
from .errors import AccessDenied, HubError, PayloadTooLarge, SyncCancelled

Progress = Callable[[str, int, int | None], None]
BATCH_OPS = 500
PAGE_ENTRIES = 1000  # the hub's maximum: half the round trips and local commits of 500
_BODY_BUDGET = MAX_BODY - 64 * 1024  # room for the envelope


@dataclass
class SyncReport:
    pushed: int = 0  # operations (outbox writes) the hub acknowledged as applied or in conflict
    pulled: int = 0  # feed entries downloaded
    conflicts_new: int = 0
    refused: int = 0
    flags: int = 0  # new hub flags (overbooked mentors…)
    mismatches: dict[str, Any] = field(default_factory=dict)  # kind -> {"hub": …, "local": …}
    duration_s: float = 0.0
    checked: bool = False  # the per-kind comparison ran (it is skipped while local edits wait)
    kinds_changed: list[str] = field(default_factory=list)  # lists the window should reload

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(cancel: Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise SyncCancelled()


def _batches(rows: list[tuple[int, dict[str, Any]]]) -> list[list[tuple[int, dict[str, Any]]]]:
    """Split by the hub's body limit (long notes add up), keeping write order."""
    batches: list[list[tuple[int, dict[str, Any]]]] = [[]]
    size = 0
    for row in rows:
        length = len(orjson.dumps(row[1])) + 1
        if batches[-1] and size + length > _BODY_BUDGET:
            batches.append([])
            size = 0
        batches[-1].append(row)
        size += length
    return [b for b in batches if b]


def push(remote: RemoteChanges, client: HubClient, report: SyncReport, progress: Progress | None,
         cancel: Event | None, batch_ops: int = BATCH_OPS) -> None:
    total = remote.store.outbox_writes()
    after = 0
    done = 0
    if progress and total:
        progress("push", 0, total)
    while True:
        _check(cancel)
        rows = remote.outbox_batch(after, batch_ops)
        if not rows:
            return
        for batch in _batches(rows):
            _push_batch(remote, client, batch, report)
            done += len(batch)
            if progress:
                progress("push", done, max(total, done))
            _check(cancel)
        after = rows[-1][0]


def _push_batch(remote: RemoteChanges, client: HubClient, batch: list[tuple[int, dict[str, Any]]],
                report: SyncReport) -> None:
    try:
        answer = client.push([op for _, op in batch])
    except PayloadTooLarge:
        if len(batch) == 1:
            raise
        half = len(batch) // 2
        _push_batch(remote, client, batch[:half], report)
        _push_batch(remote, client, batch[half:], report)
        return
    except AccessDenied as exc:
        # Every op of the batch was refused for scope: the hub answers 403 with the per-op results.
        # They are recorded like any refusal, or the outbox would be stuck on them forever.
        if not isinstance(exc.body.get("results"), list):
            raise
        answer = {"results": exc.body["results"], "flags": []}
    flags = [f for f in answer.get("flags") or [] if isinstance(f, dict)]
    stats = remote.acknowledge(batch, [r for r in answer["results"] if isinstance(r, dict)], flags)
    report.pushed += stats.applied + stats.conflicts
    report.refused += stats.refused
    report.flags += stats.flags_new


def pull(remote: RemoteChanges, client: HubClient, report: SyncReport, progress: Progress | None,
         cancel: Event | None, page_entries: int = PAGE_ENTRIES) -> None:
    cursor = int(remote.state().get("cursor") or 0)
    changed: set[str] = set(report.kinds_changed)
    while True:
        _check(cancel)
        page = client.pull(cursor, page_entries)
        entries = [e for e in page["entries"] if isinstance(e, dict)]
        new_cursor = int(page["cursor"])
        if new_cursor < cursor:
            raise HubError("curseur du hub en arrière")
        stats = remote.apply_page(entries, new_cursor)
        report.pulled += len(entries)
        report.conflicts_new += stats.conflicts_new
        report.flags += stats.flags_new
        changed |= stats.kinds_changed
        report.kinds_changed = sorted(changed)
        if progress:
            progress("pull", report.pulled, None)
        if not page.get("more"):
            return
        if new_cursor == cursor:
            raise HubError("le hub annonce d'autres changements sans avancer")
        cursor = new_cursor


def compare(remote: RemoteChanges, client: HubClient, report: SyncReport) -> None:
    """Per-kind counts and digests of this device's scope, against the hub's (PROTOCOL.md, summary)."""
    if remote.store.outbox_writes():
        return  # local edits made during the sync: the two sides differ by design until the next one
    hub = client.summary()
    # Local data changes only by writes (pushed next sync) and pulls: when neither happened since the
    # last check, its summary is the one stored then (reading every record costs on a big profile).
    moved = report.pushed or report.refused or report.pulled
    cached = None if moved else remote.state().get("local_summary")
    local = orjson.loads(cached) if cached else remote.summary()
    if not cached:
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


def sync_once(remote: RemoteChanges, client: HubClient, progress: Progress | None = None,
              cancel: Event | None = None, *, batch_ops: int = BATCH_OPS, page_entries: int = PAGE_ENTRIES,
              check: bool = True) -> SyncReport:
    """Handshake, push, pull, check. Raises a SyncError subclass; the outbox is kept on every error."""
    started = time.monotonic()
    report = SyncReport()
    _check(cancel)
    if progress:
        progress("connect", 0, None)
    hello = client.negotiate()
    remote.set_state(hub_schema=hello.get("schema"), protocol=client.protocol)
    push(remote, client, report, progress, cancel, batch_ops)
    pull(remote, client, report, progress, cancel, page_entries)
    if check:
        _check(cancel)
        if progress:
            progress("check", 0, None)
        compare(remote, client, report)
    report.duration_s = round(time.monotonic() - started, 3)
    return report
