"""Hostile devices against the hub's erasure (what a helper session's attack found, each a test that
failed before): a record linked to an erased person keeps nothing in the history or the conflicts,
an erased person cannot be brought back, an erasure costs a few scans whatever its number of
tandems, and a reader holding a snapshot never holds pushes up nor keeps the old pages in the WAL."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from tandem_desktop.hub import erasure

from .helpers import MENTEE, MENTOR

NAME = "Zephyrine Quaglia"
MARK = {"reason": "request", "on": "2026-11-26"}


def _two_mentees_and_a_tandem(world):  # type: ignore[no-untyped-def]
    structure = world.structure()
    a, b = world.device(structure, protocol=5), world.device(structure, protocol=5)
    person = a.create("mentee", {**MENTEE, "first_name": "Zephyrine", "last_name": "Quaglia"})
    other = a.create("mentee", MENTEE)
    mentor = a.create("mentor", MENTOR)
    tandem = a.create("tandem", {"mentor_id": mentor["record_id"], "mentee_id": other["record_id"],
                                 "notes": "ancienne note", "status": "active"})
    a.push(person, other, mentor, tandem)
    return a, b, person, tandem


def _texts(world, table: str, record_id: str, column: str = "changes") -> list[str]:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return [str(v) for v in conn.execute(text(f"SELECT {column} FROM {table} WHERE record_id = :r"),
                                             {"r": record_id}).scalars()]


def test_a_record_moved_onto_an_erased_person_keeps_no_text_in_history_or_conflicts(world) -> None:  # type: ignore[no-untyped-def]
    a, b, person, tandem = _two_mentees_and_a_tandem(world)
    a.push(a.update(tandem, {"notes": "note de A"}))
    a.push(a.op("erase", "mentee", person["record_id"], {"erased": MARK}))
    # b, on the tandem's first version (a concurrent edit of its notes), moves it onto the erased person
    answer = b.push(b.update(tandem, {"mentee_id": person["record_id"], "notes": f"{NAME} chez sa tante"}))
    assert answer["results"][0]["code"] == "erased"
    assert not any(NAME in t for t in _texts(world, "history", tandem["record_id"]))
    assert not any(NAME in t for t in _texts(world, "conflicts", tandem["record_id"], "kept_value"))
    entries, _ = b.pull_all()
    assert not any(NAME in json.dumps(e) for e in entries)
    history = b.http.get("/v1/history", params={"kind": "tandem", "record_id": tandem["record_id"]},
                         headers=b.headers()).json()
    assert NAME not in json.dumps(history)


def test_an_erased_person_stays_erased_whole(world) -> None:  # type: ignore[no-untyped-def]
    a, b, person, _tandem = _two_mentees_and_a_tandem(world)
    a.push(a.op("erase", "mentee", person["record_id"], {"erased": MARK}))
    b.pull_all()
    for changes in ({"deleted": False}, {"trade_code": "Quaglia"}, {"status": "waiting"}):
        result = b.push(b.op("update", "mentee", person["record_id"], changes))["results"][0]
        assert (result["status"], result["code"]) == ("refused", "erased"), changes
    with world.engine.connect() as conn:
        deleted, fields = conn.execute(text("SELECT deleted, fields FROM records WHERE record_id = :r"),
                                       {"r": person["record_id"]}).one()
    assert deleted and "Quaglia" not in fields


def test_erasing_a_mentor_with_many_tandems_costs_a_few_scans(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure()
    a = world.device(structure, protocol=5)
    mentor = a.create("mentor", {**MENTOR, "capacity": 20})
    mentee = a.create("mentee", MENTEE)
    a.push(mentor, mentee)
    tandems = [a.create("tandem", {"mentor_id": mentor["record_id"], "mentee_id": mentee["record_id"],
                                   "status": "ended", "notes": "n"}) for _ in range(450)]
    a.push(*tandems)
    a.push(*[a.create("meeting", {"tandem_id": t["record_id"], "date": "2026-01-01", "summary": "x"})
             for t in tandems])
    statements: list[str] = []
    with world.engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        found = erasure.linked_ids(conn, [mentor["record_id"]])
    assert len(found) == 900
    assert len(statements) <= 8, len(statements)  # one per 100 tandems for their meetings, not one per tandem
    answer = a.push(a.op("erase", "mentor", mentor["record_id"], {"erased": MARK}))
    assert answer["results"][0]["status"] == "applied"


def test_a_reader_never_holds_pushes_up_and_the_wal_is_emptied_later(world, db_url: str) -> None:  # type: ignore[no-untyped-def]
    if not db_url.startswith("sqlite"):
        pytest.skip("the write-ahead log is SQLite's")
    path = Path(db_url.removeprefix("sqlite:///"))
    structure = world.structure()
    a, other = world.device(structure, protocol=5), world.device(world.structure("Adie"), protocol=5)
    person = a.create("mentee", {**MENTEE, "first_name": "Zephyrinequaglia", "last_name": "X"})
    a.push(person)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM records").fetchone()  # a long pull, a backup: an old snapshot
    done = threading.Event()
    threading.Thread(target=lambda: (a.push(a.op("erase", "mentee", person["record_id"], {"erased": MARK})),
                                     done.set()), daemon=True).start()
    assert done.wait(10)  # (it waited the whole busy timeout, 30 s, before)
    other.push(other.create("mentee", MENTEE))
    with world.engine.connect() as conn:
        assert erasure.checkpoint_owed(conn)  # the reader is still there: owed, not forgotten
    reader.execute("COMMIT")
    reader.close()
    other.push(other.create("mentee", MENTEE))  # the next push pays the checkpoint
    with world.engine.connect() as conn:
        assert not erasure.checkpoint_owed(conn)
    assert not any(b"Zephyrinequaglia" in p.read_bytes() for p in path.parent.iterdir() if p.is_file())
