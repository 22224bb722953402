"""Matching on a real encrypted profile: scores, explanations, hard constraints, proposals, decisions."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import numpy as np
import pytest

from tandem_desktop.domain.errors import DomainError
from tandem_desktop.matching import features
from tandem_desktop.matching.criteria import CRITERIA, DEFAULT_WEIGHTS, MatchingSettings, SettingsError, reasons_of
from tandem_desktop.matching.plain import PlainScorer
from tandem_desktop.matching.score import score_block
from tandem_desktop.reference import load_reference
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.matching import MatchingService
from tandem_desktop.store.queries import ListQuery

REF = load_reference()


def mentor(store, **values: Any) -> str:  # type: ignore[no-untyped-def]
    base = {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM", "trade_code": "M1203",
            "trade": "Comptabilité", "commune": "Marseille", "postal_code": "13001", "capacity": 2,
            "active": True, "consent_given": True, "skills": ["Relecture de CV", "Réseau professionnel"],
            "languages": ["français", "arabe"], "availability": ["lundi soir", "samedi matin"],
            "project_types": ["job_search"], "meeting_modes": ["in_person", "video"], "mobility_km": 15}
    return store.create("mentor", {**base, **values})


def mentee(store, **values: Any) -> str:  # type: ignore[no-untyped-def]
    base = {"first_name": "Inès", "last_name": "Benali", "project_type": "job_search", "trade_code": "M1203",
            "trade": "Comptabilité", "commune": "Marseille", "postal_code": "13003", "consent_given": True,
            "needs": ["Relecture de CV", "Préparation aux entretiens"], "languages": ["français"],
            "availability": ["lundi soir"], "meeting_modes": ["in_person"], "mobility_km": 10,
            "waiting_since": "2026-08-28"}
    return store.create("mentee", {**base, **values})


@pytest.fixture
def demo_store(store):  # type: ignore[no-untyped-def]
    generate_demo(store, mentors=60, mentees=300, seed=3)
    return store


def test_vectorised_scores_and_reasons_equal_the_plain_python_rules(demo_store) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(demo_store, REF)
    data = service.data()
    settings = service.settings()
    block = score_block(data, settings)
    plain = PlainScorer(REF, settings, demo_store.today())
    checked = 0
    mentees, mentors = demo_store.get_many("mentee", data.mentees.ids), demo_store.get_many("mentor", data.mentors.ids)
    for r, mentee_record in enumerate(mentees[i] for i in data.mentees.ids):
        for c, mentor_record in enumerate(mentors[i] for i in data.mentors.ids):
            paired = (mentee_record["id"], mentor_record["id"]) in data.paired
            expected = plain.contributions(mentee_record, mentor_record)
            assert block.contributions[:, r, c].tolist() == expected, (r, c)
            assert int(block.reasons[r, c]) == plain.reasons(mentee_record, mentor_record, int(data.load[c]), paired)
            checked += 1
    assert checked == len(data.mentees.ids) * len(data.mentors.ids) > 10_000
    assert (block.reasons == 0).sum() > 100  # enough possible pairs for the comparison to mean something


def test_contributions_add_up_to_the_score_and_every_excluded_pair_says_why(demo_store) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(demo_store, REF)
    data = service.data()
    block = score_block(data, service.settings())
    assert (block.contributions.sum(axis=0) == block.scores).all()
    assert block.scores.max() <= 1000 and block.scores.min() >= 0
    explainer = service.explainer(data)
    excluded = np.argwhere(block.reasons != 0)
    assert len(excluded) > 100
    for r, c in excluded[:500]:
        reasons = explainer.reasons(block, int(r), int(c))
        assert reasons and all(reason["label"] for reason in reasons)
    some = data.mentees.ids[0]
    for candidate in service.suggest_for_mentee(some, 10).candidates:
        tenths = [round(contribution.points * 10) for contribution in candidate.contributions]
        assert sum(tenths) == candidate.score_milli
        assert [c.code for c in candidate.contributions] == [c.code for c in CRITERIA]
        assert all(c.text and c.polarity in ("pour", "contre", "neutre") for c in candidate.contributions)


def test_same_data_same_result_byte_for_byte_whatever_the_load_order(demo_store) -> None:  # type: ignore[no-untyped-def]
    first = MatchingService(demo_store, REF)
    mentee_id = first.data().mentees.ids[5]
    one = json.dumps(first.suggest_for_mentee(mentee_id, 15).as_dict(), ensure_ascii=False)
    proposal = json.dumps(first.propose().as_dict(), ensure_ascii=False)
    second = MatchingService(demo_store, REF)
    assert json.dumps(second.suggest_for_mentee(mentee_id, 15).as_dict(), ensure_ascii=False) == one
    assert json.dumps(second.propose().as_dict(), ensure_ascii=False) == proposal
    # Records handed over in another order build the same arrays' answers.
    data = first.data()
    shuffled = list(demo_store.get_many("mentor", data.mentors.ids).values())
    random.Random(1).shuffle(shuffled)
    mentees = demo_store.get_many("mentee", data.mentees.ids)
    rebuilt = features.build(sorted(shuffled, key=lambda r: r["id"]), [mentees[i] for i in data.mentees.ids],
                             data.paired, REF, data.today)
    assert (score_block(rebuilt, first.settings()).scores == score_block(data, first.settings()).scores).all()


def test_sensitive_or_personal_fields_never_change_a_score(store) -> None:  # type: ignore[no-untyped-def]
    tutor = mentor(store)
    learner = mentee(store)
    service = MatchingService(store, REF)
    before = service.suggest_for_mentee(learner, 5).as_dict()["candidates"][0]["score"]
    store.update("mentee", learner, {"first_name": "Mohamed", "last_name": "Diallo", "birth_date": "1960-01-01",
                                     "notes": "Pratiquant, suivi médical en cours."})
    store.update("mentor", tutor, {"first_name": "Jean", "notes": "Origine : Comores."})
    assert service.suggest_for_mentee(learner, 5).as_dict()["candidates"][0]["score"] == before


@pytest.mark.parametrize(("change", "on", "code"), [
    ({"active": False}, "mentor", "mentor_inactive"),
    ({"consent_given": False}, "mentor", "no_consent"),
    ({"consent_given": False}, "mentee", "no_consent"),
    ({"capacity": 0}, "mentor", "no_capacity"),
    ({"employer": "cma  cgm"}, "mentee", "same_employer"),
    ({"excluded_employers": ["CMA CGM"]}, "mentee", "declared_conflict"),
    ({"required_language": "comorien"}, "mentee", "language"),
    ({"commune": "Toulon", "postal_code": "83000"}, "mentee", "too_far"),
])
def test_each_hard_constraint_excludes_the_pair_with_its_reason(store, change, on, code) -> None:  # type: ignore[no-untyped-def]
    tutor = mentor(store)
    learner = mentee(store)
    service = MatchingService(store, REF)
    assert [c.id for c in service.suggest_for_mentee(learner).candidates] == [tutor]
    store.update(on, tutor if on == "mentor" else learner, change)
    found = service.suggest_for_mentee(learner)
    assert found.candidates == [] and found.excluded.get(code) == 1, found.excluded
    if code == "too_far":  # the explanation names the distance
        data = service.data()
        block = score_block(data, service.settings(), rows=np.array([data.mentees.row[learner]]))
        [reason] = service.explainer(data).reasons(block, 0, 0)
        assert reason["label"].startswith("Trop loin") and "km" in reason["label"]


def test_declared_exclusion_decline_and_existing_tandem_are_hard_too(store) -> None:  # type: ignore[no-untyped-def]
    tutor, other = mentor(store), mentor(store, first_name="Paul", employer="RTM")
    learner = mentee(store, excluded_mentors=[tutor])
    service = MatchingService(store, REF)
    assert [c.id for c in service.suggest_for_mentee(learner).candidates] == [other]
    service.decline(learner, other)
    found = service.suggest_for_mentee(learner)
    assert found.candidates == [] and found.excluded == {"declared_conflict": 1, "declined": 1}
    service.reset_declines(learner)
    assert [c.id for c in service.suggest_for_mentee(learner).candidates] == [other]
    tandem = service.accept(learner, other).record_id
    assert store.get("tandem", tandem)["status"] == "proposed" and store.get("mentee", learner)["status"] == "in_tandem"
    assert service.suggest_for_mentee(learner).excluded.get("already_paired") == 1
    service.undo_accept(tandem)
    assert store.count("tandem") == 0 and store.get("mentee", learner)["status"] == "waiting"


def test_a_mentor_sees_the_waiting_mentees_that_fit_best(store) -> None:  # type: ignore[no-untyped-def]
    tutor = mentor(store)
    near = mentee(store, first_name="Léa")
    far_trade = mentee(store, first_name="Yanis", trade_code="A1203", trade="Espaces verts")
    mentee(store, first_name="Sarah", status="exited")
    found = MatchingService(store, REF).suggest_for_mentor(tutor, 10)
    assert [c.id for c in found.candidates] == [near, far_trade]
    assert found.candidates[0].score > found.candidates[1].score
    with pytest.raises(DomainError):
        MatchingService(store, REF).suggest_for_mentor("inconnu", 3)


def test_weights_are_settings_per_programme_with_a_reset(store) -> None:  # type: ignore[no-untyped-def]
    mentor(store)
    learner = mentee(store, trade_code="M1607", trade="Secrétariat")
    service = MatchingService(store, REF)
    before = service.suggest_for_mentee(learner).candidates[0].score
    assert DEFAULT_WEIGHTS["business_creation"]["trade"] < DEFAULT_WEIGHTS["job_search"]["trade"]
    service.save_settings(service.settings().with_weight("job_search", "trade", 0))
    changed = service.suggest_for_mentee(learner).candidates[0]
    assert changed.score != before and next(c for c in changed.contributions if c.code == "trade").points == 0
    assert service.reset_settings() == MatchingSettings()
    assert service.suggest_for_mentee(learner).candidates[0].score == before
    with pytest.raises(SettingsError, match="entre 0 et 10"):
        service.settings().with_weight("job_search", "trade", 11)
    assert MatchingSettings.from_json("{pas du json") == MatchingSettings()


def _brute_force(scores: np.ndarray, feasible: np.ndarray, capacity: np.ndarray) -> int:
    best = 0
    options = [[-1, *np.nonzero(feasible[i])[0].tolist()] for i in range(scores.shape[0])]
    for choice in itertools.product(*options):
        used = np.bincount([c for c in choice if c >= 0], minlength=len(capacity))
        if (used <= capacity).all():
            best = max(best, sum(int(scores[i, c]) for i, c in enumerate(choice) if c >= 0))
    return best


def test_proposals_never_break_a_constraint_and_are_optimal_without_spreading(demo_store) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(demo_store, REF)
    data = service.data()
    settings = service.settings()
    block = score_block(data, settings)
    for mode, spread in itertools.product(("best", "most"), (True, False)):
        proposal = service.propose(mode=mode, spread=spread, min_score=0.3)
        taken: dict[str, int] = {}
        for pair in proposal.pairs:
            r, c = data.mentees.row[pair.mentee_id], data.mentors.row[pair.mentor_id]
            assert block.reasons[r, c] == 0 and block.scores[r, c] >= 300 and pair.score_milli == block.scores[r, c]
            taken[pair.mentor_id] = taken.get(pair.mentor_id, 0) + 1
        for mentor_id, n in taken.items():
            assert n <= data.remaining[data.mentors.row[mentor_id]]
        assert len({p.mentee_id for p in proposal.pairs}) == len(proposal.pairs)
        assert all(u.reason for u in proposal.unmatched)
        assert len(proposal.pairs) + len(proposal.unmatched) == len(data.mentees.ids)
    # Small sub-problems of the real data: the proposal's total is the brute-force optimum.
    rng = random.Random(7)
    for _ in range(25):
        rows = sorted(rng.sample(range(len(data.mentees.ids)), 5))
        ids = [data.mentees.ids[r] for r in rows]
        proposal = service.propose(ids, mode="best", spread=False, min_score=0.2)
        feasible = (block.reasons[rows] == 0) & (block.scores[rows] >= 200)
        assert proposal.total_milli == _brute_force(block.scores[rows], feasible, data.remaining)


def test_a_proposal_writes_nothing_keeps_pins_and_accepting_is_all_or_nothing(store) -> None:  # type: ignore[no-untyped-def]
    good, fair = mentor(store, capacity=1), mentor(store, first_name="Paul", employer="RTM", capacity=1,
                                                    trade_code="M1607", commune="Aubagne", postal_code="13400")
    a, b = mentee(store, first_name="Léa"), mentee(store, first_name="Yanis")
    service = MatchingService(store, REF)
    free = service.propose()
    assert store.count("tandem") == 0 and len(free.pairs) == 2
    pinned = service.propose(pinned={b: good})
    assert {(p.mentee_id, p.mentor_id, p.pinned) for p in pinned.pairs} == {(b, good, True), (a, fair, False)}
    assert {row["mentor_id"]: row["remaining_after"] for row in pinned.capacity} == {good: 0, fair: 0}
    store.delete("mentor", fair)  # the proposal is now stale: one of its pairs cannot be created
    with pytest.raises(DomainError):
        service.accept_pairs([(b, good), (a, fair)])
    assert store.count("tandem") == 0 and store.get("mentee", b)["status"] == "waiting"
    assert service.accept_pairs([(b, good)]) and store.count("tandem", ListQuery(filters={"mentor_id": good})) == 1


def test_below_the_minimum_a_mentee_stays_unmatched_with_the_reason(store) -> None:  # type: ignore[no-untyped-def]
    mentor(store)
    learner = mentee(store, trade_code="A1203", trade="Espaces verts", needs=["Comptabilité"])
    proposal = MatchingService(store, REF).propose(min_score=0.95)
    [unmatched] = proposal.unmatched
    assert proposal.pairs == [] and unmatched.mentee_id == learner and unmatched.code == "below_minimum"
    assert "score minimum de 95,0" in unmatched.reason


def test_a_proposal_with_nobody_waiting_is_empty_not_a_crash(store) -> None:  # type: ignore[no-untyped-def]
    mentor(store)
    proposal = MatchingService(store, REF).propose()  # numpy refused to reshape the empty block before
    assert proposal.pairs == [] and proposal.unmatched == []
    mentee(store, status="exited")
    assert MatchingService(store, REF).propose().pairs == []


def test_the_criteria_codes_and_constraint_labels_are_complete() -> None:
    assert [c.code for c in CRITERIA] == ["project", "trade", "needs", "distance", "availability", "languages",
                                          "preferences", "waiting"]
    assert [c.code for c in reasons_of(0b11)] == ["mentor_inactive", "no_consent"]
