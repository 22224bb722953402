"""Matching at 100,000 mentees (issue 11, point 3): the figures of one profile, for bench_matching.py
and bench_scale.py (`measure_scale(store)`), and the dense path of before as a baseline.

Targets at 1,000 mentors × 100,000 mentees: propose_100k_s < 10, propose_100k_peak_mb < 1,000,
matching_update_after_write_ms < 50.

- `<prefix>_s`: a batch proposal over the whole waiting list, end to end from the database with a
  fresh MatchingService (reading the data, scoring, solving, explaining); `_load_s` the data alone
  (another fresh service), `_cached_s` the same batch with the data kept (the app's second click);
- `<prefix>_peak_mb`: the most memory the fresh run held at once, traced by tracemalloc (Python
  objects and numpy arrays; SQLite's own page cache is not in it) in a run of its own, so the timing
  runs are not slowed by the tracing;
- `matching_update_after_write_ms`: after a counsellor's write (a mentee's needs, a decline, a tandem
  proposed then taken back, a mentor's places), the median time the next `data()` takes to follow it
  (`_max_ms` the longest; `matching_update_rebuilds` how many of them read everything again: 0);
  `suggest_after_write_ms` the same followed by the suggestions for one mentee, the next thing the
  counsellor sees. The writes are undone afterwards;
- `matching_data_tracked_objects`: objects the cycle collector tracks that the kept data adds.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from tandem_desktop.matching.assign import assign
from tandem_desktop.matching.score import scan, score_block
from tandem_desktop.services.matching import MatchingService


def _traced_mb(run: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _sizes(service: MatchingService) -> dict[str, Any]:
    data = service.data()
    return {"scale_mentors": len(data.mentors.ids), "scale_waiting": int(data.waiting.sum()),
            "scale_mentees": service.store.count("mentee"),
            "scale_places": int(data.remaining[data.active].sum())}


def measure_scale(store: Any, *, prefix: str = "propose_100k", writes: int = 12) -> dict[str, Any]:
    """The figures of the module docstring on `store` (any profile: demo, or pulled from a hub)."""
    started = time.perf_counter()
    service = MatchingService(store)
    proposal = service.propose()
    total_s = time.perf_counter() - started
    started = time.perf_counter()
    service.propose()
    cached_s = time.perf_counter() - started
    gc.collect()
    tracked_before = len(gc.get_objects())
    started = time.perf_counter()
    data = MatchingService(store, service.reference).data()
    load_s = time.perf_counter() - started
    gc.collect()
    tracked = len(gc.get_objects()) - tracked_before
    del data
    peak = _traced_mb(lambda: MatchingService(store, service.reference).propose())
    figures = {**_sizes(service), f"{prefix}_s": round(total_s, 2), f"{prefix}_load_s": round(load_s, 2),
               f"{prefix}_cached_s": round(cached_s, 2), f"{prefix}_peak_mb": round(peak, 1),
               f"{prefix}_matched": len(proposal.pairs), f"{prefix}_total": proposal.total,
               "matching_data_tracked_objects": tracked}
    return {**figures, **measure_updates(service, writes)}


def measure_updates(service: MatchingService, writes: int = 12) -> dict[str, Any]:
    """Writes of every kind a counsellor makes, each followed by `data()`; all undone at the end."""
    store, records = service.store, service.records
    data = service.data()
    waiting = [data.mentees.ids[i] for i in np.flatnonzero(data.waiting)]
    free = [data.mentors.ids[j] for j in np.flatnonzero((data.remaining > 0) & data.active)]
    step = max(1, len(waiting) // (writes + 1))
    undo: list[Callable[[], Any]] = []
    update_ms, suggest_ms, write_ms = [], [], []
    rebuilds = service.rebuilds
    for n in range(writes):
        mentee, mentor = waiting[n * step], free[n % len(free)]
        record = store.get("mentee", mentee)
        kind = n % 4
        started = time.perf_counter()
        if kind == 0:
            records.update("mentee", mentee, {"needs": [*(record.get("needs") or []), "Prise de parole"]})
            undo.append(lambda m=mentee, r=record: records.update("mentee", m, {"needs": r.get("needs") or []}))
        elif kind == 1:
            service.decline(mentee, mentor)
            undo.append(lambda m=mentee, t=mentor: service.undo_decline(m, t))
        elif kind == 2:
            tandem = service.accept(mentee, mentor).record_id
            undo.append(lambda t=tandem: service.undo_accept(t))
        else:
            capacity = store.get("mentor", mentor)["capacity"]
            records.update("mentor", mentor, {"capacity": capacity + 1})
            undo.append(lambda t=mentor, c=capacity: records.update("mentor", t, {"capacity": c}))
        write_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        service.data()
        update_ms.append((time.perf_counter() - started) * 1000)
        service.suggest_for_mentee(waiting[n * step + 1], 10)
        suggest_ms.append((time.perf_counter() - started) * 1000)
    for action in reversed(undo):
        action()
    service.data()
    return {"matching_update_after_write_ms": round(statistics.median(update_ms), 1),
            "matching_update_max_ms": round(max(update_ms), 1),
            "matching_write_ms": round(statistics.median(write_ms), 1),
            "suggest_after_write_ms": round(statistics.median(suggest_ms), 1),
            "matching_update_rebuilds": service.rebuilds - rebuilds}


def dense_total(service: MatchingService, spread: bool) -> tuple[int, int]:
    """The path before issue 11 (its core): every possible pair of the waiting list scored into one
    block (contributions, scores, reasons, distances), then solved; (total score, pairs)."""
    data, settings = service.data(), service.settings()
    rows = np.flatnonzero(data.waiting)
    found = scan(data, settings, rows)
    block = score_block(data, settings, rows[found.rows], found.cols)
    feasible = (block.reasons == 0) & (block.scores >= round(settings.min_score * 1000))
    penalty = round(settings.spread_penalty * 1000) if spread else 0
    result = assign(block.scores, feasible, data.remaining[block.cols], load=data.load[block.cols], spread=penalty)
    return result.total, result.matched


def measure_dense(store: Any, *, prefix: str = "dense_25k") -> dict[str, Any]:
    """The dense path on `store` against the pruned proposal, both with the data already loaded: time
    and traced peak with the profile's settings; whether the totals agree without spreading (where
    the total is the optimum: with spreading, equal optima may differ in raw total)."""
    service = MatchingService(store)
    service.data()
    spread = service.settings().spread
    started = time.perf_counter()
    dense_total(service, spread)
    dense_s = time.perf_counter() - started
    peak = _traced_mb(lambda: dense_total(service, spread))
    started = time.perf_counter()
    service.propose()
    pruned_s = time.perf_counter() - started
    pruned_peak = _traced_mb(service.propose)
    total, matched = dense_total(service, False)
    pruned = service.propose(spread=False)
    return {f"{prefix}_s": round(dense_s, 2), f"{prefix}_peak_mb": round(peak, 1),
            f"{prefix}_pruned_s": round(pruned_s, 2), f"{prefix}_pruned_peak_mb": round(pruned_peak, 1),
            f"{prefix}_same_total": pruned.total_milli == total, f"{prefix}_matched": matched}
