"""Consent in matching: a withdrawn or expired consent takes the person out at once, and the deck and
the batch say which it is (« Consentement retiré le … », « … à renouveler depuis le … »)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from tandem_desktop.domain import consent as domain_consent
from tandem_desktop.matching import consent as matching_consent
from tandem_desktop.matching.plain import PlainScorer
from tandem_desktop.matching.score import score_block
from tandem_desktop.reference import load_reference
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.matching import MatchingService
from tandem_desktop.services.records import Actor, Records

from .test_matching import mentee, mentor

REF = load_reference()
NBSP = "\u00a0"


def test_withdrawing_a_mentees_consent_removes_them_at_once_and_says_when(store) -> None:  # type: ignore[no-untyped-def]
    tutor, other = mentor(store), mentor(store, first_name="Paul", employer="La Poste")
    learner = mentee(store)
    records = Records(store, Actor())
    service = MatchingService(store, REF, records)
    assert {c.id for c in service.suggest_for_mentee(learner).candidates} == {tutor, other}
    assert service.suggest_for_mentee(learner).subject_consent == ""
    rebuilds = service.rebuilds

    records.update("mentee", learner, {"consent_given": False})
    found = service.suggest_for_mentee(learner)
    day = store.today().strftime("%d/%m/%Y")
    assert found.candidates == [] and found.excluded == {"no_consent": 2}
    assert found.subject_consent == f"Consentement retiré le {day}"
    assert service.rebuilds == rebuilds, "the rows written were updated, nothing read again"
    assert [c.id for c in service.suggest_for_mentor(tutor).candidates] == [], "out of the mentor's deck too"

    proposal = service.propose([learner])
    [left] = proposal.unmatched
    assert left.code == "no_possible_mentor"
    assert left.reason == (f"Aucun des 2{NBSP}mentors n’est possible{NBSP}: consentement retiré le {day} "
                           f"(2{NBSP}mentors)")

    data = service.data([learner])
    block = score_block(data, service.settings(), rows=np.array([data.mentees.row[learner]]))
    assert service.explainer(data).reasons(block, 0, 0) == [
        {"code": "no_consent", "label": f"Consentement retiré le {day} (mentoré·e)"}]

    records.update("mentee", learner, {"consent_given": True})
    assert {c.id for c in service.suggest_for_mentee(learner).candidates} == {tutor, other}, "given again: back"


def test_an_expired_consent_excludes_from_the_renewal_day_on_without_any_write(store) -> None:  # type: ignore[no-untyped-def]
    today = store.today()
    tutor = mentor(store, consent_date=(today - timedelta(days=40)).isoformat(),
                   consent_renewal=(today + timedelta(days=1)).isoformat())
    learner = mentee(store)
    service = MatchingService(store, REF)
    assert [c.id for c in service.suggest_for_mentee(learner).candidates] == [tutor]
    store.today = lambda: today + timedelta(days=1)  # the next morning: the renewal day is reached
    found = service.suggest_for_mentee(learner)
    assert found.candidates == [] and found.excluded == {"no_consent": 1}
    assert found.excluded_consent == {"expired": 1}, "the mentor's consent, not the mentee's"
    renewal = (today + timedelta(days=1)).strftime("%d/%m/%Y")
    assert service.suggest_for_mentor(tutor).subject_consent == f"Consentement à renouveler depuis le {renewal}"
    proposal = service.propose([learner])
    assert proposal.unmatched[0].reason == (f"Le seul mentor n’est pas possible{NBSP}: consentement à renouveler "
                                            f"(1{NBSP}mentor)")


def test_the_mentors_left_out_for_consent_are_counted_by_reason(store) -> None:  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    withdrawn = mentor(store, first_name="Paul", employer="La Poste")
    records.update("mentor", withdrawn, {"consent_given": False})
    mentor(store, first_name="Zoé", employer="Airbus", consent_given=False)
    kept = mentor(store)
    learner = mentee(store)
    found = MatchingService(store, REF, records).suggest_for_mentee(learner)
    assert [c.id for c in found.candidates] == [kept]
    assert found.excluded == {"no_consent": 2}
    assert found.excluded_consent == {"missing": 1, "withdrawn": 1}
    assert found.as_dict()["excluded_consent"] == {"missing": 1, "withdrawn": 1}


def test_the_arrays_say_what_the_domain_says_of_every_consent(store) -> None:  # type: ignore[no-untyped-def]
    generate_demo(store, mentors=30, mentees=120, seed=5)
    records = Records(store, Actor())
    service = MatchingService(store, REF, records)
    data = service.data()
    before = store.get_many("mentee", data.mentees.ids)
    ids = [i for i in data.mentees.ids if before[i].get("consent_given")][:3]
    records.update("mentee", ids[0], {"consent_given": False})
    records.update("mentee", ids[1], {"consent_date": "2023-01-10"})  # renewal 2026-01-10: past
    records.update("mentee", ids[2], {"consent_given": True, "consent_date": "2026-11-01",
                                      "consent_renewal": "2027-11-01"})
    data = service.data()
    later = date(2027, 11, 1)
    mentees = store.get_many("mentee", data.mentees.ids)
    for today in (store.today(), later):
        plain = PlainScorer(REF, service.settings(), today)
        codes = matching_consent.consent_codes(data.mentees, np.arange(len(data.mentees.ids)), today)
        for row, record_id in enumerate(data.mentees.ids):
            state = matching_consent.consent_state(data.mentees, row, today)
            expected = domain_consent.state(mentees[record_id], today)
            assert state == expected and matching_consent.CONSENT_CODES[codes[row]] == expected.code, record_id
            assert bool(plain.reasons(mentees[record_id], {"id": "x", "consent_given": True, "capacity": 1}, 0,
                                      False) & 2) == (not expected.current)
    assert {matching_consent.consent_state(data.mentees, data.mentees.row[i], store.today()).code
            for i in ids[:3]} == {"withdrawn", "expired", "current"}
