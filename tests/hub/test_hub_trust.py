"""A hostile or broken device against the hub (issue 9): stamps far ahead or malformed, shared records
changed by another structure. Each refusal is per operation, writes nothing, and says whether the
device keeps the operation (`retry`)."""

from __future__ import annotations

import time

from sqlalchemy import Engine

from ..stamps import BOUND_MS
from .helpers import MENTOR, World, row_counts

POISON = "9999999999999-99999-x"


def _statuses(answer: dict) -> list[tuple[str, str | None, bool | None]]:
    return [(r["status"], r.get("code"), r.get("retry")) for r in answer["results"]]


def _codes(device, *ops: dict) -> list[str | None]:  # type: ignore[no-untyped-def]
    """Each op's refusal code (None: applied), whether the batch got 200 or 403 (all refused)."""
    response = device.push_raw(list(ops))
    assert response.status_code in (200, 403), response.text
    return [r.get("code") if r["status"] == "refused" else None for r in response.json()["results"]]


def _all_versions(device) -> set[str]:  # type: ignore[no-untyped-def]
    versions: set[str] = set()
    for entry in device.pull_all()[0]:
        if entry["type"] == "record":
            versions |= set(entry["versions"].values())
        elif entry["type"] == "field":
            versions.add(entry["version"])
        elif entry["type"] == "conflict":
            versions |= {entry["conflict"]["kept_version"], entry["conflict"]["lost_version"]} - {None}
    return versions


def test_a_stamp_far_ahead_is_refused_per_op_and_never_served(world: World, engine: Engine) -> None:
    structure = world.structure()
    attacker, honest = world.device(structure, protocol=4), world.device(structure, protocol=4)
    created = honest.create("mentor", MENTOR)
    honest.push(created)
    before = row_counts(engine)
    poisoned = {**attacker.update(created, {"employer": "Poison"}), "hlc": POISON}
    answer = attacker.push(poisoned)
    assert _statuses(answer) == [("refused", "clock_ahead", True)]
    assert "horloge du hub" in answer["results"][0]["message"]
    assert row_counts(engine) == before  # nothing written
    just_inside = {**attacker.update(created, {"phone": "0611223344"}),
                   "hlc": f"{time.time_ns() // 1_000_000 + BOUND_MS - 60_000:013d}-00000-{attacker.id}"}
    assert _statuses(attacker.push(just_inside)) == [("applied", None, None)]  # the bound, not less
    assert POISON not in _all_versions(honest)
    assert honest.push(honest.update(created, {"employer": "La Poste"}))["results"][0]["status"] == "applied"
    assert honest.records()[created["record_id"]]["employer"][0] == "La Poste"


def test_malformed_stamps_are_refused(world: World, engine: Engine) -> None:
    device = world.device(world.structure(), protocol=4)
    now = time.time_ns() // 1_000_000
    bad = [f"{now:014d}-00000-x", f"{now:013d}-100000-x", f"{now:013d}-00000-", f"{now:013d}-00000-a\x00b",
           f"{now:013d}-00000-a b", "demain", f"{now:013d}-00000-\u202egpj"]
    ops = [{**device.create("mentor", MENTOR), "hlc": stamp} for stamp in bad]
    before = row_counts(engine)
    answer = device.push(*ops)
    assert set(_statuses(answer)) == {("refused", "invalid_hlc", True)}
    assert row_counts(engine) == before


def test_later_ops_of_a_record_wait_behind_one_that_is_retried(world: World, engine: Engine) -> None:
    device = world.device(world.structure(), protocol=4)
    created = device.create("mentor", MENTOR)
    device.push(created)
    first = {**device.update(created, {"employer": "A", "phone": "0600000001"}), "hlc": POISON}
    second = device.update(created, {"employer": "B"})
    other = device.create("mentor", {**MENTOR, "last_name": "Autre"})
    assert _statuses(device.push(first, second, other)) == [
        ("refused", "clock_ahead", True), ("refused", "held_back", True), ("applied", None, None)]
    record = device.records()[created["record_id"]]
    assert "employer" not in record and "phone" not in record
    # Sent again with a fresh stamp, in order: the later edit still wins.
    device.push({**first, "hlc": str(device.clock.now())}, second)
    record = device.records()[created["record_id"]]
    assert record["employer"][0] == "B" and record["phone"][0] == "06 00 00 00 01"


def test_an_older_client_with_a_stamp_out_of_bounds_is_told_to_update(world: World, engine: Engine) -> None:
    """Protocol 3 clients drop refused operations: their batch is refused whole (426), outbox kept."""
    device = world.device(world.structure(), protocol=3)
    before = row_counts(engine)
    response = device.push_raw([device.create("mentor", MENTOR), {**device.create("mentor", MENTOR), "hlc": POISON}])
    assert response.status_code == 426 and response.json()["error"] == "upgrade_required"
    assert "horloge" in response.json()["message"]
    assert row_counts(engine) == before
    assert device.push(device.create("mentor", MENTOR))["results"][0]["status"] == "applied"


def test_a_structure_and_its_counsellors_are_changed_only_by_their_devices(world: World, engine: Engine) -> None:
    a, b = world.structure("Mission locale"), world.structure("Adie")
    alice, bruno = world.device(a, protocol=4), world.device(b, protocol=4)
    chief = world.device(b, is_admin=True, protocol=4)
    counsellor = alice.enrollment["counsellor_id"]
    before = row_counts(engine)
    attacks = [alice.op("update", "structure", a, {"name": "Piratée"}),  # ops of bruno, built with alice's helper
               alice.op("update", "structure", a, {"email": "pirate@exemple.fr"}),
               alice.op("update", "counsellor", counsellor, {"structure_id": b}),
               alice.op("update", "counsellor", counsellor, {"last_name": "Usurpé"}),
               alice.op("delete", "structure", a, {"deleted": True})]
    response = bruno.push_raw(attacks)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    results = response.json()["results"]
    assert {(r["status"], r["code"], r["retry"]) for r in results} == {("refused", "not_owner", False)}
    assert "ses propres postes" in results[0]["message"] and "administrateur" in results[2]["message"]
    assert row_counts(engine) == before
    # Mixed with an allowed op, each is refused on its own and the rest applies.
    mentor = bruno.create("mentor", MENTOR)
    assert _codes(bruno, attacks[0], mentor) == ["not_owner", None]
    # The structure's own devices may change it; moving a counsellor takes an administrator.
    assert _statuses(alice.push(alice.op("update", "structure", a, {"email": "accueil@ml.fr"}),
                                alice.op("update", "counsellor", counsellor, {"phone": "0491000000"}))) == \
        [("applied", None, None)] * 2
    assert _codes(alice, alice.op("update", "counsellor", counsellor, {"structure_id": b})) == ["not_owner"]
    assert _codes(chief, chief.op("update", "counsellor", counsellor, {"structure_id": b})) == [None]
    state = bruno.records()
    assert state[a]["name"][0] == "Mission locale 1" and state[a]["email"][0] == "accueil@ml.fr"
    assert state[counsellor]["structure_id"][0] == b and state[counsellor]["last_name"][0] != "Usurpé"


def test_records_a_device_creates_belong_to_its_structure(world: World) -> None:
    a, b = world.structure("Mission locale"), world.structure("Adie")
    alice, bruno = world.device(a, protocol=4), world.device(b, protocol=4)
    partner = bruno.create("structure", {"name": "Point d’accueil", "type": "association"})
    person = {"first_name": "Inès", "last_name": "Haddad"}
    colleague = bruno.create("counsellor", {**person, "structure_id": partner["record_id"]})
    intruder = alice.create("counsellor", {**person, "structure_id": a})
    into_b = alice.create("counsellor", {**person, "structure_id": partner["record_id"]})
    assert [r["status"] for r in bruno.push(partner, colleague)["results"]] == ["applied", "applied"]
    assert _codes(alice, intruder, into_b) == [None, "not_owner"]
    assert _codes(bruno, bruno.update(partner, {"commune": "Aubagne"})) == [None]
    assert _codes(alice, alice.update(partner, {"commune": "Pirate"})) == ["not_owner"]
    assert _codes(alice, alice.update(colleague, {"email": "x@exemple.fr"})) == ["not_owner"]


def test_the_mentor_pool_is_edited_by_all_and_deleted_by_its_structure(world: World) -> None:
    a, b = world.structure("Mission locale"), world.structure("Adie")
    alice, bruno = world.device(a, protocol=4), world.device(b, protocol=4)
    chief = world.device(b, is_admin=True, protocol=4)
    shared = alice.create("mentor", MENTOR)
    alice.push(shared)
    assert bruno.push(bruno.update(shared, {"employer": "CMA CGM"}))["results"][0]["status"] == "applied"
    response = bruno.push_raw([bruno.delete(shared)])
    refused = response.json()["results"][0]
    assert (refused["code"], refused["retry"]) == ("not_owner", False) and "inactif" in refused["message"]
    assert not bruno.records()[shared["record_id"]].get("deleted", (False,))[0]
    assert alice.push(alice.delete(shared))["results"][0]["status"] == "applied"
    again = alice.create("mentor", MENTOR)
    alice.push(again)
    assert chief.push(chief.delete(again))["results"][0]["status"] == "applied"
