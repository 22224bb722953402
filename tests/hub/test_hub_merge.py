"""Push and merge over HTTP: idempotency, fast-forward, concurrent edits, deletes, validation."""

from __future__ import annotations

from sqlalchemy import Engine, text

from .helpers import MENTEE, MENTOR, World, row_counts

DAY_MS = 86_400_000


def _conflicts(entries: list[dict]) -> list[dict]:
    return [e["conflict"] for e in entries if e["type"] == "conflict"]


def test_the_same_batch_twice_is_applied_once_with_the_same_results(world: World, engine: Engine) -> None:
    device = world.device(world.structure())
    created = device.create("mentor", MENTOR)
    edit = device.update(created, {"employer": "CMA CGM"})
    first = device.push(created, edit)
    counts = row_counts(engine)
    second = device.push(created, edit)
    assert second == first
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    assert row_counts(engine) == counts
    # The same op twice in one batch, and an old op among new ones, are applied once too.
    another = device.update(edit, {"job_title": "Cheffe de projet"})
    third = device.push(another, another, edit)
    assert [r["status"] for r in third["results"]] == ["applied", "applied", "applied"]
    record = device.records()[created["record_id"]]
    assert record["job_title"] == ("Cheffe de projet", another["hlc"])
    assert row_counts(engine)["applied_ops"] == counts["applied_ops"] + 1


def test_fast_forward_and_different_fields_both_survive(world: World) -> None:
    structure = world.structure()
    laptop, desk = world.device(structure), world.device(structure)
    created = laptop.create("mentor", MENTOR)
    laptop.push(created)
    phone = laptop.update(created, {"phone": "0612345678"})
    employer = desk.update(created, {"employer": "La Poste"})
    assert laptop.push(phone)["results"][0]["status"] == "applied"
    assert desk.push(employer)["results"][0]["status"] == "applied"
    entries, _ = desk.pull_all()
    assert _conflicts(entries) == []
    record = desk.records()[created["record_id"]]
    assert record["phone"] == ("06 12 34 56 78", phone["hlc"])  # stored in the domain's form
    assert record["employer"] == ("La Poste", employer["hlc"])
    assert record["first_name"] == ("Hélène", created["hlc"])


def test_concurrent_edits_of_one_field_keep_the_later_arrival_and_one_conflict(world: World, engine: Engine) -> None:
    structure = world.structure()
    early = world.device(structure, skew_ms=DAY_MS)  # a clock a day ahead must not win by it
    late = world.device(structure, skew_ms=-365 * DAY_MS)
    created = early.create("mentee", MENTEE)
    early.push(created)
    first = early.update(created, {"trade": "Boulangerie"})
    second = late.update(created, {"trade": "Logistique"})
    assert first["hlc"] > second["hlc"]  # the late arrival has the "older" clock…
    assert early.push(first)["results"][0]["status"] == "applied"
    result = late.push(second)["results"][0]
    assert result["status"] == "conflict" and result["code"] == "concurrent_edit"
    for device in (early, late):  # …and still wins, the same for everyone
        assert device.records()[created["record_id"]]["trade"] == ("Logistique", second["hlc"])
    conflicts = _conflicts(early.pull_all()[0])
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert conflict["record_id"] == created["record_id"] and conflict["field"] == "trade"
    assert conflict["conflict_type"] == "concurrent_edit"
    assert (conflict["kept_value"], conflict["kept_version"], conflict["kept_device"]) == \
        ("Logistique", second["hlc"], late.id)
    assert (conflict["lost_value"], conflict["lost_version"], conflict["lost_device"]) == \
        ("Boulangerie", first["hlc"], early.id)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM conflicts")).scalar_one() == 1
    # Reversing is an ordinary edit based on the winner's version.
    undo = early.update(second, {"trade": "Boulangerie"})
    assert early.push(undo)["results"][0]["status"] == "applied"
    assert late.records()[created["record_id"]]["trade"] == ("Boulangerie", undo["hlc"])


def test_the_same_value_reached_twice_is_no_conflict(world: World) -> None:
    structure = world.structure()
    one, two = world.device(structure), world.device(structure)
    created = one.create("mentor", MENTOR)
    one.push(created)
    one.push(one.update(created, {"capacity": 3}))
    assert two.push(two.update(created, {"capacity": 3}))["results"][0]["status"] == "applied"
    assert _conflicts(two.pull_all()[0]) == []


def test_an_edit_after_a_delete_is_kept_as_a_conflict_and_not_applied(world: World) -> None:
    structure = world.structure()
    deleter, editor = world.device(structure), world.device(structure)
    created = deleter.create("mentee", MENTEE)
    deleter.push(created)
    assert deleter.push(deleter.delete(created))["results"][0]["status"] == "applied"
    edit = editor.update(created, {"trade": "Coiffure", "commune": "Aubagne"})
    result = editor.push(edit)["results"][0]
    assert result["status"] == "conflict" and result["code"] == "edit_after_delete"
    record = editor.records()[created["record_id"]]
    assert record["deleted"][0] is True and "trade" not in record and "commune" not in record
    conflicts = _conflicts(editor.pull_all()[0])
    assert {c["field"]: c["lost_value"] for c in conflicts} == {"trade": "Coiffure", "commune": "Aubagne"}
    assert {c["conflict_type"] for c in conflicts} == {"edit_after_delete"}
    assert all(c["lost_device"] == editor.id and c["lost_version"] == edit["hlc"] for c in conflicts)
    assert editor.summary()["counts"]["mentee"] == 0


def test_invalid_operations_are_refused_one_by_one_and_the_rest_applies(world: World, engine: Engine) -> None:
    device = world.device(world.structure())
    good = device.create("mentor", MENTOR)
    unknown_kind = device.create("licorne", {"name": "x"})
    unknown_field = device.create("mentor", {**MENTOR, "salaire": 10})
    bad_value = device.create("mentor", {**MENTOR, "capacity": "beaucoup"})
    bad_email = device.create("mentor", {**MENTOR, "email": "pas-une-adresse"})
    bad_id = {**device.create("mentor", MENTOR), "record_id": "42"}
    nested = device.create("mentor", {**MENTOR, "notes": {"a": 1}})
    other_kind = {**device.create("mentee", MENTEE), "record_id": good["record_id"]}
    answer = device.push(good, unknown_kind, unknown_field, bad_value, bad_email, bad_id, nested, other_kind)
    statuses = [(r["status"], r.get("code")) for r in answer["results"]]
    assert statuses == [("applied", None), ("refused", "unknown_kind"), ("refused", "unknown_field"),
                        ("refused", "invalid_value"), ("refused", "invalid_value"), ("refused", "invalid_id"),
                        ("refused", "invalid_value"), ("refused", "kind_mismatch")]
    messages = [r["message"] for r in answer["results"][1:]]
    assert "Type de fiche inconnu" in messages[0] and "salaire" in messages[1]
    assert "Capacité" in messages[2] and "entier" in messages[2] and "e-mail" in messages[3]
    assert all("\u00a0:" in m for m in messages[:4])
    assert not set(device.records()) & {op["record_id"] for op in (unknown_field, bad_value, bad_email, bad_id)}
    assert device.summary()["counts"]["mentor"] == 1
    with engine.connect() as conn:  # refused operations are not remembered: sent again, refused again
        assert conn.execute(text("SELECT count(*) FROM applied_ops")).scalar_one() == 1
    assert device.push(bad_value)["results"][0]["code"] == "invalid_value"


def test_create_update_and_delete_in_one_batch_of_a_record_the_hub_never_saw(world: World) -> None:
    device = world.device(world.structure())
    created = device.create("mentor", MENTOR)
    edit = device.update(created, {"capacity": 2})
    gone = device.delete(edit)
    assert [r["status"] for r in device.push(created, edit, gone)["results"]] == ["applied"] * 3
    record = device.records()[created["record_id"]]
    assert record["capacity"] == (2, edit["hlc"]) and record["deleted"] == (True, gone["hlc"])
