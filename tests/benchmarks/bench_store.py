"""Store benchmark: opening a big profile, search as you type, and the cost of the write path.

A plain script (not a test): builds its own profile with the demo data set (1,000 mentors, 25,000
mentees by default), then prints one JSON line. Targets (issue #2): open_s < 1.0, search_p95_ms < 30,
insert_ratio <= 5; (issue #10) help_s < 0.5, the median wall time of `python -m tandem_desktop --help`,
given beside `python -c pass` measured in the same run (help_ratio); (issue #11) create_many_ratio <= 3:
the demo's mentees through Store.create_many (validation, references, stamps, search index, outbox)
against the same record, FTS5 and outbox rows written by bare executemany on a connection of the same
engine (`bare_s`). Ratios are computed within the same run, so a noisy machine affects both sides;
the load average is printed beside them. `measure_writes(mentees)` gives the write figures alone (for
other benchmarks to import).

    .venv/bin/python tests/benchmarks/bench_store.py [--mentors N] [--mentees M] [--seed S] [--cli-only]
                                                     [--writes-only [--repeat R]]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

import keyring

from tandem_desktop.domain.kinds import MENTEE, kind_spec
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.settings import load_settings
from tandem_desktop.store import migrations
from tandem_desktop.store.engine import make_engine, open_raw
from tandem_desktop.store.keys import derive_key
from tandem_desktop.store.profile import init_profile, open_profile
from tandem_desktop.store.queries import ListQuery
from tandem_desktop.store.schema import RECORD_TABLES, fts_table
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program


@dataclass
class Timing:
    """Wall time, and processor time of this process: on a machine shared with other jobs, the
    second varies less (both sides of a ratio run in this process)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0


@dataclass
class Built:
    """A demo profile: its mentees' time in Store.create_many, the whole demo's, the key, and the
    mentees of each create_many call."""

    writes: Timing
    demo_s: float
    key: bytes
    chunks: list[int]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build_profile(settings, mentors: int, mentees: int, seed: int) -> Built:  # type: ignore[no-untyped-def]
    """Run the demo, timing its mentees' create_many calls. The demo calls create_many as an import
    would: mentees 5,000 at a time, in one transaction."""
    profile = init_profile(settings)
    store = profile.store
    spent = Timing()
    chunks: list[int] = []
    write_many = store.create_many

    def timed_create_many(kind, rows):  # type: ignore[no-untyped-def]
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return write_many(kind, rows)
        finally:
            if kind == "mentee":
                spent.wall_s += time.perf_counter() - started
                spent.cpu_s += time.process_time() - cpu
                chunks.append(len(rows))

    store.create_many = timed_create_many  # type: ignore[method-assign]
    started = time.perf_counter()
    generate_demo(store, mentors=mentors, mentees=mentees, seed=seed)
    demo_s = time.perf_counter() - started
    key = profile.key
    profile.close()
    return Built(spent, demo_s, key, chunks)


def plain_bulk_insert(settings, key: bytes, folder: Path) -> float:  # type: ignore[no-untyped-def]
    """The same mentee rows, written by a bare sqlcipher3 executemany into an identical empty table."""
    source = open_raw(settings.database_path, key)
    columns = [column.name for column in RECORD_TABLES[MENTEE.name].columns]  # the list keys too
    rows = source.execute(f"SELECT {', '.join(columns)} FROM mentee ORDER BY row_no").fetchall()
    source.close()
    target_path = folder / "baseline.db"
    engine = make_engine(target_path, key)
    with engine.begin() as conn:
        migrations.upgrade(conn)
    engine.dispose()
    target = open_raw(target_path, key)
    target.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    target.executemany(
        f"INSERT INTO mentee ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
    )
    elapsed = time.perf_counter() - started  # like the store's figure: commit not included
    target.execute("COMMIT")
    target.close()
    return elapsed


def written_rows(settings, key: bytes, kind: str = "mentee") -> dict[str, tuple[list[str], list[tuple]]]:  # type: ignore[no-untyped-def]
    """What the store wrote for `kind`: its record rows, its search index rows (rebuilt as text from the
    stored columns, the index being contentless) and its outbox rows, each as (columns, rows)."""
    spec = kind_spec(kind)
    record_columns = [column.name for column in RECORD_TABLES[kind].columns]  # the list keys and labels too
    outbox_columns = ["op_id", "action", "kind", "record_id", "changes", "base_versions", "device_id", "hlc"]
    source = open_raw(settings.database_path, key, readonly=True)
    try:
        records = source.execute(f"SELECT {', '.join(record_columns)} FROM {kind} ORDER BY row_no").fetchall()
        searchable = [record_columns.index(name) for name in spec.searchable]
        bodies = [(row[0], " ".join(str(row[i]) for i in searchable if row[i] is not None))
                  for row in records if not row[record_columns.index("deleted")]]
        outbox_rows = source.execute(f"SELECT {', '.join(outbox_columns)} FROM outbox WHERE kind = ? "
                                     "ORDER BY seq", (kind,)).fetchall()
    finally:
        source.close()
    return {kind: (record_columns, records), fts_table(kind): (["rowid", "body"], bodies),
            "outbox": (outbox_columns, outbox_rows)}


def bare_writes(tables: dict[str, tuple[list[str], list[tuple]]], key: bytes, folder: Path,
                chunks: list[int]) -> Timing:
    """The same rows inserted by bare executemany in one transaction of a connection of the store's
    own engine (same SQLCipher key, pragmas and page cache) on a fresh profile schema: one executemany
    per table for each of the store's `chunks` (its calls), in the store's order (records, search
    index, outbox), so the pages are touched as the store touches them. Like the store's figure, the
    commit is left out. Every table holds one row per record (creates: all live)."""
    path = folder / "bare.db"
    engine = make_engine(path, key)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn)
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            conn.execute("BEGIN IMMEDIATE")
            statements = {table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                          for table, (columns, _rows) in tables.items()}
            started, cpu = time.perf_counter(), time.process_time()
            offset = 0
            for size in chunks:
                for table, (_columns, rows) in tables.items():
                    conn.executemany(statements[table], rows[offset:offset + size])
                offset += size
            elapsed = Timing(time.perf_counter() - started, time.process_time() - cpu)
            conn.execute("COMMIT")
        finally:
            raw.close()
    finally:
        engine.dispose()
    return elapsed


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure_writes(mentees: int = 25_000, mentors: int = 1000, seed: int = 1, repeat: int = 1) -> dict[str, object]:
    """The issue-11 write figures alone: a demo profile of `mentees` (in a temporary folder), the time
    its mentees spent in Store.create_many, and the same rows written bare; `repeat` times, the
    figures of the run with the median ratio given (and every run's ratios). The keyring is an
    in-memory one for the duration."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    load_before = load_average()
    runs = []
    try:
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                settings = load_settings(folder / "profil", environ={})
                built = build_profile(settings, mentors, mentees, seed)
                tables = written_rows(settings, built.key)
                runs.append(write_figures(built.writes, bare_writes(tables, built.key, folder, built.chunks),
                                          tables, built.chunks))
    finally:
        keyring.set_keyring(previous)
    figures = sorted(runs, key=lambda run: run["create_many_ratio"])[len(runs) // 2]
    if repeat > 1:
        figures["create_many_ratios"] = [run["create_many_ratio"] for run in runs]
        figures["create_many_cpu_ratios"] = [run["create_many_cpu_ratio"] for run in runs]
    return {**figures, "load_before": load_before, "load_after": load_average()}


def write_figures(store: Timing, bare: Timing, tables: dict[str, tuple[list[str], list[tuple]]],
                  chunks: list[int]) -> dict:
    return {
        "create_many_s": round(store.wall_s, 3),
        "bare_s": round(bare.wall_s, 3),
        "create_many_ratio": round(store.wall_s / bare.wall_s, 2),
        "create_many_cpu_s": round(store.cpu_s, 3),
        "bare_cpu_s": round(bare.cpu_s, 3),
        "create_many_cpu_ratio": round(store.cpu_s / bare.cpu_s, 2),
        "written_rows": {table: len(rows) for table, (_columns, rows) in tables.items()},
        "create_many_calls": len(chunks),
    }


def open_and_show_first_page(settings) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    profile = open_profile(settings)
    try:
        from PySide6.QtWidgets import QApplication

        from tandem_desktop.gui.table_model import RecordTableModel

        app = QApplication.instance() or QApplication([])
        model = RecordTableModel(profile.store, "mentee")
        model.data(model.index(0, 0))
        app.processEvents()
        first_page = model.rowCount()
    except ImportError:  # no Qt: measure the store call the model makes
        model = None
        first_page = len(profile.store.find("mentee", ListQuery(), 0, 200))
    elapsed = time.perf_counter() - started
    assert first_page > 0
    return elapsed, (profile, model)


def typing_queries(store, how_many: int = 30) -> list[str]:  # type: ignore[no-untyped-def]
    """What counsellors type: names of real mentees, letter by letter (with and without accents)."""
    sample = store.find("mentee", ListQuery(), 0, 25_000)[:: max(1, 25_000 // how_many)][:how_many]
    typed = []
    for index, record in enumerate(sample):
        word = record["last_name"] if index % 2 else record["first_name"]
        typed += [word[:n].lower() for n in range(1, min(len(word), 8) + 1)]
    return typed


def search_timings(profile, model) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    store = profile.store
    page_ms, count_ms = [], []
    for text in typing_queries(store):
        query = ListQuery(search=text)
        started = time.perf_counter()
        if model is not None:
            model.set_query(query)  # what the GUI thread does on each keystroke
        else:
            store.find("mentee", query, 0, 200)
        page_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        store.count("mentee", query)  # done by the background worker in the GUI
        count_ms.append((time.perf_counter() - started) * 1000)
    return page_ms, count_ms


def cli_start_timings(repeats: int = 7) -> dict[str, float]:
    """`tandem --help` against a bare interpreter start, alternated so that both see the same machine."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    commands = {"help_s": [sys.executable, "-m", "tandem_desktop", "--help"],
                "python_pass_s": [sys.executable, "-c", "pass"]}
    spent: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            spent[name].append(time.perf_counter() - started)
    figures = {name: round(statistics.median(times), 3) for name, times in spent.items()}
    figures["help_ratio"] = round(figures["help_s"] / figures["python_pass_s"], 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentors", type=int, default=1000)
    parser.add_argument("--mentees", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli-only", action="store_true", help="only the `tandem --help` figures")
    parser.add_argument("--writes-only", action="store_true", help="only the create_many figures")
    parser.add_argument("--repeat", type=int, default=1, help="with --writes-only: runs (the median is shown)")
    args = parser.parse_args()
    if args.writes_only:
        print(json.dumps({"mentees": args.mentees, "mentors": args.mentors,
                          **measure_writes(args.mentees, args.mentors, args.seed, args.repeat),
                          "python": sys.version.split()[0]}))
        return
    cli_figures = cli_start_timings()
    if args.cli_only:
        print(json.dumps({**cli_figures, "python": sys.version.split()[0]}))
        return
    keyring.set_keyring(MemoryKeyring())
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = load_settings(folder / "profil", environ={})
        built = build_profile(settings, args.mentors, args.mentees, args.seed)
        store_insert_s, demo_s = built.writes.wall_s, built.demo_s
        tables = written_rows(settings, built.key)
        bare = bare_writes(tables, built.key, folder, built.chunks)
        open_s, (profile, model) = open_and_show_first_page(settings)
        page_ms, count_ms = search_timings(profile, model)
        mentees = profile.store.count("mentee")
        key = profile.key
        profile.close()
        bulk_s = plain_bulk_insert(settings, key, folder)
        started = time.perf_counter()
        derive_key("une phrase de passe de conseillère", os.urandom(16), settings.kdf_log2_n)
        kdf_s = time.perf_counter() - started
        db_mb = settings.database_path.stat().st_size / 1e6
    figures = {
        "mentees": mentees,
        "mentors": args.mentors,
        "open_s": round(open_s, 3),
        "kdf_s": round(kdf_s, 3),
        "kdf": f"scrypt N=2^{settings.kdf_log2_n} r=8 p=1",
        "search_keystrokes": len(page_ms),
        "search_p50_ms": round(statistics.median(page_ms), 2),
        "search_p95_ms": round(percentile(page_ms, 0.95), 2),
        "count_p95_ms": round(percentile(count_ms, 0.95), 2),
        "store_insert_s": round(store_insert_s, 3),
        "sqlcipher_bulk_insert_s": round(bulk_s, 3),
        "insert_ratio": round(store_insert_s / bulk_s, 2),
        **write_figures(built.writes, bare, tables, built.chunks),
        "demo_s": round(demo_s, 2),
        "db_mb": round(db_mb, 1),
        **cli_figures,
        "load_before": load_before,
        "load_after": load_average(),
        "python": sys.version.split()[0],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
