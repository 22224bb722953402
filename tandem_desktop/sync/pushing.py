"""Push: the outbox in batches cut by count and by size, where no single write can block the others.

An outbox row leaves only once the hub answered for it (the hub remembers op ids, so a batch sent
twice is applied once). A write the hub cannot take alone (too large) is set aside in the conflict
list; a write it refuses for a reason the device cannot fix stays for the next sync, and holds back
the later writes of the same record so that none overtakes it (PROTOCOL.md, "Refusals").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Event
from typing import TYPE_CHECKING, Any

import orjson

from .client import MAX_BODY, HubClient
from .errors import AccessDenied, HubError, PayloadTooLarge, SyncCancelled

if TYPE_CHECKING:
    from ..store.remote import RemoteChanges
    from .engine import SyncReport

Progress = Callable[[str, int, int | None], None]
Row = tuple[int, dict[str, Any]]
BATCH_OPS = 500
BODY_BUDGET = MAX_BODY - 64 * 1024  # room for the envelope
HUB_FAILURES = 2  # single writes failing in a row on a hub error: the hub itself is down, stop


@dataclass
class _Push:
    remote: RemoteChanges
    client: HubClient
    report: SyncReport
    blocked: set[str] = field(default_factory=set)  # records with a write left in the outbox this sync
    failures: int = 0
    last_error: HubError | None = None
    kept_on_error: bool = False  # a write stayed because the hub failed on it: the push failed


def _check(cancel: Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise SyncCancelled()


def _size(op: dict[str, Any]) -> int:
    return len(orjson.dumps(op)) + 1


def batches(rows: list[Row], budget: int = BODY_BUDGET) -> list[list[Row]]:
    """Split by the hub's body limit (long notes add up), keeping write order. A row larger than
    the budget by itself comes alone: the caller sets it aside without sending it."""
    result: list[list[Row]] = [[]]
    size = 0
    for row in rows:
        length = _size(row[1])
        if result[-1] and (size + length > budget or length > budget):
            result.append([])
            size = 0
        result[-1].append(row)
        size += length
    return [b for b in result if b]


def push(remote: RemoteChanges, client: HubClient, report: SyncReport, progress: Progress | None,
         cancel: Event | None, batch_ops: int = BATCH_OPS) -> None:
    """Every pending write once, in write order. Raises when the hub cannot be pushed to at all, and
    at the end when it failed (5xx) on some writes while taking the others."""
    remote.restamp_outbox()
    state = _Push(remote, client, report)
    total = remote.store.outbox_writes()
    after = done = 0
    if progress and total:
        progress("push", 0, total)
    while True:
        _check(cancel)
        rows = remote.outbox_batch(after, batch_ops)
        if not rows:
            if state.kept_on_error and state.last_error is not None:
                raise state.last_error
            return
        after = rows[-1][0]
        for batch in batches(rows):
            _send(state, batch)
            done += len(batch)
            if progress:
                progress("push", done, max(total, done))
            _check(cancel)


def _send(state: _Push, batch: list[Row]) -> None:
    batch = [row for row in batch if row[1]["record_id"] not in state.blocked]
    if not batch:
        return
    if len(batch) == 1 and _size(batch[0][1]) > BODY_BUDGET:
        _set_aside(state, batch[0])
        return
    try:
        answer = state.client.push([op for _, op in batch])
    except PayloadTooLarge:
        if len(batch) == 1:
            _set_aside(state, batch[0])
            return
        _split(state, batch)
        return
    except HubError as exc:  # 5xx or an unreadable answer: find the write that causes it, if one does
        state.last_error = exc
        if len(batch) > 1:
            _split(state, batch)
            return
        state.failures += 1
        if state.failures >= HUB_FAILURES:
            raise
        _keep(state, batch[0])
        return
    except AccessDenied as exc:
        # Every op of the batch was refused, one at least for scope: the hub answers 403 with the
        # per-op results. They are settled like any refusal, or the outbox would be stuck on them.
        if not isinstance(exc.body.get("results"), list):
            raise
        answer = {"results": exc.body["results"], "flags": []}
    state.failures = 0
    flags = [f for f in answer.get("flags") or [] if isinstance(f, dict)]
    stats = state.remote.acknowledge(batch, [r for r in answer["results"] if isinstance(r, dict)], flags)
    report = state.report
    report.pushed += stats.applied + stats.conflicts
    report.refused += stats.refused
    report.kept += stats.kept
    if stats.kept_reason:
        report.kept_reason = stats.kept_reason
    report.flags += stats.flags_new
    state.blocked |= stats.kept_records
    answered = {r.get("op_id") for r in answer["results"] if isinstance(r, dict)}
    state.blocked |= {op["record_id"] for _, op in batch if op["op_id"] not in answered}


def _split(state: _Push, batch: list[Row]) -> None:
    half = len(batch) // 2
    _send(state, batch[:half])
    _send(state, batch[half:])


def _set_aside(state: _Push, row: Row) -> None:
    state.remote.set_aside_too_large(*row)
    state.report.set_aside += 1


def _keep(state: _Push, row: Row) -> None:
    """The hub failed on this write alone: it stays for the next sync, and so do its record's later ones."""
    state.blocked.add(row[1]["record_id"])
    state.kept_on_error = True
    state.report.kept += 1
    if state.last_error is not None:
        state.report.kept_reason = str(state.last_error)
