"""GUI responsiveness benchmark: the real window (offscreen) while heavy work runs in the background.

A hub on 127.0.0.1 (`tandem-hub serve` in its own process, SQLite) receives the 25,000-mentee demo
(1,000 mentors, tandems, meetings: about 32,000 records) from a seeding device, made once. Then, for
each runner, a fresh device opens the real window on the mentee list, and runs (1) its first sync of
every record from the hub, the lists following page by page, then (2) a batch proposal over the whole
waiting list together with a charter seal. A 10 ms QTimer measures the GUI event loop's latency all
along (`stall` = how late a tick came), and a list count is asked every 250 ms (`count_wait` = how
long it waited for its answer).

Passes: `lanes` (the database, network and CPU lanes) and `single` (the old single worker:
`TaskRunner(single_worker=True)`, same window), run back to back in the same process.
Target (issue #10): gui_stall_max_ms < 100. The lanes pass runs the collector as the app does
(gui/heap.py); the single pass keeps Python's defaults. Prints one JSON line.

    .venv/bin/python tests/benchmarks/bench_gui.py [--mentors N] [--mentees M] [--passes lanes,single]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
from PySide6.QtCore import QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from tandem_desktop.charter.render import PARTIES, Signature
from tandem_desktop.gui.heap import HeapKeeper
from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.gui.sync_controller import SyncController
from tandem_desktop.gui.tasks import Lane, TaskRunner
from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.settings import load_settings
from tandem_desktop.store.demo import DEMO_KEY
from tandem_desktop.store.profile import Profile, init_profile
from tests.benchmarks.bench_sync import start_hub
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program

TICK_MS = 10
COUNT_EVERY_MS = 250


def new_device(folder: Path, name: str, hub_url: str, code: str, fill: Any = None) -> Profile:
    """A device enrolled at the benchmark's hub; `fill(store)` first puts data on it."""
    profile = init_profile(load_settings(folder / name, environ={}))
    if fill is not None:
        fill(profile.store)
        profile.store.set_meta_value(DEMO_KEY, None)  # its own throw-away hub receives the demo on purpose
    sync_service.enroll(profile, hub_url, code, device_name=name)
    return profile


class Probe:
    """Event-loop latency (a 10 ms timer) and list-count latency, over one pass."""

    def __init__(self, runner: TaskRunner, profile: Profile):
        self.runner, self.store = runner, profile.store
        self.gaps: list[float] = []
        self.count_waits: list[float] = []
        self._last = 0.0
        self._asked: float | None = None
        self.tick = QTimer()
        self.tick.setInterval(TICK_MS)
        self.tick.timeout.connect(self._ticked)
        self.counter = QTimer()
        self.counter.setInterval(COUNT_EVERY_MS)
        self.counter.timeout.connect(self._count)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.tick.start()
        self.counter.start()

    def stop(self) -> None:
        self.tick.stop()
        self.counter.stop()

    def resume(self) -> None:
        """After a pause in which the benchmark itself worked on the GUI thread (not measured)."""
        self._last = time.perf_counter()
        self.tick.start()
        self.counter.start()

    def _ticked(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now

    def _count(self) -> None:
        if self._asked is not None:
            return  # the last one has not answered yet: its wait keeps growing
        self._asked = time.perf_counter()
        store = self.store
        self.runner.submit(lambda: store.count("mentee"), on_done=self._counted, on_error=self._counted)

    def _counted(self, _: object) -> None:
        if self._asked is not None:
            self.count_waits.append((time.perf_counter() - self._asked) * 1000)
        self._asked = None


def wait_for(condition: Any, timeout_s: float) -> None:
    """Run the event loop (as the app does) until `condition` holds; checked every 20 ms."""
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    failed: list[bool] = []

    def check() -> None:
        if condition():
            loop.quit()
        elif time.perf_counter() > deadline:
            failed.append(True)
            loop.quit()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(check)
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    if failed:
        raise TimeoutError("the benchmark waited too long")


def dispose(window: QWidget) -> None:
    """Close a window and delete it now (its runner shut down first): deleteLater waits for an event
    loop the script does not go back to, and each window left alive kept its lists and 177 timers
    for the next measures (bench_scale's typing stall at 100,000 grew with the sizes before it)."""
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def open_window(profile: Profile, single: bool = False) -> tuple[TaskRunner, SyncController, MainWindow, HeapKeeper]:
    """The real window on the mentee list, its first page in, the collector run as app.py runs it
    (the single-worker pass keeps Python's own, as before issue 10)."""
    runner = TaskRunner(single_worker=single)
    controller = SyncController(profile, runner, sync_service, network_information=False)
    window = MainWindow(profile.store, runner, sync=controller)
    window.show()
    window.show_section("mentee")
    wait_for(lambda: runner.pending_on(Lane.DATABASE) == 0, 30)
    heap = HeapKeeper(runner, window)
    if not single:
        heap.start()
    return runner, controller, window, heap


def one_pass(folder: Path, name: str, hub_url: str, code: str, single: bool) -> dict[str, Any]:
    profile = new_device(folder, name, hub_url, code)
    runner, controller, window, heap = open_window(profile, single)
    probe = Probe(runner, profile)
    figures: dict[str, Any] = {}
    done: list[Any] = []
    controller.synced.connect(done.append)
    controller.failed.connect(done.append)
    probe.start()
    started = time.perf_counter()
    controller.refresh_status(then=lambda: controller.sync_now(reason="manual"))
    wait_for(lambda: bool(done), 900)
    figures["sync_s"] = round(time.perf_counter() - started, 2)
    report = done[0]
    figures["pulled"] = getattr(report, "pulled", None)
    if isinstance(report, str):
        figures["sync_error"] = report
    sync_gaps, sync_waits = len(probe.gaps), len(probe.count_waits)

    # Batch proposal (CPU lane) and a charter seal (CPU lane), started together. Picking the
    # tandem is the benchmark's own work on the GUI thread: not measured.
    probe.stop()
    store = profile.store
    tandem = next(t for t in store.live_records("tandem") if t.get("status") in ("proposed", "active"))
    charters = CharterService(store)
    strokes = [[(0.1 + 0.8 * i / 29, 0.5 + 0.3 * ((i % 6) - 3) / 3) for i in range(30)]]
    signatures = [Signature(party, strokes=strokes) for party in PARTIES]
    sealed: list[Any] = []
    probe.resume()
    started = time.perf_counter()
    runner.submit(lambda: charters.seal(tandem["id"], signatures, place="Marseille"),
                  on_done=lambda r: sealed.append(time.perf_counter() - started),
                  on_error=lambda exc: sealed.append(exc), lane=Lane.CPU)
    window.show_page(window.batch)
    window.batch.compute()
    wait_for(lambda: not window.batch._busy and bool(sealed), 900)
    figures["propose_and_seal_s"] = round(time.perf_counter() - started, 2)
    figures["pairs"] = len(window.batch.pairs.pairs)
    figures["seal"] = round(sealed[0], 2) if isinstance(sealed[0], float) else f"{type(sealed[0]).__name__}"
    probe.stop()

    gaps, waits = probe.gaps, probe.count_waits
    figures.update({
        "gui_stall_max_ms": round(max(gaps, default=0.0), 1),
        "gui_stall_p99_ms": round(percentile(gaps, 99), 1),
        "sync_stall_max_ms": round(max(gaps[:sync_gaps], default=0.0), 1),
        "work_stall_max_ms": round(max(gaps[sync_gaps:], default=0.0), 1),
        "count_wait_median_ms": round(statistics.median(waits), 1) if waits else None,
        "count_wait_max_ms": round(max(waits, default=0.0), 1),
        "sync_count_wait_max_ms": round(max(waits[:sync_waits], default=0.0), 1),
        "counts_answered": len(waits),
    })
    heap.stop()
    controller.stop()
    window.batch.stop()
    runner.shutdown()
    dispose(window)
    profile.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentors", type=int, default=1000)
    parser.add_argument("--mentees", type=int, default=25_000)
    parser.add_argument("--passes", default="lanes,single")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    app = QApplication.instance() or QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub_db = f"sqlite:///{folder / 'hub.db'}"  # the shared PostgreSQL belongs to the test suites
        hub, hub_url = start_hub(folder, hub_db)
        engine = admin.connect(hub_db)
        marseille = admin.add_structure(engine, "Mission locale de Marseille")
        counsellor = admin.add_counsellor(engine, marseille, "Nadia Ferhat", "nadia.ferhat@exemple.fr")
        started = time.perf_counter()
        seeder = new_device(folder, "seeder", hub_url, admin.make_enroll_code(engine, counsellor),
                            fill=lambda store: generate_demo(store, mentors=args.mentors, mentees=args.mentees,
                                                             seed=args.seed))
        sync_service.sync_now(seeder)
        setup_s = time.perf_counter() - started
        records = sum(seeder.store.count(kind) for kind in ("structure", "counsellor", "mentor", "mentee",
                                                            "tandem", "meeting"))
        mentees = seeder.store.count("mentee")
        seeder.close()
        passes = {}
        for name in args.passes.split(","):
            code = admin.make_enroll_code(engine, counsellor)
            passes[name] = one_pass(folder, f"poste-{name}", hub_url, code, single=(name == "single"))
        hub.terminate()
        hub.wait(30)
        engine.dispose()
    lanes = passes.get("lanes", {})
    single = passes.get("single", {})
    figures: dict[str, Any] = {
        "records": records,
        "mentees": mentees,
        "setup_s": round(setup_s, 1),
        "gui_stall_max_ms": lanes.get("gui_stall_max_ms"),
        "gui_stall_p99_ms": lanes.get("gui_stall_p99_ms"),
        "count_wait_max_ms": lanes.get("count_wait_max_ms"),
        "single_gui_stall_max_ms": single.get("gui_stall_max_ms"),
        "single_gui_stall_p99_ms": single.get("gui_stall_p99_ms"),
        "single_count_wait_max_ms": single.get("count_wait_max_ms"),
        "passes": passes,
    }
    del app
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
