"""List benchmark: the mentee list of the real window (offscreen) at 100,000 mentees.

A plain script (not a test): builds a demo profile (1,000 mentors, 100,000 mentees by default), opens
the real window on the mentee list and measures on the GUI thread, from the event to the rows
applied in the model (Qt's event loop runs all along, and the cycle collector as the app runs it):
- `search_*`: names typed letter by letter (key events in the search field; the 150 ms debounce is
  skipped, each keystroke then waits for the count of the one before, as a typist does);
- `sort_*`: one click on each column header (ascending, then descending);
- `edit_*`: one record written through the window's operations, until its row is read again in place
  (`reread`: from the write's broadcast; `rows_read`: rows the store returned meanwhile; `others_same`:
  the other rows are the same objects), with one page loaded and with every row loaded;
- `window_refresh_*`: a change naming no record (a pulled page of many): the rows the view needs;
- `scroll_end_*`: Ctrl+End in the table, until the last record is the current row (`stall`: the
  latest a 10 ms timer on the GUI thread came meanwhile);
- baselines in the same run, store side: whole records for the same search prefixes, the former
  sort (French key computed per row, whole records) and the former refresh (every loaded row read
  again, whole records, model reset), each with its ratio.
Targets (issue 11): search_p95_ms < 30, sort_max_ms < 150. Prints one JSON line.

    .venv/bin/python tests/benchmarks/bench_lists.py [--mentees N] [--mentors M] [--seed S]

`measure(store_or_profile_dir)` runs the same on a profile made elsewhere (bench_scale.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
from PySide6.QtCore import QEvent, QEventLoop, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.gui.heap import HeapKeeper
from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.gui.table_model import FETCH_ALL_PAGE
from tandem_desktop.gui.tasks import Lane, TaskRunner
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import Profile, init_profile, open_profile
from tandem_desktop.store.queries import ListQuery, list_fields, record_from_row
from tandem_desktop.store.repository import Store
from tandem_desktop.store.search import SQL_FOLD
from tests.benchmarks.bench_gui import dispose
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program

KIND = "mentee"
WORDS = 24  # names typed, up to 7 letters each


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def wait_until(condition: Callable[[], bool], timeout_s: float = 120.0) -> float:
    """Run the event loop until `condition` holds (checked after every event batch, at most 1 ms
    apart); returns the time it first held."""
    loop = QEventLoop()
    held: list[float] = []
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if condition():
            held.append(time.perf_counter())
            loop.quit()
        elif time.perf_counter() > deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(check)
    if condition():
        return time.perf_counter()
    timer.start()
    loop.exec()
    timer.stop()
    if not held:
        raise TimeoutError("the benchmark waited too long")
    return held[0]


def wait_signal(signal: Any, condition: Callable[[], bool] = lambda: True, timeout_s: float = 120.0) -> float:
    """Run the event loop until `signal` is emitted with `condition` true; the time of that emission."""
    loop = QEventLoop()
    when: list[float] = []

    def heard(*_: Any) -> None:
        if not when and condition():
            when.append(time.perf_counter())
            loop.quit()

    signal.connect(heard)
    deadline = QTimer()  # stopped below: QTimer.singleShot left one alive per wait, firing minutes later
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))
    loop.exec()
    deadline.stop()
    signal.disconnect(heard)
    if not when:
        raise TimeoutError("the benchmark waited too long")
    return when[0]


class Ticker:
    """A 10 ms timer on the GUI thread: how late its ticks come tells how long the thread was held."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst = 0.0

    def start(self) -> None:
        self.last, self.worst = time.perf_counter(), 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return round(self.worst * 1000, 1)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last - 0.010)
        self.last = now


class RowsRead:
    """Rows the store's `find` returned (list pages and rows read again), counted while installed."""

    def __init__(self, store: Store):
        self.store, self.rows, self.calls = store, 0, 0
        self._find = store.find

        def find(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            found = self._find(*args, **kwargs)
            self.rows += len(found)
            self.calls += 1
            return found

        store.find = find  # type: ignore[method-assign]

    def reset(self) -> None:
        self.rows = self.calls = 0

    def remove(self) -> None:
        self.store.find = self._find  # type: ignore[method-assign]


def typed_words(store: Store, how_many: int) -> list[str]:
    total = store.count(KIND)
    words = []
    for n in range(how_many):
        [row] = store.find(KIND, ListQuery(), (n * 7919) % max(total, 1), 1, fields=list_fields(KINDS[KIND]))
        words.append((row["last_name"] if n % 2 else row["first_name"]) or "")
    return [w[:7] for w in words if w]


def key_in(widget: Any, char: str) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def settled(page: Any) -> Callable[[], bool]:
    return lambda: not page.model.reading and page.runner.pending_on(Lane.DATABASE) == 0


def measure_search(page: Any, words: list[str]) -> dict[str, Any]:
    timings: list[float] = []
    ticker = Ticker()
    ticker.start()
    for word in words:
        page.clear_search()
        wait_until(settled(page))
        for char in word:
            started = time.perf_counter()
            key_in(page.search, char)
            typed = page.search.text().strip()
            page.apply_query()  # what the debounce calls 150 ms later
            if page.model.query.search != typed or not page.model.reading:
                continue  # the same query (a space…): nothing to read
            applied = wait_signal(page.model.loaded, lambda t=typed: page.model.query.search == t)
            timings.append((applied - started) * 1000)
            wait_until(settled(page))  # the count of this keystroke, as the next key comes later
    stall = ticker.stop()
    page.clear_search()
    wait_until(settled(page))
    return {"search_keystrokes": len(timings), "search_p50_ms": round(statistics.median(timings), 1),
            "search_p95_ms": round(percentile(timings, 0.95), 1), "search_max_ms": round(max(timings), 1),
            "search_stall_max_ms": stall, **measure_search_baseline(page.store, words)}


def measure_search_baseline(store: Store, words: list[str]) -> dict[str, Any]:
    """Store side, the same prefixes: first pages of whole records (as lists read them before) against
    list rows (the same search index for both: its prefix indexes are in this profile)."""
    spent: dict[str, list[float]] = {"whole": [], "list": []}
    fields = list_fields(KINDS[KIND])
    for word in words:
        for n in range(1, len(word) + 1):
            for way, chosen in (("whole", None), ("list", fields)):
                started = time.perf_counter()
                store.find(KIND, ListQuery(search=word[:n]), 0, 200, fields=chosen)
                spent[way].append((time.perf_counter() - started) * 1000)
    whole, rows = percentile(spent["whole"], 0.95), percentile(spent["list"], 0.95)
    return {"search_store_whole_p95_ms": round(whole, 1), "search_store_p95_ms": round(rows, 1),
            "search_store_ratio": round(whole / max(rows, 0.01), 1)}


def click_header(page: Any, column: int) -> None:
    header = page.table.horizontalHeader()
    page.table.scrollTo(page.model.index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, header.height() // 2))


def measure_sorts(page: Any) -> dict[str, Any]:
    per_column: dict[str, float] = {}
    for column, spec in enumerate(page.model.columns):
        spent = []
        for descending in (False, True):
            started = time.perf_counter()
            click_header(page, column)
            applied = wait_signal(page.model.loaded, lambda n=spec.name, d=descending: page.model.query.sort == n
                                  and page.model.query.descending == d)
            spent.append((applied - started) * 1000)
            wait_until(settled(page))
        per_column[spec.name] = round(max(spent), 1)
    page.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # back to the natural order
    wait_until(settled(page))
    return {"sort_ms": per_column, "sort_max_ms": max(per_column.values()),
            "sort_p50_ms": round(statistics.median(per_column.values()), 1)}


def old_sorted_page(store: Store, column: str, descending: bool) -> list[dict[str, Any]]:
    """The former sort: the French key of every row computed in the query, whole records decoded."""
    spec = KINDS[KIND]
    way = "DESC" if descending else "ASC"
    sql = (f"SELECT * FROM {KIND} WHERE deleted = 0 ORDER BY {SQL_FOLD}({column}) {way}, {column} {way}, "
           f"sort_key, row_no LIMIT 200")
    with store.reading() as conn:
        result = conn.exec_driver_sql(sql)
        keys = list(result.keys())
        return [record_from_row(spec, dict(zip(keys, row, strict=True))) for row in result]


def measure_sort_baseline(store: Store) -> dict[str, Any]:
    """Store side, same columns: the former query against the one the list now runs."""
    fields, old, new = list_fields(KINDS[KIND]), {}, {}
    for column in KINDS[KIND].list_columns:
        started = time.perf_counter()
        old_sorted_page(store, column, False)
        old[column] = round((time.perf_counter() - started) * 1000, 1)
        started = time.perf_counter()
        store.find(KIND, ListQuery(sort=column), 0, 200, fields=fields)
        new[column] = round((time.perf_counter() - started) * 1000, 1)
    return {"sort_store_old_ms": old, "sort_store_ms": new,
            "sort_store_ratio": round(statistics.median(old.values()) / max(statistics.median(new.values()), 0.01), 1)}


def measure_edit(window: MainWindow, page: Any, reads: RowsRead, row: int, label: str) -> dict[str, Any]:
    """One record written through the window, until its row shows the new value."""
    model = page.model
    record = model.record_at(row)
    project = "orientation" if record.get("project_type") != "orientation" else "job_search"
    others = [model.record_at(r) for r in range(0, model.rowCount(), max(1, model.rowCount() // 50)) if r != row]
    records, rid = window.records, record["id"]
    wait_until(settled(page))
    reads.reset()
    started = time.perf_counter()
    failed: list[BaseException] = []
    told: list[float] = []  # the write is in: the broadcast, then the row read again

    def heard(_change: Any) -> None:
        told.append(time.perf_counter())

    window.changes.changed.connect(heard)
    window.ops.write(lambda: records.update(KIND, rid, {"project_type": project})).failure(failed.append).run()
    applied = wait_until(lambda: bool(failed) or ((r := model.row_of(rid)) is not None
                                                 and model.record_at(r)["project_type"] == project))
    if failed:
        raise failed[0]
    wait_until(settled(page))
    window.changes.changed.disconnect(heard)
    same = all(model.record_at(model.row_of(o["id"])) is o for o in others if model.row_of(o["id"]) is not None)
    return {f"edit_{label}_ms": round((applied - started) * 1000, 1),
            f"edit_{label}_reread_ms": round((applied - told[0]) * 1000, 1), f"edit_{label}_rows_read": reads.rows,
            f"edit_{label}_others_same": same}


def measure_window_refresh(page: Any, reads: RowsRead, label: str) -> dict[str, Any]:
    """A change that names no record (a pulled page): the loaded rows the view needs, read again."""
    wait_until(settled(page))
    reads.reset()
    ticker = Ticker()
    ticker.start()
    started = time.perf_counter()
    page.refresh()
    applied = wait_signal(page.model.loaded)
    return {f"window_refresh_{label}_ms": round((applied - started) * 1000, 1),
            f"window_refresh_{label}_rows_read": reads.rows, f"window_refresh_{label}_stall_max_ms": ticker.stop()}


def measure_full_reload(store: Store, page: Any, runner: TaskRunner, label: str) -> dict[str, Any]:
    """The former refresh: every loaded row read again as a whole record, then a model reset."""
    model = page.model
    count, query = model.rowCount(), model.query
    wait_until(settled(page))
    done: list[float] = []

    def reset(_rows: list[dict[str, Any]]) -> None:
        model.beginResetModel()  # the view lays every row out again; the list's own rows stay, so it
        model.endResetModel()  # keeps working (whole records carry no place in the order)
        done.append(time.perf_counter())

    started = time.perf_counter()
    runner.submit(lambda: store.find(KIND, query, 0, count), on_done=reset)
    applied = wait_until(lambda: bool(done))
    page.refresh()
    wait_until(settled(page))
    return {f"full_reload_{label}_ms": round((applied - started) * 1000, 1)}


def measure_scroll_end(page: Any) -> dict[str, Any]:
    ticker = Ticker()
    table, model = page.table, page.model
    table.setFocus()
    ticker.start()
    started = time.perf_counter()
    QTest.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    reached = wait_until(lambda: model.complete and not model.reading
                         and table.currentIndex().row() == model.rowCount() - 1, timeout_s=300)
    stall = ticker.stop()
    return {"scroll_end_ms": round((reached - started) * 1000, 1), "scroll_end_stall_max_ms": stall,
            "rows_loaded": model.rowCount(), **measure_scroll_end_baseline(page.store, model.query)}


def measure_scroll_end_baseline(store: Store, query: ListQuery) -> dict[str, Any]:
    """Store side of Ctrl+End: the same list rows read by the store alone, in the same pages of
    FETCH_ALL_PAGE, no window, no model. What grows faster than the rows here grows in the reading
    (SQLite walking a list past its page cache), not in the window."""
    fields, rows, started = list_fields(KINDS[KIND]), 0, time.perf_counter()
    while page := store.find(KIND, query, rows, FETCH_ALL_PAGE, fields=fields):
        rows += len(page)
        if len(page) < FETCH_ALL_PAGE:
            break
    store_ms = (time.perf_counter() - started) * 1000
    return {"scroll_end_store_ms": round(store_ms, 1), "scroll_end_store_rows": rows}


def measure(source: Store | Profile | Path | str, *, words: int = WORDS) -> dict[str, Any]:
    """Every figure above on an existing profile: its store (or open Profile), or its folder (opened
    here, with the key in the keyring this process uses, and closed again)."""
    profile = None
    if isinstance(source, Store):
        store = source
    elif isinstance(source, Profile):
        store = source.store
    else:
        profile = open_profile(load_settings(Path(source), environ={}))
        store = profile.store
    app = QApplication.instance() or QApplication([])
    runner = TaskRunner()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(store, runner, state_file=Path(tmp) / "fenetre.json")
        heap = HeapKeeper(runner, window)  # the collector as the app runs it (app.py)
        heap.start()
        window.show()
        started = time.perf_counter()
        window.show_section(KIND)
        page = window.section(KIND).list_page
        page.refresh()
        first = wait_until(settled(page))
        figures: dict[str, Any] = {"mentees": store.count(KIND), "first_page_ms": round((first - started) * 1000, 1)}
        reads = RowsRead(store)
        try:
            figures |= measure_search(page, typed_words(store, words))
            figures |= measure_sorts(page)
            figures |= measure_sort_baseline(store)
            figures |= measure_edit(window, page, reads, 5, "one_page")
            figures |= measure_window_refresh(page, reads, "one_page")
            figures |= measure_full_reload(store, page, runner, "one_page")
            figures |= measure_scroll_end(page)
            figures |= measure_edit(window, page, reads, page.model.rowCount() - 3, "all_loaded")
            figures |= measure_window_refresh(page, reads, "all_loaded")
            figures |= measure_full_reload(store, page, runner, "all_loaded")
        finally:
            reads.remove()
            heap.stop()
            runner.shutdown()
            dispose(window)
            app.processEvents()
    for label in ("one_page", "all_loaded"):
        figures[f"refresh_ratio_{label}"] = round(  # the former refresh against reading the edited row again
            figures[f"full_reload_{label}_ms"] / max(figures[f"edit_{label}_reread_ms"], 0.01), 1)
    if profile is not None:
        profile.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentors", type=int, default=1000)
    parser.add_argument("--mentees", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=int, default=WORDS)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "profil", environ={})
        profile = init_profile(settings)
        started = time.perf_counter()
        generate_demo(profile.store, mentors=args.mentors, mentees=args.mentees, seed=args.seed)
        demo_s = time.perf_counter() - started
        profile.close()
        db_mb = settings.database_path.stat().st_size / 1e6
        figures = measure(settings.data_dir, words=args.words)
    print(json.dumps({"mentors": args.mentors, **figures, "demo_s": round(demo_s, 1), "db_mb": round(db_mb, 1),
                      "load_average": [round(x, 2) for x in os.getloadavg()], "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
