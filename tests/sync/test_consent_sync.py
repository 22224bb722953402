"""Structured consent through a real hub: who took it, the text version, the renewal date and a
withdrawal reach the other device of the structure, and the withdrawal takes the person out of its
matching too (the hub keeps each field's history like any other)."""

from __future__ import annotations

from datetime import timedelta

from tandem_desktop.domain import consent
from tandem_desktop.reference import load_reference
from tandem_desktop.services.matching import MatchingService
from tandem_desktop.services.records import Actor, Records

from .conftest import outbox_rows, snapshot, sync_all

FIELDS = ("consent_given", "consent_date", "consent_scope", "consent_by", "consent_text_version",
          "consent_renewal", "consent_withdrawn_on")


def _consent(profile, kind: str, record_id: str) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    record = profile.store.get(kind, record_id)
    return tuple(record.get(name) for name in FIELDS)


def test_consent_fields_and_a_withdrawal_sync_between_two_devices(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    counsellor = a.store.create("counsellor", {"first_name": "Nadia", "last_name": "Ferhat",
                                               "structure_id": structure})
    at_a = Records(a.store, Actor(counsellor, "Nadia Ferhat"))
    mentee = at_a.create("mentee", {"first_name": "Karim", "last_name": "Benali", "structure_id": structure,
                                    "consent_given": True, "consent_scope": ["processing", "photos"]}).record_id
    mentor = at_a.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2,
                                    "consent_given": True}).record_id
    sync_all([a, b], rounds=1)
    today = a.store.today().isoformat()
    renewal = consent.default_renewal(today)
    expected = (True, today, ["processing", "photos"], counsellor, consent.CURRENT_TEXT_VERSION, renewal, None)
    assert _consent(a, "mentee", mentee) == _consent(b, "mentee", mentee) == expected
    assert _consent(b, "mentor", mentor)[3:6] == (counsellor, consent.CURRENT_TEXT_VERSION, renewal)

    matching_b = MatchingService(b.store, load_reference(), Records(b.store, Actor()))
    assert [c.id for c in matching_b.suggest_for_mentee(mentee).candidates] == [mentor]

    Records(a.store, Actor(counsellor)).update("mentee", mentee, {"consent_given": False})  # withdrawn on a
    sync_all([a, b], rounds=1)
    withdrawn = _consent(b, "mentee", mentee)
    assert (withdrawn[0], withdrawn[-1]) == (False, today)
    found = matching_b.suggest_for_mentee(mentee)
    assert found.candidates == [] and found.subject_consent == f"Consentement retiré le {consent.day_text(today)}"

    # Edits of different consent fields on the two devices merge silently.
    later = (a.store.today() + timedelta(days=400)).isoformat()
    Records(b.store, Actor()).update("mentor", mentor, {"consent_renewal": later})
    Records(a.store, Actor()).update("mentor", mentor, {"consent_scope": ["processing", "hub_sharing"]})
    sync_all([a, b], rounds=2)
    for device in (a, b):
        record = device.store.get("mentor", mentor)
        assert (record["consent_renewal"], record["consent_scope"]) == (later, ["processing", "hub_sharing"])
    assert snapshot(a) == snapshot(b)
    assert outbox_rows(a) == outbox_rows(b) == 0
