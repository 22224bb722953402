"""Hostile values inside well-formed pushes and enrollments (issue 9, points 3, 5 and 9), over real
HTTP on SQLite and PostgreSQL: each is refused with a French message — the op alone (200, `refused`)
or the whole request (400) — nothing is written, nothing is echoed raw, and the hub goes on serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tandem_desktop.domain.ids import new_id
from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.hub.checks import Refused, validate

from .helpers import MENTEE, MENTOR, Device, World, row_counts

NUL_HLC = "1700000000000-00000-dev\x00ice"
ESC_NAME = "Ctl\x1b[31mRED\x07"
BIDI_NAME = "\u202egpj.exe"
HUGE_LISTS = {name: [f"{name}-" + "x" * 130_000] for name in (
    "skills", "languages", "availability", "needs", "excluded_employers", "excluded_mentors", "declined_mentors")}
BIG_TEXTS = {"notes": "é" * 20_000, "project": "è" * 20_000}  # each within its bound, 80 kB together


def _mentee(device: Device, **changes: Any) -> dict[str, Any]:
    return device.create("mentee", {**MENTEE, **changes})


def _mentor(device: Device, **changes: Any) -> dict[str, Any]:
    return device.create("mentor", {**MENTOR, **changes})


# name -> (op maker, refusal code, words of the French message)
REFUSED_OPS: dict[str, tuple[Callable[[Device], dict[str, Any]], str, str]] = {
    "date given an int": (lambda d: _mentee(d, birth_date=20000101), "invalid_value", "Date invalide"),
    "date given a float": (lambda d: _mentee(d, birth_date=1.5), "invalid_value", "Date invalide"),
    "date given a list": (lambda d: _mentee(d, birth_date=["2000-01-01"]), "invalid_value", "Date invalide"),
    "date given a boolean": (lambda d: _mentee(d, waiting_since=True), "invalid_value", "Date invalide"),
    "boolean given a float": (lambda d: _mentor(d, active=0.5), "invalid_value", "oui ou non"),
    "boolean given a list": (lambda d: _mentor(d, consent_given=["oui"]), "invalid_value", "oui ou non"),
    "boolean given 2": (lambda d: _mentor(d, active=2), "invalid_value", "oui ou non"),
    "choice given an int": (lambda d: _mentee(d, project_type=1), "invalid_value", "Choix invalide"),
    "choice given a list": (lambda d: _mentee(d, project_type=["job_search"]), "invalid_value", "Choix invalide"),
    "int given a float": (lambda d: _mentor(d, capacity=2.0), "invalid_value", "entier"),
    "int given a boolean": (lambda d: _mentor(d, capacity=True), "invalid_value", "entier"),
    "text given a list": (lambda d: _mentor(d, employer=["Airbus"]), "invalid_value", "Texte attendu"),
    "list given an object": (lambda d: _mentor(d, skills={"a": "b"}), "invalid_value", "Liste de textes"),
    "list of lists": (lambda d: _mentor(d, skills=[["a"]]), "invalid_value", "Liste de textes"),
    "escape sequence in a name": (lambda d: _mentee(d, first_name=ESC_NAME), "invalid_value", "U+001B"),
    "bidi override in a name": (lambda d: _mentor(d, last_name=BIDI_NAME), "invalid_value", "U+202E"),
    "NUL in a note": (lambda d: _mentee(d, notes="a\x00b"), "invalid_value", "U+0000"),
    "C1 control in a list item": (lambda d: _mentor(d, skills=["vente\x9b"]), "invalid_value", "U+009B"),
    "NUL in a reference": (lambda d: _mentee(d, structure_id="\x00" * 36), "invalid_value", "Identifiant"),
    "seven lists of 130,000 characters": (lambda d: _mentee(d, **HUGE_LISTS), "invalid_value", "trop long"),
    "a list of 51 items": (lambda d: _mentor(d, skills=[f"s{i}" for i in range(51)]), "invalid_value",
                           "51 éléments, 50 au plus"),
    "a record over 64 KiB": (lambda d: _mentee(d, **BIG_TEXTS), "record_too_large", "64\u00a0Kio au plus"),
    "NUL in the hlc": (lambda d: {**_mentor(d), "hlc": NUL_HLC}, "invalid_hlc", "HLC"),
    "NUL in a base version": (lambda d: {**_mentor(d), "base_versions": {"capacity": NUL_HLC}}, "invalid_base",
                              "Versions de base"),
    "escape sequence in the kind": (lambda d: {**_mentor(d), "kind": "x\x1b[2J"}, "unknown_kind", "inconnu"),
    "escape sequence in a field name": (lambda d: d.create("mentor", {**MENTOR, "x\x1b[2J": 1}), "unknown_field",
                                        "inconnu"),
}


@pytest.mark.parametrize("name", list(REFUSED_OPS))
def test_a_hostile_value_refuses_its_op_alone(world: World, engine: Engine, name: str) -> None:
    make, code, words = REFUSED_OPS[name]
    device = world.device(world.structure(), protocol=4)  # before 4, a bad stamp refuses the batch (426)
    hostile, honest = make(device), device.create("mentor", MENTOR)
    before = row_counts(engine)
    response = device.push_raw([hostile])
    assert response.status_code == 200, response.text[:300]
    [result] = response.json()["results"]
    assert (result["status"], result["code"]) == ("refused", code), result
    assert words in result["message"]
    assert not any(ch in result["message"] for ch in "\x00\x1b\x07\u202e\x9b"), result["message"]
    assert len(result["message"]) < 2000
    assert row_counts(engine) == before
    assert device.push(honest)["results"][0]["status"] == "applied"


# name -> (request maker, words of the French message); each gets a 400 for the whole request
BAD_REQUESTS: dict[str, Callable[[World, Device, str], httpx.Response]] = {
    "NUL in op_id": lambda w, d, _: d.push_raw([{**d.create("mentor", MENTOR), "op_id": "op\x00id"}]),
    "NUL in record_id": lambda w, d, _: d.push_raw([{**d.create("mentor", MENTOR), "record_id": new_id() + "\x00"}]),
    "lone surrogate in a value": lambda w, d, _: d.http.post(
        "/v1/push", headers={**d.headers(), "Content-Type": "application/json"},
        content=b'{"ops": [{"op_id": "a", "action": "create", "kind": "mentor", "record_id": "b", '
                b'"changes": {"first_name": "\\ud800"}, "hlc": "1700000000000-00000-x"}]}'),
    "invalid UTF-8 in a value": lambda w, d, _: d.http.post(
        "/v1/push", headers=d.headers(), content=b'{"ops": [{"op_id": "\xff\xfe"}]}'),
    "NUL in a device name": lambda w, d, code: w.enroll_raw(code, name="Poste\x00"),
    "escape sequence in a device name": lambda w, d, code: w.enroll_raw(code, name="Poste\x1b[2J"),
    "bidi override in a device name": lambda w, d, code: w.enroll_raw(code, name="\u202eexe.Poste"),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_a_hostile_string_in_a_request_gets_400(world: World, engine: Engine, name: str) -> None:
    device = world.device(world.structure())
    device.push(device.create("mentor", MENTOR))
    code = world.code(device.structure_id)
    before = row_counts(engine)
    response = BAD_REQUESTS[name](world, device, code)
    assert response.status_code == 400, response.text[:300]
    body = response.json()
    assert body["error"] == "bad_request" and body["message"]
    assert not any(ch in body["message"] for ch in "\x00\x1b\u202e")
    assert row_counts(engine) == before
    assert device.push(device.create("mentor", MENTOR))["results"][0]["status"] == "applied"


def test_the_size_bound_is_on_the_merged_record(world: World) -> None:
    """Two edits each within bounds that together pass 64 KiB: the second is refused, the rest goes on."""
    device = world.device(world.structure())
    created = _mentee(device, notes="é" * 20_000)
    assert device.push(created)["results"][0]["status"] == "applied"
    grown = device.update(created, {"project": "è" * 20_000})
    assert device.push(grown)["results"][0]["code"] == "record_too_large"
    shrunk = device.update(created, {"notes": "court"})
    assert device.push(shrunk)["results"][0]["status"] == "applied"
    assert device.push(device.delete(shrunk))["results"][0]["status"] == "applied"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)
FIELD_NAMES = sorted({name for spec in KINDS.values() for name in spec.field_names} | {"deleted", "x"})
OPS = st.fixed_dictionaries({
    "op_id": st.text(min_size=1, max_size=64) | st.just(new_id()),
    "action": st.sampled_from(["create", "update", "delete", "x"]),
    "kind": st.sampled_from([*KINDS, "licorne"]),
    "record_id": st.sampled_from(["42", new_id()]),
    "changes": st.dictionaries(st.sampled_from(FIELD_NAMES), JSON, max_size=4),
    "base_versions": st.dictionaries(st.text(max_size=8), st.none() | st.text(max_size=20), max_size=2),
    "hlc": st.sampled_from(["1700000000000-00000-dev", "1700000000000-00000-d\x00v", "x"]),
})


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=OPS)
def test_the_hub_validation_only_ever_refuses(op: dict[str, Any]) -> None:
    """Whatever a device puts in a well-formed op, validate() parses it or raises Refused: nothing else."""
    try:
        spec, parsed = validate(op)
    except Refused as refusal:
        assert refusal.code and refusal.message and "\x00" not in refusal.message
        return
    assert set(parsed) <= {*spec.field_names, "deleted"}
