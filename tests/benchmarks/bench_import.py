"""Import benchmark (issue #12, point 5): 25,000 mentees from an XLSX and from a Windows-1252 CSV.

A demo profile (1,000 mentors, N mentees) is exported the way a structure's spreadsheet looks:
French headers, labels, JJ/MM/AAAA dates, a merged title row and a blank row on top (XLSX), or
semicolons in Windows-1252 (CSV), without the « Identifiant » column, and a phone number of its own
for everyone (the demo draws them from a fiction range of 10,000 numbers, which the duplicate rule
« même numéro de téléphone » would catch). Each file is then imported
into a fresh profile holding only the demo's structures and counsellors (found by name, as a
structure's file names them): read, header found, mapping guessed, every row checked and compared
for duplicates, written in one transaction through the records door.

Baseline, in the same run: reading the same file alone plus a bare `Store.create_many` of the same
rows (already cleaned) into another fresh profile. Targets: `import_xlsx_s`, `import_csv_s` < 30;
`import_*_ratio` ≤ 3; `undo_*_s`, the same import undone (every record created deleted, through the
records door). Then the XLSX once more through the real window (offscreen), « Importer un
tableur… » as a counsellor takes it: `window_import_s` from loading the file to the import done, and
`window_stall_max_ms`, the latest a 10 ms tick of the GUI thread came meanwhile (never frozen).
Prints one JSON line.

    .venv/bin/python tests/benchmarks/bench_import.py [--mentees 25000] [--no-window]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring

from tandem_desktop.domain.kinds import kind_spec
from tandem_desktop.importing.sources import read_source
from tandem_desktop.services import imports
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.export import export_kind, write_xlsx
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import Profile, init_profile
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program


def fresh_profile(folder: Path, name: str) -> Profile:
    """A profile with the demo's structures and counsellors only (the same names as the source's)."""
    profile = init_profile(load_settings(folder / name, environ={}))
    generate_demo(profile.store, mentors=0, mentees=0)
    return profile


def spreadsheets(folder: Path, mentees: int) -> tuple[Path, Path]:
    """The demo's mentees as a structure's XLSX (title row, blank row) and as a Windows-1252 CSV."""
    source = init_profile(load_settings(folder / "source", environ={}))
    generate_demo(source.store, mentors=1000, mentees=mentees)
    exported = folder / "export.csv"
    export_kind(source.store, "mentee", "csv", exported)
    source.close()
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row[1:] for row in csv.reader(handle, delimiter=";")]  # without « Identifiant »
    phone = rows[0].index("Téléphone")
    for number, row in enumerate(rows[1:]):  # one phone each: the demo's fiction range has 10,000
        row[phone] = f"06 {number // 1_000_000 % 100:02d} {number // 10_000 % 100:02d} {number // 100 % 100:02d} " \
                     f"{number % 100:02d}" if row[phone] else ""
    csv_path = folder / "mentores.csv"
    with csv_path.open("w", encoding="cp1252", errors="replace", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)
    xlsx_path = folder / "mentores.xlsx"
    write_xlsx(xlsx_path, "Mentorés", ["Liste des jeunes suivis"] + [""] * (len(rows[0]) - 1),
               iter([[""] * len(rows[0]), *rows]))
    return xlsx_path, csv_path


def import_file(profile: Profile, path: Path) -> tuple[float, dict[str, Any], list[dict[str, Any]]]:
    started = time.perf_counter()
    source, table = imports.read_table(path)
    mapping = imports.guess_mapping(kind_spec("mentee"), table.headers)
    plan = imports.prepare(profile.store, "mentee", table, mapping, file_name=source.file_name)
    result = imports.apply_plan(Records(profile.store, Actor()), plan, skip_refused=True)
    elapsed = time.perf_counter() - started
    profile.store.set_meta_value("bench_batch", result.batch_id)
    rules: dict[str, int] = {}
    for row in plan.duplicates():
        rules[row.duplicate.rule] = rules.get(row.duplicate.rule, 0) + 1  # type: ignore[union-attr]
    return elapsed, {**result.counts, "duplicates_by_rule": rules}, [row.values for row in plan.rows
                                                                     if not row.refused and row.decision == "create"]


def _names(profile: Profile, kind: str, fields: tuple[str, ...]) -> dict[str, str]:
    records = profile.store.live_fields(kind, fields)
    return {record["id"]: " ".join(str(record[f]) for f in fields) for record in records}


def _same_references(values: list[dict[str, Any]], profile: Profile, importer: Profile) -> list[dict[str, Any]]:
    """The rows with their structure and counsellor ids of `profile` (same names, other ids)."""
    ids: dict[str, str] = {}
    for kind, fields in (("structure", ("name",)), ("counsellor", ("first_name", "last_name", "email"))):
        here = {name: rid for rid, name in _names(profile, kind, fields).items()}
        ids.update({rid: here[name] for rid, name in _names(importer, kind, fields).items()})
    return [{**row, **{f: ids[row[f]] for f in ("structure_id", "counsellor_id") if row.get(f)}} for row in values]


def baseline(folder: Path, name: str, path: Path, values: list[dict[str, Any]],
             importer: Profile) -> tuple[float, float]:
    """(reading the file alone, bare create_many of the same rows in a fresh profile)."""
    started = time.perf_counter()
    read_source(path)
    read_s = time.perf_counter() - started
    profile = fresh_profile(folder, name)
    values = _same_references(values, profile, importer)
    started = time.perf_counter()
    for start in range(0, len(values), 5000):
        profile.store.create_many("mentee", values[start:start + 5000])
    write_s = time.perf_counter() - started
    profile.close()
    return read_s, write_s


def through_the_window(folder: Path, path: Path) -> dict[str, Any]:
    """The file imported with the dialog of the real window, the GUI thread's ticks watched."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tandem_desktop.gui.heap import HeapKeeper
    from tandem_desktop.gui.main_window import MainWindow
    from tandem_desktop.gui.tasks import Lane, TaskRunner
    from tests.benchmarks.bench_gui import TICK_MS, dispose, wait_for

    QApplication.instance() or QApplication([sys.argv[0]])
    profile = fresh_profile(folder, "window")
    runner = TaskRunner()
    window = MainWindow(profile.store, runner)
    window.show()
    window.show_section("mentee")
    wait_for(lambda: runner.pending_on(Lane.DATABASE) == 0, 30)
    heap = HeapKeeper(runner, window)
    heap.start()
    window.import_action.trigger()
    dialog = window.import_dialog
    gaps: list[float] = []
    last = [time.perf_counter()]

    def ticked() -> None:
        now = time.perf_counter()
        gaps.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    tick = QTimer()
    tick.setInterval(TICK_MS)
    tick.timeout.connect(ticked)
    wait_for(lambda: dialog.structure_combo.count() > 1, 30)
    tick.start()
    started = time.perf_counter()
    dialog.load_file(path)
    wait_for(lambda: dialog.table is not None and not dialog._busy, 120)
    dialog.check()
    wait_for(lambda: dialog.plan is not None and not dialog._busy, 300)
    dialog.start_import()
    wait_for(lambda: dialog.result is not None or not dialog._busy, 300)
    elapsed = time.perf_counter() - started
    tick.stop()
    created = dialog.result.counts["created"] if dialog.result is not None else 0
    dialog.close()
    heap.stop()
    dispose(window)
    runner.shutdown()
    profile.close()
    return {"window_import_s": round(elapsed, 2), "window_created": created,
            "window_stall_max_ms": round(max(gaps, default=0.0), 1), "window_ticks": len(gaps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentees", type=int, default=25_000)
    parser.add_argument("--no-window", action="store_true", help="skip the import through the real window")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    load_before = os.getloadavg()[0]
    figures: dict[str, Any] = {"mentees": args.mentees, "load_before": round(load_before, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xlsx_path, csv_path = spreadsheets(folder, args.mentees)
        figures["xlsx_mb"] = round(xlsx_path.stat().st_size / 1e6, 1)
        figures["csv_mb"] = round(csv_path.stat().st_size / 1e6, 1)
        for label, path in (("xlsx", xlsx_path), ("csv", csv_path)):
            profile = fresh_profile(folder, f"import-{label}")
            elapsed, counts, values = import_file(profile, path)
            read_s, write_s = baseline(folder, f"bare-{label}", path, values, profile)
            started = time.perf_counter()
            imports.undo_batch(Records(profile.store, Actor()), profile.store.meta_value("bench_batch") or "")
            figures[f"undo_{label}_s"] = round(time.perf_counter() - started, 2)
            profile.close()
            figures.update({
                f"import_{label}_s": round(elapsed, 2), f"import_{label}_counts": counts,
                f"read_{label}_s": round(read_s, 2), f"bare_create_many_{label}_s": round(write_s, 2),
                f"import_{label}_ratio": round(elapsed / (read_s + write_s), 2),
            })
        if not args.no_window:
            figures.update(through_the_window(folder, xlsx_path))
    figures["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
