"""What a device may make the hub store (issue 9 red team, findings 2, 3 and 5), over real HTTP on
SQLite and PostgreSQL: a record the domain would refuse as incomplete, a second write under an op id
already used in the batch, a base version the hub never gave out — each is refused per op with a
French message, nothing written, and the rest of the batch goes on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tandem_desktop.domain.ids import new_id
from tandem_desktop.hub import admin
from tandem_desktop.hub.db import writing

from .helpers import MENTEE, MENTOR, Device, World, row_counts

NBSP = "\u00a0"


def _one(device: Device, op: dict[str, Any]) -> dict[str, Any]:
    [result] = device.push(op)["results"]
    return result


def _tandem_parts(device: Device) -> tuple[str, str]:
    mentor, mentee = device.create("mentor", MENTOR), device.create("mentee", MENTEE)
    assert [r["status"] for r in device.push(mentor, mentee)["results"]] == ["applied", "applied"]
    return mentor["record_id"], mentee["record_id"]


# name -> (kind, fields of the create, labels the message names)
INCOMPLETE: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "empty mentor": ("mentor", {}, ["Prénom", "Nom", "Capacité (mentorés en même temps)"]),
    "mentor with only a first name": ("mentor", {"first_name": "Solo"}, ["Nom", "Capacité (mentorés en même temps)"]),
    "tandem without mentor nor mentee": ("tandem", {"status": "active"}, ["Mentor", "Mentoré·e"]),
    "mentee without project type": ("mentee", {"first_name": "x", "last_name": "y", "status": "waiting"},
                                    ["Type de projet"]),
    "meeting without tandem": ("meeting", {"summary": "hello", "date": "2026-01-05"}, ["Tandem"]),
    "empty structure": ("structure", {}, ["Nom", "Type"]),
    "counsellor without structure": ("counsellor", {"first_name": "Ana", "last_name": "Lopez"}, ["Structure"]),
    "required field blank": ("mentor", {**MENTOR, "last_name": "   "}, ["Nom"]),
    "required field null": ("mentee", {**MENTEE, "project_type": None}, ["Type de projet"]),
}


@pytest.mark.parametrize("name", list(INCOMPLETE))
def test_an_incomplete_create_is_refused_and_never_served(world: World, engine: Engine, name: str) -> None:
    kind, fields, labels = INCOMPLETE[name]
    device = world.device(world.structure(), protocol=4)
    reader = world.device(world.structure(), protocol=4)
    before = row_counts(engine)
    op = device.create(kind, fields)
    result = _one(device, op)
    assert (result["status"], result["code"], result["retry"]) == ("refused", "invalid_value", False)
    message = result["message"]
    assert message.startswith(f"Fiche incomplète{NBSP}:") and "obligatoire" in message
    for label in labels:
        assert f"«{NBSP}{label}{NBSP}»" in message
    assert row_counts(engine) == before, "nothing written"
    assert op["record_id"] not in reader.records() and op["record_id"] not in device.records()


def test_a_complete_tandem_and_meeting_go_through(world: World) -> None:
    device = world.device(world.structure(), protocol=4)
    mentor_id, mentee_id = _tandem_parts(device)
    tandem = device.create("tandem", {"mentor_id": mentor_id, "mentee_id": mentee_id, "status": "proposed"})
    meeting = device.create("meeting", {"tandem_id": tandem["record_id"], "date": "2026-01-05"})
    assert [r["status"] for r in device.push(tandem, meeting)["results"]] == ["applied", "applied"]


def test_an_update_may_not_clear_a_required_field(world: World, engine: Engine) -> None:
    device = world.device(world.structure(), protocol=4)
    other = world.device(world.structure(), protocol=4)
    created = device.create("mentor", {**MENTOR, "first_name": "Req", "last_name": "Null"})
    device.push(created)
    before = row_counts(engine)
    for value in (None, "", "  "):
        result = _one(device, device.update(created, {"last_name": value, "employer": "RTM"}))
        assert (result["status"], result["code"]) == ("refused", "invalid_value")
        assert f"«{NBSP}Nom{NBSP}» est obligatoire" in result["message"]
        assert result["current"]["fields"] == {"last_name": "Null", "employer": None}  # the device puts it back
    assert row_counts(engine) == before
    assert other.records()[created["record_id"]]["last_name"][0] == "Null"
    # An update on a record the hub does not know creates it: it must be complete too.
    stray = device.op("update", "mentor", new_id(), {"phone": "06 12 34 56 78"})
    assert _one(device, stray)["code"] == "invalid_value"
    # Deleting, and editing other fields, stay as they were.
    assert _one(device, device.update(created, {"employer": "RTM"}))["status"] == "applied"
    assert _one(device, device.delete(created))["status"] == "applied"


def test_a_record_an_older_hub_took_incomplete_stays_fixable(world: World, engine: Engine) -> None:
    """Such a record may already be on a hub: edits of its other fields still go, filling a missing
    field goes, and it can be deleted — only clearing one more required field is refused."""
    device = world.device(world.structure(), protocol=4)
    legacy = new_id()
    with writing(engine) as (conn, last_seq):
        admin._publish(conn, last_seq, "mentor", legacy, {"first_name": "Solo", "capacity": 1})  # no last name
    version = device.records()[legacy]["first_name"][1]
    assert _one(device, device.op("update", "mentor", legacy, {"employer": "RTM"}))["status"] == "applied"
    cleared = _one(device, device.op("update", "mentor", legacy, {"capacity": None}, {"capacity": version}))
    assert cleared["code"] == "invalid_value" and "Capacité" in cleared["message"] and "Nom" not in cleared["message"]
    assert _one(device, device.op("update", "mentor", legacy, {"last_name": "Trouvé"}))["status"] == "applied"
    assert device.records()[legacy]["last_name"][0] == "Trouvé"
    half = new_id()
    with writing(engine) as (conn, last_seq):
        admin._publish(conn, last_seq, "mentor", half, {"first_name": "Demi"})  # neither name nor capacity
    assert _one(device, device.op("update", "mentor", half, {"last_name": "Pas"}))["status"] == "applied"
    assert _one(device, device.op("delete", "mentor", half, {"deleted": True}))["status"] == "applied"


def test_a_second_write_under_an_op_id_used_in_the_batch_is_refused(world: World, engine: Engine) -> None:
    device = world.device(world.structure(), protocol=4)
    first = device.create("mentor", {**MENTOR, "first_name": "D1"})
    second = {**device.create("mentor", {**MENTOR, "first_name": "D2"}), "op_id": first["op_id"]}
    later = device.update(second, {"employer": "après D2"})  # same record: waits behind it
    results = device.push(first, second, later)["results"]
    assert [(r["status"], r.get("code"), r.get("retry")) for r in results] == [
        ("applied", None, None), ("refused", "duplicate_op", True), ("refused", "held_back", True)]
    assert "Identifiant d’opération répété" in results[1]["message"]
    records = device.records()
    assert first["record_id"] in records and second["record_id"] not in records
    # Under its own id it goes; the first op sent again is still answered with its own outcome.
    renewed = {**second, "op_id": new_id()}
    assert [r["status"] for r in device.push(first, renewed, later)["results"]] == ["applied"] * 3
    assert device.records()[second["record_id"]]["employer"][0] == "après D2"


@pytest.mark.parametrize("base", ["junk", "9999999999999-99999-x", "0000000000000-00000-"])
def test_a_base_version_the_hub_never_gave_is_refused(world: World, engine: Engine, base: str) -> None:
    device = world.device(world.structure(), protocol=4)
    created = device.create("mentor", MENTOR)
    device.push(created)
    before = row_counts(engine)
    result = _one(device, device.op("update", "mentor", created["record_id"], {"last_name": "Q"},
                                    {"last_name": base}))
    assert (result["status"], result["code"], result["retry"]) == ("refused", "invalid_base", False)
    assert f"«{NBSP}last_name{NBSP}»" in result["message"] and "version donnée par le hub" in result["message"]
    assert result["current"]["fields"] == {"last_name": MENTOR["last_name"]}
    assert row_counts(engine) == before, "neither applied nor logged as a conflict"


def test_well_formed_bases_keep_their_meaning(world: World) -> None:
    """A base the hub holds fast-forwards; a well-formed older one is a concurrent edit (both values
    kept), as before."""
    device = world.device(world.structure(), protocol=4)
    created = device.create("mentor", MENTOR)
    device.push(created)
    assert _one(device, device.update(created, {"last_name": "Suite"}))["status"] == "applied"
    stale = device.op("update", "mentor", created["record_id"], {"last_name": "Ancienne"},
                      {"last_name": "1234567890123-12345-x"})
    assert _one(device, stale)["status"] == "conflict"
