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
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere
# A run of the code before (--baseline-code) puts that checkout first; the benchmark's own files come after.
sys.path.insert(0, os.environ.get("TANDEM_BENCH_CODE") or sys.path[0])

import numpy as np

from tandem_desktop.matching.assign import assign
from tandem_desktop.matching.score import scan, score_block
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.matching import MatchingService
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import Profile, init_profile, open_profile

# Profiles open with a passphrase (no keyring): the child processes open them too.
PROFILE_ENV = {"TANDEM_NO_KEYRING": "1", "TANDEM_KDF_LOG2N": "14",
               "TANDEM_PASSPHRASE": "banc de mesure des mises en relation à cent mille"}


def peak_mb() -> float:
    """Peak RSS of this process. On Linux from VmHWM: ru_maxrss survives exec, so a child would start
    from its parent's size when it forked."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux and BSD: kilobytes
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def demo_profile(folder: Path, name: str, mentors: int, mentees: int, seed: int) -> Profile:
    profile = init_profile(load_settings(folder / name, environ=PROFILE_ENV))
    generate_demo(profile.store, mentors=mentors, mentees=mentees, seed=seed)
    return profile


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


# -- child processes, one per measurement -----------------------------------------------------------


def child(kind: str, folder: Path, prefix: str) -> None:
    """One measurement in this process (a child of main): prints its figures and its peak RSS."""
    profile = open_profile(load_settings(folder, environ=PROFILE_ENV))
    try:
        if kind == "rss":  # nothing but one batch from the database, so the peak RSS is its own
            opened = peak_mb()
            MatchingService(profile.store).propose()
            figures = {f"{prefix}_rss_opened_mb": round(opened, 1)}
        elif kind == "dense-rss":
            opened = peak_mb()
            service = MatchingService(profile.store)
            dense_total(service, service.settings().spread)
            figures = {f"{prefix}_rss_opened_mb": round(opened, 1)}
        elif kind == "before":
            figures = before(profile.store, prefix)
        else:
            figures = measure_scale(profile.store, prefix=prefix) if kind == "scale" else \
                measure_dense(profile.store, prefix=prefix)
    finally:
        profile.close()
    if kind in ("rss", "dense-rss", "before"):
        figures[f"{prefix}_rss_mb"] = round(peak_mb(), 1)
    print(json.dumps(figures))


def before(store: Any, prefix: str) -> dict[str, Any]:
    """The code before (--baseline-code), through what it already had: a fresh service's batch over the
    waiting list, then the data after one write (it read everything again)."""
    started = time.perf_counter()
    service = MatchingService(store)
    service.propose()
    propose_s = time.perf_counter() - started
    data = service.data()
    mentee = data.mentees.ids[0]
    gc.collect()
    tracked = len(gc.get_objects())
    del data
    service = MatchingService(store, service.reference)
    gc.collect()
    tracked -= len(gc.get_objects())
    service.data()
    needs = store.get("mentee", mentee).get("needs") or []
    store.update("mentee", mentee, {"needs": [*needs, "Prise de parole"]})
    started = time.perf_counter()
    service.data()
    rebuild_s = time.perf_counter() - started
    store.update("mentee", mentee, {"needs": needs})
    return {f"{prefix}_s": round(propose_s, 2), f"{prefix}_update_after_write_ms": round(rebuild_s * 1000, 1),
            f"{prefix}_data_tracked_objects": tracked}


def run_child(kind: str, folder: Path, prefix: str, code: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "TANDEM_BENCH_CODE": str(code)} if code else None
    done = subprocess.run([sys.executable, __file__, kind, str(folder), prefix], check=True,
                          capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def scale(folder: Path, small: Path, mentees: int, seed: int, code: Path | None) -> dict[str, Any]:
    """The big demo, then a child per measurement: pruned at N and at 25,000, dense at 25,000."""
    name = f"propose_{mentees // 1000}k"
    started = time.perf_counter()
    demo_profile(folder, "echelle", 1000, mentees, seed).close()
    figures: dict[str, Any] = {"scale_build_s": round(time.perf_counter() - started, 1)}
    figures |= run_child("scale", folder / "echelle", name) | run_child("rss", folder / "echelle", name)
    small_figures = run_child("scale", small, "propose_25k") | run_child("rss", small, "propose_25k")
    figures |= {k: v for k, v in small_figures.items() if k.startswith("propose_25k")}
    figures["matching_update_after_write_25k_ms"] = small_figures["matching_update_after_write_ms"]
    figures |= run_child("dense", small, "dense_25k") | run_child("dense-rss", small, "dense_25k")
    figures["dense_over_pruned_25k_rss"] = round(figures["dense_25k_rss_mb"] / figures["propose_25k_rss_mb"], 2)
    figures["dense_over_pruned_25k_time"] = round(figures["dense_25k_s"] / figures["dense_25k_pruned_s"], 2)
    figures["dense_over_pruned_25k_peak"] = round(figures["dense_25k_peak_mb"] / figures["dense_25k_pruned_peak_mb"], 1)
    if code:
        for where, prefix in ((small, "before_25k"), (folder / "echelle", f"before_{mentees // 1000}k")):
            figures |= run_child("before", where, prefix, code)
        big = f"before_{mentees // 1000}k"
        figures["before_over_now_propose"] = round(figures[f"{big}_s"] / figures[f"{name}_s"], 2)
        figures["before_over_now_update"] = round(figures[f"{big}_update_after_write_ms"]
                                                   / figures["matching_update_after_write_ms"], 1)
    return figures


if __name__ == "__main__":
    child(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
