"""Partitioning by structure on pull and push, administrators, the shared mentor pool, the
overbooking flag and the per-kind summary."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

from tandem_desktop.domain.kinds import KINDS

from .helpers import MENTEE, MENTOR, Device, World, row_counts


def _records_seen(device: Device) -> set[str]:
    return {entry.get("record_id") for entry in device.pull_all()[0] if entry["type"] == "record"}


def test_another_structures_mentee_never_reaches_a_device_and_cannot_be_written(world: World, engine: Engine) -> None:
    a, b = world.structure("Mission locale"), world.structure("Adie")
    alice, bruno = world.device(a), world.device(b)
    chief = world.device(b, is_admin=True)
    mentee = alice.create("mentee", MENTEE)
    mentor = alice.create("mentor", MENTOR)
    alice.push(mentee, mentor)
    assert mentee["record_id"] not in _records_seen(bruno)
    assert mentor["record_id"] in _records_seen(bruno)  # the mentor pool is shared
    assert {mentee["record_id"], mentor["record_id"]} <= _records_seen(chief)
    # Bruno's batch: his own edits apply, the ones on Alice's mentee are refused.
    own = bruno.create("mentee", {**MENTEE, "first_name": "Inès"})
    steal = bruno.update(mentee, {"notes": "lu par une autre structure"})
    tandem = bruno.create("tandem", {"mentor_id": mentor["record_id"], "mentee_id": mentee["record_id"]})
    pool = bruno.update(mentor, {"employer": "Airbus Helicopters"})
    results = bruno.push(own, steal, tandem, pool)["results"]
    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None), ("refused", "forbidden"), ("refused", "forbidden"), ("applied", None)]
    assert "autre structure" in results[1]["message"]
    seen_by_alice = alice.records()
    assert own["record_id"] not in seen_by_alice and tandem["record_id"] not in seen_by_alice
    assert "notes" not in seen_by_alice[mentee["record_id"]]
    assert seen_by_alice[mentor["record_id"]]["employer"] == ("Airbus Helicopters", pool["hlc"])
    # A batch made only of another structure's records is a forbidden request: 403, nothing written.
    before = row_counts(engine)
    response = bruno.push_raw([steal, bruno.delete(mentee)])
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert [r["code"] for r in response.json()["results"]] == ["forbidden", "forbidden"]
    assert row_counts(engine) == before
    # The administrator sees and writes every structure's records.
    assert chief.push(chief.update(mentee, {"notes": "suivi par le hub"}))["results"][0]["status"] == "applied"
    assert alice.records()[mentee["record_id"]]["notes"][0] == "suivi par le hub"


def test_an_overbooked_mentor_is_flagged_to_both_structures(world: World) -> None:
    a, b, c = world.structure("CCIMP"), world.structure("Mission locale"), world.structure("France Travail")
    alice, bruno, carla = world.device(a), world.device(b), world.device(c)
    old_client = world.device(a, protocol=1)
    mentor = alice.create("mentor", {**MENTOR, "capacity": 1})
    alice.push(mentor)
    # Each structure gives the mentor's last free place, offline.
    tandems = []
    for device in (alice, bruno):
        mentee = device.create("mentee", MENTEE)
        tandem = device.create("tandem", {"mentor_id": mentor["record_id"], "mentee_id": mentee["record_id"],
                                          "status": "proposed"})
        tandems.append(tandem)
        answer = device.push(mentee, tandem)
        assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert alice.push()["flags"] == []  # (an empty batch)
    flags = answer["flags"]
    assert len(flags) == 1 and flags[0]["type"] == "mentor_overbooked"
    assert (flags[0]["mentor_id"], flags[0]["capacity"], flags[0]["tandems"]) == (mentor["record_id"], 1, 2)
    for device in (alice, bruno):
        pulled = [e["flag"] for e in device.pull_all()[0] if e["type"] == "flag"]
        assert [f["id"] for f in pulled] == [flags[0]["id"]]
    assert not [e for e in carla.pull_all()[0] if e["type"] == "flag"]
    assert not [e for e in old_client.pull_all()[0] if e["type"] == "flag"]  # protocol 1: no flags
    # Pushing again without changing the state repeats no flag; ending a tandem settles it.
    again = bruno.push(bruno.update(tandems[1], {"objectives": "Trouver un apprentissage"}))
    assert [f["id"] for f in again["flags"]] == [flags[0]["id"]]
    assert len([e for e in alice.pull_all()[0] if e["type"] == "flag"]) == 1
    end = alice.update(tandems[0], {"status": "ended", "outcome": "job"})
    assert alice.push(end)["flags"] == []


def _expected_summary(device: Device) -> dict:
    """What GET /v1/summary must say, rebuilt from the device's own pull of the feed (at its cursor)."""
    kinds: dict[str, str] = {}
    entries, cursor = device.pull_all()
    for entry in entries:
        if entry["type"] == "record":
            kinds[entry["record_id"]] = entry["kind"]
    state = device.records()
    counts, digests = {}, {}
    for kind in KINDS:
        lines = sorted(
            rid + "".join(f"|{name}={fields[name][1]}" for name in sorted(fields))
            for rid, fields in state.items() if kinds[rid] == kind and not fields.get("deleted", (False,))[0])
        counts[kind] = len(lines)
        digests[kind] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return {"seq": cursor, "counts": counts, "digests": digests}


def test_summary_counts_and_digests_cover_the_device_scope(world: World) -> None:
    a, b = world.structure(), world.structure()
    alice, bruno, chief = world.device(a), world.device(b), world.device(a, is_admin=True)
    ops = [alice.create("mentor", MENTOR), alice.create("mentee", MENTEE), alice.create("mentee", MENTEE)]
    ops.append(alice.delete(ops[2]))
    ops.append(alice.update(ops[1], {"commune": "Marseille 3e"}))
    alice.push(*ops)
    bruno.push(bruno.create("mentee", MENTEE))
    for device in (alice, bruno, chief):
        summary = device.summary()
        assert summary == _expected_summary(device)
        assert device.summary() == summary  # cached, same answer
    assert alice.summary()["counts"]["mentee"] == 1 and bruno.summary()["counts"]["mentee"] == 1
    assert chief.summary()["counts"]["mentee"] == 2
    assert alice.summary()["counts"]["mentor"] == bruno.summary()["counts"]["mentor"] == 1
    assert alice.summary()["counts"]["structure"] == 2  # structures and counsellors come from the hub
    assert set(alice.summary()["counts"]) == set(KINDS)
