"""Two or more real devices and a real hub: round trips, merges, conflicts, clocks, scope, flags."""

from __future__ import annotations

import pytest

from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.sync.errors import SyncError

from .conftest import DAY_MS, outbox_rows, snapshot, sync_all

YEAR_MS = 365 * DAY_MS


def _values(profile, kind: str, record_id: str) -> dict:  # type: ignore[no-untyped-def]
    return {k: v for k, v in profile.store.get(kind, record_id).items() if k not in ("updated_hlc", "created_hlc")}


def test_two_devices_of_one_structure_round_trip(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2,
                                       "skills": "cuisine, gestion", "employer": "CMA CGM"})
    mentee = a.store.create("mentee", {"first_name": "Karim", "last_name": "Benali", "structure_id": structure})
    tandem = Records(a.store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    sync_all([a, b], rounds=1)
    assert _values(b, "tandem", tandem) == _values(a, "tandem", tandem)
    assert _values(b, "mentee", mentee)["status"] == "in_tandem"
    assert [m["id"] for m in b.store.find("mentor", sync_service_query("cuisine"))] == [mentor]
    b.store.update("mentee", mentee, {"notes": "Préfère le matin"})
    b.store.delete("tandem", tandem)
    b.store.update("mentor", mentor, {"employer": "RTM"})
    sync_all([b, a], rounds=1)
    assert a.store.get("mentee", mentee)["notes"] == "Préfère le matin"
    assert a.store.count("tandem") == 0 and a.store.get("mentor", mentor)["employer"] == "RTM"
    assert snapshot(a) == snapshot(b)
    assert outbox_rows(a) == outbox_rows(b) == 0
    for device in (a, b):
        assert sync_service.sync_now(device).mismatches == {}
        assert sync_service.list_conflicts(device) == []


def sync_service_query(text: str):  # type: ignore[no-untyped-def]
    from tandem_desktop.store.queries import ListQuery

    return ListQuery(search=text)


def test_edits_of_different_fields_merge_silently(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("CCI")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    sync_all([a, b], rounds=1)
    a.store.update("mentor", mentor, {"employer": "Airbus"})
    b.store.update("mentor", mentor, {"phone": "0612345678", "capacity": 3})
    sync_all([a, b], rounds=2)
    for device in (a, b):
        record = device.store.get("mentor", mentor)
        assert (record["employer"], record["phone"], record["capacity"]) == ("Airbus", "06 12 34 56 78", 3)
        assert sync_service.list_conflicts(device) == []
    assert snapshot(a) == snapshot(b)


def test_same_field_one_winner_everywhere_and_a_reversible_conflict(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Adie")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM"})
    sync_all([a, b], rounds=1)
    a.store.update("mentor", mentor, {"employer": "Airbus"})
    b.store.update("mentor", mentor, {"employer": "RTM"})
    sync_service.sync_now(a)
    report = sync_service.sync_now(b)  # reaches the hub later: wins
    assert report.conflicts_new == 1 and report.refused == 0
    sync_service.sync_now(a)
    assert a.store.get("mentor", mentor)["employer"] == b.store.get("mentor", mentor)["employer"] == "RTM"
    assert snapshot(a) == snapshot(b)
    [on_a], [on_b] = sync_service.list_conflicts(a), sync_service.list_conflicts(b)
    assert on_a.id == on_b.id and on_a.conflict_type == "concurrent_edit"
    assert (on_a.kept_value, on_a.lost_value) == ("RTM", "Airbus")
    assert on_a.kind_label == "Mentor" and on_a.field_label == "Employeur"
    assert on_a.record_label == "Hélène Durand" and on_a.reversible
    assert "Airbus" in on_a.description and "RTM" in on_a.description
    assert on_a.lost_by_me and on_b.kept_by_me
    done = sync_service.reverse_conflict(a, on_a.id)
    assert done.values == {"employer": "Airbus"} and done.changes.ids("mentor") == {mentor}  # what views refresh
    assert sync_service.list_conflicts(a) == [] and sync_service.list_conflicts(a, include_resolved=True)
    sync_all([a, b], rounds=1)
    assert a.store.get("mentor", mentor)["employer"] == b.store.get("mentor", mentor)["employer"] == "Airbus"
    assert len(sync_service.list_conflicts(b)) == 1  # the reversal was an ordinary edit: no new conflict
    assert sync_service.sync_now(b).mismatches == {}


def test_an_edit_against_a_delete_is_kept_in_the_conflicts(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    mentee = a.store.create("mentee", {"first_name": "Karim", "last_name": "Benali"})
    sync_all([a, b], rounds=1)
    a.store.delete("mentee", mentee)
    b.store.update("mentee", mentee, {"notes": "Rappeler lundi"})
    sync_service.sync_now(a)
    report = sync_service.sync_now(b)
    assert report.conflicts_new == 1
    sync_service.sync_now(a)
    for device in (a, b):
        assert device.store.count("mentee") == 0
        [conflict] = sync_service.list_conflicts(device)
        assert conflict.conflict_type == "edit_after_delete" and conflict.lost_value == "Rappeler lundi"
        assert not conflict.reversible and "supprimée" in conflict.description
    with pytest.raises(SyncError, match="supprimée"):
        sync_service.reverse_conflict(b, conflict.id)
    assert snapshot(a) == snapshot(b)


def _clock_scenario(world, skew_ms: int) -> dict:  # type: ignore[no-untyped-def]
    """Edits from a device whose clock is off by `skew_ms`; returns the final data by natural key."""
    structure = world.structure(f"Structure {skew_ms}")
    a, b = world.device(structure, f"a{skew_ms}"), world.device(structure, f"b{skew_ms}", skew_ms=skew_ms)
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "employer": "E0"})
    sync_all([a, b], rounds=1)
    b.store.update("mentor", mentor, {"employer": "B1", "phone": "0611111111"})
    a.store.update("mentor", mentor, {"employer": "A1", "capacity": 3})
    sync_service.sync_now(b)
    sync_service.sync_now(a)  # a arrives later: a wins the employer
    a.store.update("mentor", mentor, {"notes": "note de a"})
    b.store.update("mentor", mentor, {"notes": "note de b"})
    b.store.create("mentee", {"first_name": "Léa", "last_name": "Martin", "waiting_since": "01/10/2026"})
    sync_service.sync_now(a)
    sync_service.sync_now(b)  # b arrives later: b wins the notes
    sync_all([a, b], rounds=2)
    assert snapshot(a) == snapshot(b)
    result = {}
    for device in (a, b):
        record = device.store.get("mentor", mentor)
        [mentee] = device.store.find("mentee", sync_service_query("lea martin"))
        conflicts = sorted((c.field, c.kept_value, c.lost_value) for c in sync_service.list_conflicts(device)
                           if c.record_id == mentor)
        result[device is a] = ({k: record[k] for k in ("employer", "phone", "capacity", "notes")},
                               {k: mentee[k] for k in ("first_name", "last_name", "waiting_since", "status")},
                               conflicts)
    assert result[True] == result[False]
    return result[True]


@pytest.mark.parametrize("skew_ms", [DAY_MS, -DAY_MS, 7 * YEAR_MS, -3 * YEAR_MS])
def test_a_device_with_a_wrong_clock_gets_the_same_result(world, skew_ms: int) -> None:  # type: ignore[no-untyped-def]
    right = _clock_scenario(world, 0)
    wrong = _clock_scenario(world, skew_ms)
    assert wrong == right
    assert right[0] == {"employer": "A1", "phone": "06 11 11 11 11", "capacity": 3, "notes": "note de b"}
    assert right[2] == [("employer", "A1", "B1"), ("notes", "note de b", "note de a")]


def test_another_structures_mentees_never_reach_a_device(world) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = world.structure("Mission locale"), world.structure("Adie")
    a, b = world.device(s1, "a"), world.device(s2, "b")
    admin = world.device(s1, "admin", admin_role=True)
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 3})
    mentee_a = a.store.create("mentee", {"first_name": "Karim", "last_name": "Benali", "structure_id": s1})
    tandem_a = Records(a.store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee_a}).record_id
    sync_all([a, b], rounds=1)
    mentee_b = b.store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "structure_id": s2})
    Records(b.store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee_b})
    b.store.update("mentor", mentor, {"notes": "Vu par l’Adie"})
    sync_all([a, b, admin], rounds=2)
    seen_by_b = snapshot(b, deleted=True)
    assert mentee_a not in seen_by_b["mentee"] and tandem_a not in seen_by_b["tandem"]
    assert set(seen_by_b["mentee"]) == {mentee_b}
    assert set(snapshot(a, deleted=True)["mentee"]) == {mentee_a}
    assert a.store.get("mentor", mentor)["notes"] == "Vu par l’Adie"  # the mentor pool is shared
    assert set(snapshot(admin)["mentee"]) == {mentee_a, mentee_b}
    for device in (a, b, admin):
        assert sync_service.sync_now(device).mismatches == {}


def test_a_push_outside_the_scope_is_refused_and_the_rest_applies(world) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = world.structure("Mission locale"), world.structure("Adie")
    a, b = world.device(s1, "a"), world.device(s2, "b")
    mentee = a.store.create("mentee", {"first_name": "Karim", "last_name": "Benali", "notes": "confidentiel"})
    sync_service.sync_now(a)
    sync_service.sync_now(b)
    # b somehow holds a's mentee (an old copy): it may edit it locally, the hub refuses the edit.
    fields = {"first_name": "Karim", "last_name": "Benali", "project_type": "job_search", "status": "waiting"}
    page = [{"seq": 0, "type": "field", "kind": "mentee", "record_id": mentee, "field": name, "value": value,
             "version": f"0000000000001-00000-{a.device_id}"} for name, value in fields.items()]
    b.store.remote.apply_page(page, int(b.store.remote.state()["cursor"]))
    b.store.update("mentee", mentee, {"notes": "modifié par l’Adie"})
    mentor = b.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    report = sync_service.sync_now(b)
    assert (report.refused, report.pushed) == (1, 1)
    assert outbox_rows(b) == 0
    [refused] = sync_service.list_conflicts(b)
    assert refused.conflict_type == "refused" and refused.type_label == "Refusée par le hub"
    assert "autre structure" in refused.message and refused.lost_value == "modifié par l’Adie"
    assert refused.resendable and b.store.get("mentee", mentee)["notes"] == "modifié par l’Adie"  # kept here
    sync_service.sync_now(a)
    assert a.store.get("mentee", mentee)["notes"] == "confidentiel"
    assert a.store.get("mentor", mentor)["last_name"] == "Durand"
    # A batch made only of refused operations (the hub answers 403) is recorded the same way; sent
    # again from the conflict list, the write is refused again, and kept again.
    sent = sync_service.resend_conflict(b, refused.id)
    assert sent.values == {"notes": "modifié par l’Adie"} and sent.changes.ids("mentee") == {mentee}
    again = sync_service.sync_now(b)
    assert again.refused == 1 and outbox_rows(b) == 0 and len(sync_service.list_conflicts(b)) == 1
    b.store.update("mentee", mentee, {"notes": "encore"})
    again = sync_service.sync_now(b)
    assert again.refused == 1 and outbox_rows(b) == 0 and len(sync_service.list_conflicts(b)) == 2


def test_the_overbooking_flag_reaches_both_structures(world) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = world.structure("Mission locale"), world.structure("Adie")
    a, b = world.device(s1, "a"), world.device(s2, "b")
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 1})
    sync_all([a, b], rounds=1)
    for device, structure in ((a, s1), (b, s2)):  # each gives the last free place, offline
        mentee = device.store.create("mentee", {"first_name": "X", "last_name": "Y", "structure_id": structure})
        Records(device.store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee})
    sync_service.sync_now(a)
    assert sync_service.sync_now(b).flags == 1
    sync_service.sync_now(a)
    for device in (a, b):
        [flag] = [f for f in sync_service.list_flags(device) if not f.resolved]
        assert (flag.type, flag.mentor_id, flag.capacity, flag.tandems) == (
            "mentor_overbooked", mentor, 1, 2)
        assert "Hélène Durand" in flag.description
        assert sync_service.sync_status(device).flags_open == 1
