"""Store benchmark: opening a big profile, search as you type, and the cost of the write path.

A plain script (not a test): builds its own profile with the demo data set (1,000 mentors, 25,000
mentees by default), then prints one JSON line. Targets (issue #2): open_s < 1.0, search_p95_ms < 30,
insert_ratio <= 5; (issue #10) help_s < 0.5, the median wall time of `python -m tandem_desktop --help`,
given beside `python -c pass` measured in the same run (help_ratio). Ratios are computed within the
same run, so a noisy machine affects both sides.

    .venv/bin/python tests/benchmarks/bench_store.py [--mentors N] [--mentees M] [--seed S] [--cli-only]
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
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

import keyring

from tandem_desktop.domain.kinds import MENTEE
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.settings import load_settings
from tandem_desktop.store import migrations
from tandem_desktop.store.engine import make_engine, open_raw
from tandem_desktop.store.keys import derive_key
from tandem_desktop.store.profile import init_profile, open_profile
from tandem_desktop.store.queries import ListQuery
from tandem_desktop.store.schema import RECORD_TABLES
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build_profile(settings, mentors: int, mentees: int, seed: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Run the demo; return (time spent writing mentees through the store, whole demo time)."""
    profile = init_profile(settings)
    store = profile.store
    spent = [0.0]
    write_many = store.create_many

    def timed_create_many(kind, rows):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return write_many(kind, rows)
        finally:
            if kind == "mentee":
                spent[0] += time.perf_counter() - started

    store.create_many = timed_create_many  # type: ignore[method-assign]
    started = time.perf_counter()
    generate_demo(store, mentors=mentors, mentees=mentees, seed=seed)
    demo_s = time.perf_counter() - started
    profile.close()
    return spent[0], demo_s


def plain_bulk_insert(settings, key: bytes, folder: Path) -> float:  # type: ignore[no-untyped-def]
    """The same mentee rows, written by a bare sqlcipher3 executemany into an identical empty table."""
    source = open_raw(settings.database_path, key)
    columns = [column.name for column in RECORD_TABLES[MENTEE.name].columns]  # the sort keys too
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
    args = parser.parse_args()
    cli_figures = cli_start_timings()
    if args.cli_only:
        print(json.dumps({**cli_figures, "python": sys.version.split()[0]}))
        return
    keyring.set_keyring(MemoryKeyring())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = load_settings(folder / "profil", environ={})
        store_insert_s, demo_s = build_profile(settings, args.mentors, args.mentees, args.seed)
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
        "demo_s": round(demo_s, 2),
        "db_mb": round(db_mb, 1),
        **cli_figures,
        "python": sys.version.split()[0],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
