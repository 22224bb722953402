"""The access log (GDPR): every pull that delivered entries leaves one row per sync — device, its
structure, the structures whose records it received, counts, cursors — kept 12 months, read by
`tandem-hub audit`. Real hubs on 127.0.0.1, real devices pulling."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from tandem_desktop.hub import access_log
from tandem_desktop.hub.db import access_log as log_table
from tandem_desktop.hub.db import dumps
from tandem_desktop.hub.server import run_in_thread

from ..cli_run import CliResult, run_main
from .helpers import MENTEE, MENTOR, TEST_OPTIONS, Device, World

LONG_AGO = datetime(2000, 1, 1)
NOW = datetime(2027, 3, 1, 12, 0)


def logged(engine: Engine, device: Device | None = None) -> list[dict[str, Any]]:
    return access_log.read(engine, LONG_AGO, device_id=device.id if device else None)


def hub_cli(*args: str) -> CliResult:
    from tandem_desktop.hub.cli import main

    return run_main(main, args, dict(os.environ))


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The hub's log clock (the hub runs in this process) and the audit's both read this time."""
    monkeypatch.setattr(access_log, "utcnow", lambda: moment)


def test_a_pull_logs_the_device_its_structure_and_what_it_received(world: World, engine: Engine) -> None:
    a, b = world.structure("Mission locale"), world.structure("Adie")
    alice, bruno = world.device(a), world.device(b)
    mentee, mentor = alice.create("mentee", MENTEE), alice.create("mentor", MENTOR)
    alice.push(mentee, mentor)
    entries, cursor = alice.pull_all()
    [row] = logged(engine, alice)
    assert (row["device_id"], row["counsellor_id"], row["structure_id"]) == (
        alice.id, alice.enrollment["counsellor_id"], a)
    assert row["structures"] == {a: 1}  # its mentee; the mentor pool, structures and counsellors are shared
    assert row["records"] == len([e for e in entries if e["type"] == "record"]) == row["entries"]
    assert (row["cursor_from"], row["cursor_to"], row["pages"]) == (0, cursor, 1)
    assert row["at"].endswith("Z") and datetime.fromisoformat(row["at"][:-1]) <= datetime.fromisoformat(
        row["last_at"][:-1])
    # Another structure's device: its own structure, none of Alice's records.
    bruno.pull_all()
    [row] = logged(engine, bruno)
    assert row["structure_id"] == b and row["structures"] == {}
    # A pull that delivers nothing is no access: no row; a later one with news is a row of its own.
    alice.pull(cursor)
    assert len(logged(engine, alice)) == 1
    alice.push(alice.update(mentee, {"notes": "Premier entretien fait"}))
    _, later = alice.pull_all(cursor)
    newest = logged(engine, alice)[-1]
    assert len(logged(engine, alice)) == 2
    assert (newest["cursor_from"], newest["cursor_to"], newest["structures"], newest["records"]) == (
        cursor, later, {a: 1}, 1)
    # Ids, counts and times only: nothing of a record's content.
    with engine.connect() as conn:
        stored = dumps([list(r) for r in conn.execute(select(log_table)).all()])
    assert all(value not in stored for value in ("Sofiane", "Benali", "Hélène", "Durand", "entretien", "Adie"))


def test_an_administrators_pull_logs_every_structure_it_received(world: World, engine: Engine) -> None:
    a, b, c = world.structure(), world.structure(), world.structure()
    alice, bruno = world.device(a), world.device(b)
    chief = world.device(c, is_admin=True)
    alice.push(alice.create("mentee", MENTEE))
    mentor, mentee = bruno.create("mentor", MENTOR), bruno.create("mentee", MENTEE)
    tandem = bruno.create("tandem", {"mentor_id": mentor["record_id"], "mentee_id": mentee["record_id"],
                                     "status": "proposed"})
    assert {r["status"] for r in bruno.push(mentor, mentee, tandem)["results"]} == {"applied"}
    chief.pull_all()
    [row] = logged(engine, chief)
    assert row["structure_id"] == c and row["counsellor_id"] == chief.enrollment["counsellor_id"]
    assert row["structures"] == {a: 1, b: 2}
    # --structure finds the rows of its devices and the rows that delivered its records.
    alice.pull_all()
    assert [r["device_id"] for r in access_log.read(engine, LONG_AGO, structure_id=a)] == [chief.id, alice.id]
    assert [r["device_id"] for r in access_log.read(engine, LONG_AGO, structure_id=c)] == [chief.id]


def test_the_pages_of_one_sync_make_one_row(world: World, engine: Engine) -> None:
    a = world.structure()
    alice, bruno = world.device(a), world.device(a, protocol=1)
    alice.push(*(alice.create("mentee", MENTEE) for _ in range(5)))
    entries, cursor = alice.pull_all(limit=2)
    [row] = logged(engine, alice)
    assert row["pages"] == (len(entries) + 1) // 2 >= 3
    assert (row["cursor_from"], row["cursor_to"], row["entries"], row["structures"]) == (0, cursor, len(entries),
                                                                                        {a: 5})
    # A cut sync starting over (the device had stored nothing) is a new row, as is the next sync.
    first = alice.pull(0, limit=2)
    alice.pull(first["cursor"], limit=2)
    alice.pull(0, limit=2)
    assert [(r["cursor_from"], r["pages"]) for r in logged(engine, alice)] == [(0, row["pages"]), (0, 2), (0, 1)]
    # Protocol 1 gets a record as one entry per field: the log still counts records.
    old_entries, _ = bruno.pull_all()
    [old] = logged(engine, bruno)
    assert old["records"] == old["entries"] == len({e["record_id"] for e in old_entries}) < len(old_entries)


def test_rows_older_than_twelve_months_are_deleted(world: World, engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    a = world.structure()
    alice, bruno, carla = world.device(a), world.device(a), world.device(a)
    at(monkeypatch, datetime(2026, 2, 1, 9, 0))  # 13 months before NOW
    alice.pull_all()
    at(monkeypatch, datetime(2026, 4, 1, 9, 0))  # 11 months before
    bruno.pull_all()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(log_table)).scalar_one() == 2
    at(monkeypatch, NOW)
    carla.pull_all()  # the pull path prunes (at most once a minute, a bounded batch)
    assert [r["device_id"] for r in logged(engine)] == [bruno.id, carla.id]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(log_table)).scalar_one() == 2


def test_pruning_is_bounded_and_a_starting_hub_prunes_everything(db_url: str, engine: Engine) -> None:
    old = {"at": datetime(2025, 1, 1), "last_at": datetime(2025, 1, 1), "device_id": "d", "counsellor_id": "c",
           "structure_id": "s", "structures": "{}", "records": 1, "entries": 1, "pages": 1, "cursor_from": 0,
           "cursor_to": 1, "more": False}
    with engine.begin() as conn:
        conn.execute(log_table.insert(), [old] * (access_log.PRUNE_BATCH + 500) + [{**old, "at": NOW}])
    with engine.begin() as conn:
        assert access_log.prune(conn, NOW) == access_log.PRUNE_BATCH
    with engine.begin() as conn:  # 29 February: 28 February of the year before
        assert access_log.cutoff(datetime(2028, 2, 29, 8)) == datetime(2027, 2, 28, 8)
        conn.execute(log_table.insert(), [{**old, "at": datetime(2027, 2, 27)},
                                          {**old, "at": datetime(2027, 2, 28, 9)}])
        assert access_log.prune(conn, datetime(2028, 2, 29, 8)) == 500 + 1
        conn.execute(log_table.insert(), [{**old, "at": LONG_AGO}] * 3)
    with run_in_thread(db_url, options=TEST_OPTIONS):  # the hub's start prunes what expired while it was stopped
        pass
    with engine.connect() as conn:
        left = conn.execute(select(log_table.c.at).order_by(log_table.c.at)).scalars().all()
    assert left == [datetime(2027, 2, 28, 9), NOW]


def test_a_failing_log_never_fails_the_pull(world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    a = world.structure()
    alice = world.device(a)

    def broken(*_args: Any) -> bool:
        raise OperationalError("INSERT INTO access_log", {}, Exception("disque plein"))

    monkeypatch.setattr(access_log, "_merged", broken)
    entries, _ = alice.pull_all()
    assert entries and logged(engine) == []


def test_audit_prints_the_log_filtered_with_french_headers_or_json(world: World, engine: Engine, db_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = world.structure(), world.structure()
    alice, bruno = world.device(a), world.device(b)
    alice.push(alice.create("mentee", MENTEE))
    at(monkeypatch, datetime(2026, 12, 20, 10, 0))
    alice_cursor = alice.pull_all()[1]
    bruno.pull_all()
    alice.push(alice.create("mentee", MENTEE))
    at(monkeypatch, datetime(2027, 2, 3, 14, 30))
    alice.pull_all(alice_cursor)
    at(monkeypatch, NOW)

    table = hub_cli("audit", "--device", alice.id, "--since", "2027-01-01", "--db", db_url)
    assert table.returncode == 0, table.stderr
    header, *lines = table.stdout.splitlines()
    assert header.split() == ["DÉBUT", "FIN", "APPAREIL", "CONSEILLER", "STRUCTURE", "FICHES", "REÇUES", "DE",
                              "FICHES", "ENTRÉES", "PAGES", "CURSEUR"]
    assert len(lines) == 1 and lines[0].startswith("2027-02-03T14:30:00Z") and alice.id in lines[0]
    assert f"{a} (1)" in lines[0] and f"{alice_cursor} → " in lines[0]

    listed = json.loads(hub_cli("audit", "--device", alice.id, "--since", "2026-12-01", "--json", "--db",
                                db_url).stdout)
    assert [(r["at"], r["device_id"], r["structures"], r["cursor_from"]) for r in listed] == [
        ("2026-12-20T10:00:00Z", alice.id, {a: 1}, 0), ("2027-02-03T14:30:00Z", alice.id, {a: 1}, alice_cursor)]
    assert set(listed[0]) == {"id", "at", "last_at", "device_id", "counsellor_id", "structure_id", "structures",
                              "records", "entries", "pages", "cursor_from", "cursor_to"}
    until = json.loads(hub_cli("audit", "--since", "2026-12-20", "--until", "2026-12-20", "--json", "--db",
                               db_url).stdout)
    assert {r["device_id"] for r in until} == {alice.id, bruno.id}
    by_structure = json.loads(hub_cli("audit", "--since", "2026-01-01", "--structure", b, "--json", "--db",
                                      db_url).stdout)
    assert [r["device_id"] for r in by_structure] == [bruno.id]
    empty = hub_cli("audit", "--device", bruno.id, "--since", "2027-01-01T00:00+01:00", "--db", db_url)
    assert empty.returncode == 0 and empty.stdout == "(aucun)\n"

    for args, words in ((("--device", "inconnu", "--since", "2027-01-01"), "Appareil inconnu"),
                        (("--since", "hier"), "Date invalide"),
                        (("--since", "2027-02-01", "--until", "2027-01-01"), "précède")):
        done = hub_cli("audit", *args, "--db", db_url)
        assert done.returncode == 1 and done.stdout == "" and words in done.stderr, done.stderr
    assert hub_cli("audit", "--device", alice.id, "--db", db_url).returncode == 2  # --since is required
