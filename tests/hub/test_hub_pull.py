"""Pull paging: limit, more, cursor — no seq missed or repeated, even while pushes commit meanwhile."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from .helpers import MENTEE, MENTOR, Device, World


def _scoped_seqs(engine: Engine, device: Device) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT seq FROM feed WHERE owner_structure_id IS NULL OR owner_structure_id = :s ORDER BY seq"),
            {"s": device.structure_id}).scalars())


def test_paging_misses_and_repeats_nothing(world: World, engine: Engine) -> None:
    a, b = world.structure(), world.structure()
    alice, bruno = world.device(a), world.device(b)
    alice.push(*[alice.create("mentee", MENTEE) for _ in range(40)])
    bruno.push(*[bruno.create("mentor", MENTOR) for _ in range(30)])
    alice.push(*[alice.create("mentor", MENTOR) for _ in range(10)])
    for device in (alice, bruno):
        seqs, cursor, pages = [], 0, 0
        while True:
            page = device.pull(cursor, 7)
            pages += 1
            assert len(page["entries"]) <= 7
            assert page["more"] == (len(page["entries"]) == 7 and page["cursor"] < _scoped_seqs(engine, device)[-1])
            seqs += [e["seq"] for e in page["entries"]]
            assert page["cursor"] >= cursor
            cursor = page["cursor"]
            if not page["more"]:
                break
        assert seqs == _scoped_seqs(engine, device)  # increasing, no gap in scope, no repeat
        assert pages >= len(seqs) // 7
        with engine.connect() as conn:
            assert cursor == conn.execute(text("SELECT last_seq FROM hub_state")).scalar_one()
        assert device.pull(cursor) == {"entries": [], "cursor": cursor, "more": False}
    # Bruno's cursor passes over Alice's mentees without showing them.
    assert {e["kind"] for e in bruno.pull_all()[0] if e["type"] == "record"} == {"structure", "counsellor", "mentor"}


@pytest.mark.parametrize("limit", ["0", "1001", "dix", "-5"])
def test_bad_limits_are_refused(world: World, limit: str) -> None:
    device = world.device(world.structure())
    response = device.http.get("/v1/pull", params={"cursor": 0, "limit": limit}, headers=device.headers())
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_pulling_while_others_push_never_misses_a_seq(world: World, engine: Engine) -> None:
    structure = world.structure()
    reader = world.device(structure)
    writers = [world.device(structure) for _ in range(3)]
    errors: list[BaseException] = []

    def write(device: Device) -> None:
        try:
            for _ in range(8):
                device.push(*[device.create("mentor", MENTOR) for _ in range(5)])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(device,)) for device in writers]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    cursor = 0
    while any(thread.is_alive() for thread in threads):
        page = reader.pull(cursor, 13)
        seen += [e["seq"] for e in page["entries"]]
        cursor = page["cursor"]
    for thread in threads:
        thread.join()
    entries, _ = reader.pull_all(cursor, 13)
    seen += [e["seq"] for e in entries]
    assert errors == []
    assert seen == _scoped_seqs(engine, reader)
    assert seen == list(range(1, len(seen) + 1))  # one structure and shared kinds only: every seq


def test_the_feed_keeps_one_entry_per_record_and_older_protocols_get_fields(world: World, engine: Engine) -> None:
    structure = world.structure()
    alice = world.device(structure)
    create = alice.create("mentee", MENTEE)
    rid = create["record_id"]
    alice.push(create)
    before = alice.pull_all()[0]
    rename = alice.update(create, {"first_name": "Zoé"})
    alice.push(rename)
    alice.push(alice.update(rename, {"commune": "Aubagne"}))
    entries = alice.pull_all()[0]
    mine = [e for e in entries if e.get("record_id") == rid]
    assert len(mine) == 1 and mine[0]["type"] == "record" and not mine[0]["deleted"]
    assert mine[0]["fields"]["first_name"] == "Zoé" and mine[0]["fields"]["commune"] == "Aubagne"
    assert mine[0]["seq"] > max(e["seq"] for e in before)  # a change moves the record past old cursors
    assert set(mine[0]["versions"]) >= set(MENTEE)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM feed WHERE record_id = :r"), {"r": rid}).scalar_one()
    assert rows == 1
    # Protocol 2 gets the same record as one entry per field, all with the record's seq.
    old = world.device(structure, protocol=2)
    fields = [e for e in old.pull_all()[0] if e.get("record_id") == rid]
    assert {e["type"] for e in fields} == {"field"} and {e["seq"] for e in fields} == {mine[0]["seq"]}
    assert {e["field"]: (e["value"], e["version"]) for e in fields} == old.records()[rid] == alice.records()[rid]
    assert old.pull_all()[1] == alice.pull_all()[1]
