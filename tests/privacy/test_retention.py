"""Retention (issue 13, point 4): rules per programme with the CNIL's two years by default, who is
due and why with a fake clock, bulk anonymisation that is audited, the mentors' attestation
d'honorabilité, and rules set by the hub's administrator that reach every device."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.domain.hlc import HybridClock
from tandem_desktop.domain.retention import (
    ANONYMISE,
    HONORABILITY,
    InvalidRules,
    Rules,
    add_months,
    parse_rules,
    retention_due,
)
from tandem_desktop.services.privacy import retention
from tandem_desktop.services.records import Actor, Records

from ..cli_run import ok, refused

DAY_MS = 86_400_000


def back_in_time(store, days: int) -> None:  # type: ignore[no-untyped-def]
    """The device's clock and calendar `days` ago (records made now look made then)."""
    store.clock = HybridClock(store.device_id, wall_ms=lambda: time.time_ns() // 1_000_000 - days * DAY_MS)
    store.today = lambda: date.today() - timedelta(days=days)


def test_the_rules_default_to_two_years_and_refuse_what_they_cannot_use() -> None:
    rules = Rules()
    assert {code: r.years for code, r in rules.programmes.items()} == {
        "job_search": 2, "business_creation": 2, "orientation": 2}
    assert rules.mentor.years == 2 and rules.programme("orientation").honorability
    assert parse_rules(rules.as_dict()) == rules
    for bad, message in (({"version": 2}, "version 1"),
                         ({"version": 1, "programmes": {"sorcellerie": {"years": 2}}}, "Programme inconnu"),
                         ({"version": 1, "programmes": {"job_search": {"years": 0}}}, "de 1 à 10 ans"),
                         ({"version": 1, "programmes": {"job_search": {"years": True}}}, "de 1 à 10 ans"),
                         ({"version": 1, "honorability_months": 0}, "de 1 à 60 mois")):
        with pytest.raises(InvalidRules, match=message):
            parse_rules(bad)
    day = date(2024, 2, 29)
    assert retention_due("mentee", "x", "job_search", day, False, date(2026, 2, 27), rules) is None
    due = retention_due("mentee", "x", "job_search", day, False, date(2026, 2, 28), rules)
    assert due is not None and due.what == ANONYMISE and due.since == date(2026, 2, 28)
    assert due.reason == ("Dernier contact le 29/02/2024\u00a0: plus de 2\u00a0ans "
                          "(règle du programme «\u00a0Recherche d’emploi\u00a0»).")
    assert retention_due("mentee", "x", "job_search", day, True, date(2030, 1, 1), rules) is None  # live tandem
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_who_is_due_why_and_their_bulk_anonymisation_with_a_fake_clock(store) -> None:  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    back_in_time(store, 3 * 365)
    old = records.create("mentee", {"first_name": "Ancien", "last_name": "Dossier", "phone": "0611223344",
                                    "postal_code": "13003", "birth_date": "2001-01-01"}).record_id
    followed = records.create("mentee", {"first_name": "Suivi", "last_name": "Récent"}).record_id
    in_tandem = records.create("mentee", {"first_name": "En", "last_name": "Tandem"}).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 3,
                                       "project_types": ["orientation"]}).record_id
    ended = records.create("tandem", {"mentor_id": mentor, "mentee_id": followed}).record_id
    live = records.create("tandem", {"mentor_id": mentor, "mentee_id": in_tandem}).record_id
    records.move_tandem(live, "accepted")  # (a proposal nobody took up is no ongoing contact)
    back_in_time(store, 0)
    records.update("mentor", mentor, {"honorability_on": (date.today() - timedelta(days=400)).isoformat()})
    records.create("meeting", {"tandem_id": ended, "date": (date.today() - timedelta(days=30)).isoformat()})
    records.move_tandem(ended, "ended", outcome="job")
    lines = retention.due(store, today=date.today())
    by_id = {line.due.record_id: line for line in lines}
    assert set(by_id) == {old, mentor}  # a recent meeting and a live tandem keep the others
    assert by_id[old].due.what == ANONYMISE and by_id[old].title == "Ancien Dossier"
    assert by_id[old].due.reason.startswith("Dernier contact le ") and "plus de 2\u00a0ans" in by_id[old].due.reason
    assert by_id[mentor].due.what == HONORABILITY and "expirée" in by_id[mentor].due.reason
    assert by_id[mentor].what == "Renouveler l’attestation"
    done = retention.anonymise(records, lines)
    assert [(e.kind, e.record_id, e.marker["reason"]) for e in done] == [("mentee", old, "retention")]
    erased = store.get("mentee", old, include_deleted=True)
    assert erased["phone"] is None and erased["erased"] == {"reason": "retention", "on": store.today().isoformat(),
                                                            "department": "13", "age_band": "18–25 ans"}
    assert store.get("mentor", mentor)["first_name"] == "Hélène"  # an attestation to renew erases nothing
    with store.reading() as conn:
        log = conn.exec_driver_sql("SELECT record_id, reason FROM erasures").all()
        history = conn.exec_driver_sql("SELECT action, changes FROM history WHERE record_id = ?", (old,)).all()
    assert [tuple(r) for r in log] == [(old, "retention")]
    assert ("erase", "{}") in [tuple(r) for r in history]
    assert {line.due.record_id for line in retention.due(store, today=date.today())} == {mentor}


def test_the_cli_lists_who_is_due_and_anonymises_only_when_confirmed(settings, profile, cli_env) -> None:  # type: ignore[no-untyped-def]
    store = profile.store
    back_in_time(store, 1000)
    old = Records(store, Actor()).create("mentee", {"first_name": "Ancien", "last_name": "Dossier"}).record_id
    profile.close()
    env = {**cli_env, "TANDEM_DATA_DIR": str(settings.data_dir)}
    listed = json.loads(ok(env, "privacy", "due", "--json"))
    assert [(d["kind"], d["id"], d["what"]) for d in listed] == [("mentee", old, "anonymise")]
    assert "Ancien Dossier" in ok(env, "privacy", "due") and "Anonymiser" in ok(env, "privacy", "due")
    assert "Rien n’a été anonymisé" in refused(env, "privacy", "due", "--anonymise", code=2)
    assert "1\u00a0personne anonymisée" in ok(env, "privacy", "due", "--anonymise", "--yes")
    assert json.loads(ok(env, "privacy", "due", "--json")) == []
    assert "anonymiser" in ok(env, "privacy", "due").lower()


def test_a_review_left_open_erases_nobody_who_is_no_longer_due(store) -> None:  # type: ignore[no-untyped-def]
    """What an attack found: the review's list, hours old, erased a person a sync had just put back
    in a tandem. Anonymise checks again at the moment it writes."""
    records = Records(store, Actor())
    back_in_time(store, 1000)
    old = records.create("mentee", {"first_name": "Ancien", "last_name": "Dossier"}).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2}).record_id
    back_in_time(store, 0)
    lines = retention.due(store, today=date.today())
    assert old in {line.due.record_id for line in lines}
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": old}).record_id
    records.move_tandem(tandem, "accepted")
    assert retention.anonymise(records, lines) == []  # both are in a live tandem now
    assert store.get("mentee", old)["first_name"] == "Ancien"


def test_deleted_people_are_reviewed_too_and_future_dates_are_no_contact(store) -> None:  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    back_in_time(store, 1000)
    gone = records.create("mentee", {"first_name": "Zoé", "last_name": "Supprimée",
                                     "email": "zoe@exemple.fr"}).record_id
    records.delete("mentee", gone)
    typo = records.create("mentee", {"first_name": "Date", "last_name": "Fausse"}).record_id
    back_in_time(store, 0)
    with store.transaction() as conn:  # a date from another device's wrong clock (a device refuses it)
        conn.exec_driver_sql("UPDATE mentee SET waiting_since = '2099-01-01' WHERE id = ?", (typo,))
    due = {line.due.record_id: line for line in retention.due(store, today=date.today())}
    assert {gone, typo} <= set(due) and due[gone].title == "Zoé Supprimée"
    retention.anonymise(records, [due[gone]])
    assert store.get("mentee", gone, include_deleted=True)["email"] is None
    with pytest.raises(ValidationError, match="futur"):
        records.update("mentee", typo, {"consent_given": True, "consent_date": "2062-01-05"})  # for 2026


def test_a_mentor_of_a_young_persons_tandem_needs_the_attestation_whatever_they_declared(store) -> None:  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    mentor = records.create("mentor", {"first_name": "Paul", "last_name": "Martin", "capacity": 2,
                                       "project_types": ["job_search"]}).record_id
    young = records.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "project_type": "orientation"})
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": young.record_id}).record_id
    records.move_tandem(tandem, "accepted")
    due = {line.due.record_id: line.due for line in retention.due(store, today=date.today())}
    assert due[mentor].what == HONORABILITY and "manquante" in due[mentor].reason
