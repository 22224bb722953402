"""Growth benchmark (issue #11, point 6): the same figures at several sizes, and how each grows.

Per size (1,000 mentors and N mentees of the demo): a `tandem-hub serve` process on 127.0.0.1 (SQLite)
receives the demo from a seeding device; a fresh device then opens the real window (offscreen) on the
mentee list and makes its first sync while a counsellor types in the search field, one letter every
150 ms (`typing_stall_max_ms`: the latest a 10 ms tick of the GUI thread came; target < 100 ms at
100k). The same device's lists, the matching and the writes are then measured by the functions of
bench_lists, bench_matching and bench_store; the wire and hub figures by bench_sync's.

`scroll_end_ratio`: Ctrl+End in the window over the store reading the same rows alone (bench_lists's
`scroll_end_store_ms`): what the window adds, whatever SQLite's own growth past its page cache.

`sync_to_transfer_and_bare_ratio`: the first sync (bench_sync's) over its plain transfer plus the bare
write of the same mentees (bench_store's `bare_s`), a yardstick that counts the device's own writing.

For every figure the growth exponent b of figure ≈ a · N^b is fitted over the sizes (least squares
on the logarithms): ≤ 1.1 for what is per record, ≈ 0 for what is per keystroke. Prints one JSON line.

    .venv/bin/python tests/benchmarks/bench_scale.py [--sizes 25000,50000,100000] [--mentors 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.store.profile import Profile
from tests.benchmarks.bench_gui import Probe, dispose, new_device, open_window, percentile, start_hub, wait_for
from tests.benchmarks.bench_lists import measure as measure_lists
from tests.benchmarks.bench_store import measure_writes
from tests.benchmarks.bench_sync import measure_scale as measure_sync
from tests.benchmarks.matching_scale import measure_scale as measure_matching
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program

TYPE_EVERY_MS = 150
TYPED = "martinez dupont bernard"  # letters a counsellor types, then clears, again and again
# Figures that do not grow with the data: their exponent should be about 0.
PER_ACTION = ("typing_stall_max_ms", "typing_stall_p99_ms", "matching_update_after_write_ms",
              "suggest_after_write_ms", "first_page_ms", "search_p95_ms", "search_stall_max_ms", "sort_max_ms",
              "edit_one_page_reread_ms", "edit_all_loaded_reread_ms", "window_refresh_one_page_ms",
              "scroll_end_stall_max_ms", "sync_bytes_per_entry", "sync_hub_bytes_per_record", "sync_push_1000_edits_s")
LIST_FIGURES = ("first_page_ms", "search_p95_ms", "search_stall_max_ms", "sort_max_ms", "edit_one_page_reread_ms",
                "edit_all_loaded_reread_ms", "window_refresh_one_page_ms", "scroll_end_ms",
                "scroll_end_store_ms", "scroll_end_stall_max_ms", "refresh_ratio_all_loaded")
SYNC_FIGURES = ("initial_sync_s", "bytes_per_entry", "plain_transfer_s", "initial_transfer_ratio",
                "hub_bytes_per_record", "push_1000_edits_s")
NOT_FITTED = ("mentees", "mentors", "pulled", "keys_typed", "load_after")  # sizes and context, not figures
# Ratios to a baseline measured in the same run: they should not grow either.
RATIOS = ("create_many_ratio", "refresh_ratio_all_loaded", "scroll_end_ratio", "sync_initial_transfer_ratio",
          "sync_to_transfer_and_bare_ratio")


class Hub:
    """The hub process of one size, with its admin connection and the counsellor's enrollment codes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.db_path = folder / "hub.db"
        self.url_db = f"sqlite:///{self.db_path}"
        self.process, self.url = start_hub(folder, self.url_db)
        self.engine = admin.connect(self.url_db)
        structure = admin.add_structure(self.engine, "Mission locale de Marseille")
        self.counsellor = admin.add_counsellor(self.engine, structure, "Nadia Ferhat", "nadia.ferhat@exemple.fr")

    def code(self) -> str:
        return admin.make_enroll_code(self.engine, self.counsellor)

    def stored_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.glob("hub.db*"))

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.engine.dispose()


def seed(hub: Hub, mentors: int, mentees: int) -> dict[str, Any]:
    started = time.perf_counter()
    seeder = new_device(hub.folder, "seeder", hub.url, hub.code(),
                        fill=lambda store: generate_demo(store, mentors=mentors, mentees=mentees, seed=1))
    built = time.perf_counter() - started
    sync_service.sync_now(seeder)
    records = sum(seeder.store.count(kind) for kind in ("structure", "counsellor", "mentor", "mentee",
                                                        "tandem", "meeting"))
    seeder.close()
    return {"records": records, "build_s": round(built, 1), "seed_s": round(time.perf_counter() - started, 1),
            "hub_bytes_per_record": round(hub.stored_bytes() / max(records, 1))}


def typing_during_first_sync(hub: Hub) -> tuple[dict[str, Any], Profile]:
    """A fresh device's window: first sync while someone types in the mentee search."""
    profile = new_device(hub.folder, "poste", hub.url, hub.code())
    runner, controller, window, heap = open_window(profile)
    probe = Probe(runner, profile)
    search = window.section("mentee").list_page.search
    search.setFocus()
    letters = iter(())
    typed = [0]

    def type_one() -> None:
        nonlocal letters
        letter = next(letters, None)
        if letter is None:
            search.clear()
            letters = iter(TYPED)
            return
        QTest.keyClick(search, letter)  # a real key event through the line edit
        typed[0] += 1

    typist = QTimer()
    typist.setInterval(TYPE_EVERY_MS)
    typist.timeout.connect(type_one)
    done: list[Any] = []
    controller.synced.connect(done.append)
    controller.failed.connect(done.append)
    probe.start()
    typist.start()
    started = time.perf_counter()
    controller.refresh_status(then=lambda: controller.sync_now(reason="manual"))
    wait_for(lambda: bool(done), 1800)
    sync_s = time.perf_counter() - started
    typist.stop()
    probe.stop()
    report = done[0]
    figures = {
        "initial_sync_s": round(sync_s, 2),
        "pulled": getattr(report, "pulled", None),
        "typing_stall_max_ms": round(max(probe.gaps, default=0.0), 1),
        "typing_stall_p99_ms": round(percentile(probe.gaps, 99), 1),
        "keys_typed": typed[0],
    }
    if isinstance(report, str):
        figures["sync_error"] = report
    heap.stop()
    controller.stop()
    runner.shutdown()
    dispose(window)
    QApplication.processEvents()
    return figures, profile


def growth(sizes: list[int], series: list[float | None]) -> float | None:
    """b in figure ≈ a · N^b, least squares on the logarithms (None when a figure is missing or 0)."""
    points = [(math.log(n), math.log(v)) for n, v in zip(sizes, series, strict=True)
              if isinstance(v, int | float) and v > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 2) if spread else None


def one_size(root: Path, mentors: int, mentees: int) -> dict[str, Any]:
    folder = root / f"n{mentees}"
    folder.mkdir()
    hub = Hub(folder)
    try:
        figures: dict[str, Any] = {"mentees": mentees, "mentors": mentors}
        figures.update(seed(hub, mentors, mentees))
        typing, profile = typing_during_first_sync(hub)
        figures.update(typing)
        lists = measure_lists(profile)  # the real window on the pulled copy: search, sort, refresh, scroll
        figures.update({name: lists[name] for name in LIST_FIGURES})
        figures["scroll_end_ratio"] = round(lists["scroll_end_ms"] / max(lists["scroll_end_store_ms"], 0.01), 2)
        matching = measure_matching(profile.store, prefix="propose")  # on the pulled copy, as a device has it
        figures.update({name: matching[name] for name in (
            "propose_s", "propose_peak_mb", "matching_update_after_write_ms", "suggest_after_write_ms")})
        profile.close()
    finally:
        hub.close()
    wire = measure_sync(mentees, f"sqlite:///{folder / 'sync-hub.db'}", mentors=mentors)  # a hub of its own
    figures.update({f"sync_{name}": wire[name] for name in SYNC_FIGURES})
    keyring.set_keyring(MemoryKeyring())
    writes = measure_writes(mentees, mentors)  # a profile of its own: create_many against bare executemany
    figures.update({name: writes[name] for name in ("create_many_s", "bare_s", "create_many_ratio")})
    # The ratio to a plain transfer leaves out what the device must do with what it receives;
    # this one puts that in: the first sync against the same pages moved plus the same mentees
    # written bare (rows, search index, outbox by plain executemany), both measured in this run.
    floor = wire["plain_transfer_s"] + writes["bare_s"]
    figures["sync_to_transfer_and_bare_ratio"] = round(wire["initial_sync_s"] / floor, 2) if floor else None
    figures["load_after"] = round(os.getloadavg()[0], 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--mentors", type=int, default=1000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    keyring.set_keyring(MemoryKeyring())
    import scipy.optimize  # noqa: F401 - imported once before timing, as the app's first proposal has it
    app = QApplication.instance() or QApplication([sys.argv[0]])
    started = time.perf_counter()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        per_size = [one_size(Path(tmp), args.mentors, n) for n in sizes]
    names = [k for k, v in per_size[0].items() if isinstance(v, int | float) and k not in NOT_FITTED]
    exponents = {name: growth(sizes, [row.get(name) for row in per_size]) for name in names}
    print(json.dumps({
        "sizes": sizes, "mentors": args.mentors, "load_before": load_before,
        "total_s": round(time.perf_counter() - started, 1),
        "per_size": per_size, "growth": exponents,
        "per_action": list(PER_ACTION), "ratios": list(RATIOS),
    }, ensure_ascii=False))
    del app


if __name__ == "__main__":
    main()
