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
    assert {e["kind"] for e in bruno.pull_all()[0] if e["type"] == "field"} == {"structure", "counsellor", "mentor"}


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
