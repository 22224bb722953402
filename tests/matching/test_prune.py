"""The batch keeps only each mentor's best candidates (matching/prune.py): on random instances small
enough to score every pair, its total is the optimum of the dense solve, every pair it proposes is
possible, and no mentor gets more than its places."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import numpy as np
import pytest

from tandem_desktop.matching import features, prune, score
from tandem_desktop.matching.assign import assign
from tandem_desktop.matching.criteria import MatchingSettings
from tandem_desktop.matching.explain import Explainer
from tandem_desktop.matching.propose import propose
from tandem_desktop.matching.score import score_block
from tandem_desktop.reference import load_reference

REF = load_reference()
TODAY = date(2026, 12, 1)
SKILLS = ["Relecture de CV", "Réseau professionnel", "Préparation aux entretiens", "Comptabilité", "Juridique",
          "Commercial", "Numérique", "Gestion"]
LANGUAGES = ["français", "arabe", "anglais", "espagnol", "comorien"]
SLOTS = ["lundi soir", "mardi soir", "mercredi après-midi", "samedi matin", "jeudi midi"]
PROJECTS = ["job_search", "business_creation", "orientation"]


def instance(seed: int, mentors: int, mentees: int, places: int = 12, twins: bool = False) -> features.MatchingData:
    """Random mentors (1–3 places, a few inactive or full) and mentees in a few communes; `twins`:
    the mentors all alike but for their places, so that they all rank the mentees the same way."""
    rng = random.Random(seed)
    communes = [c for c in REF.communes if c.population > 5000][:places]
    trades = list(REF.trades)

    def person(i: int, kind: str) -> dict[str, Any]:
        place, trade = rng.choice(communes), rng.choice(trades)
        return {"id": f"{kind}-{seed}-{i:05d}", "first_name": kind, "last_name": str(i), "commune": place.name,
                "postal_code": place.postal_code, "trade_code": trade.code if rng.random() < 0.9 else None,
                "sector": trade.domain_label, "languages": rng.sample(LANGUAGES, rng.randint(0, 2)),
                "availability": rng.sample(SLOTS, rng.randint(0, 3)),
                "meeting_modes": rng.sample(["in_person", "phone", "video"], rng.randint(0, 2)),
                "mobility_km": rng.choice([5, 10, 20, 40, None]), "consent_given": rng.random() < 0.95,
                "employer": rng.choice(["CMA CGM", "RTM", "Airbus", None, None])}

    tutors = [{**person(i, "mentor"), "skills": rng.sample(SKILLS, rng.randint(0, 4)),
               "project_types": rng.sample(PROJECTS, rng.randint(0, 2)), "capacity": rng.randint(1, 3),
               "active": rng.random() < 0.9} for i in range(mentors)]
    if twins:
        tutors = [{**tutors[0], "id": t["id"], "capacity": t["capacity"], "active": True, "consent_given": True}
                  for t in tutors]
    learners = [{**person(i, "mentee"), "needs": rng.sample(SKILLS, rng.randint(0, 3)),
                 "project_type": rng.choice(PROJECTS), "status": "waiting",
                 "waiting_since": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
                 "required_language": rng.choice(LANGUAGES) if rng.random() < 0.1 else None,
                 "declined_mentors": [rng.choice(tutors)["id"]] if rng.random() < 0.1 else [],
                 "excluded_employers": ["RTM"] if rng.random() < 0.05 else []} for i in range(mentees)]
    pairs = [(rng.choice(learners)["id"], rng.choice(tutors)["id"]) for _ in range(mentors // 3)]
    if twins:  # nothing that tells one mentor from another
        pairs = []
        learners = [{**learner, "declined_mentors": []} for learner in learners]
    return features.build(tutors, learners, pairs, REF, TODAY)


def no_lookup(kind: str, ids: Any) -> dict[str, dict[str, Any]]:
    return {}


def dense(data: features.MatchingData, settings: MatchingSettings, mode: str, penalty: int,
          min_milli: int) -> tuple[np.ndarray, Any, Any]:
    """The way before pruning: every pair scored, then solved."""
    block = score_block(data, settings)
    feasible = (block.reasons == 0) & (block.scores >= min_milli)
    result = assign(block.scores, feasible, data.remaining, load=data.load, spread=penalty, mode=mode)
    chosen = [(r, int(c)) for r, c in enumerate(result.mentor_of) if c >= 0]
    return block, chosen, result


def objective(block: Any, data: features.MatchingData, chosen: list[tuple[int, int]], penalty: int) -> tuple[int, int]:
    """(penalised total, pairs) of an assignment: each mentor's mentees, best first, on its places in
    order (the best arrangement of a given set, as the solver finds it)."""
    by_mentor: dict[int, list[int]] = {}
    for r, c in chosen:
        by_mentor.setdefault(c, []).append(int(block.scores[r, c]))
    total = 0
    for c, scores in by_mentor.items():
        for k, value in enumerate(sorted(scores, reverse=True)):
            total += max(0, value - penalty * (int(data.load[c]) + k))
    return total, len(chosen)


# Twins in one commune: every mentor's shortlist is the same, and the bound of prune.py (the places,
# or the mentees when fewer) is what keeps a mentee for every place: one less fails this test.
@pytest.mark.parametrize(("seed", "twins"), [(seed, False) for seed in range(4)]
                         + [(seed, True) for seed in range(4, 8)])
def test_pruned_proposals_reach_the_optimum_of_the_dense_solve(seed: int, twins: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score, "CHUNK_CELLS", 40 * 37)  # many chunks: the candidate pools merge often
    data = instance(seed, mentors=40, mentees=900, places=1 if twins else 12, twins=twins)
    settings = MatchingSettings()
    explainer = Explainer(data, REF, no_lookup)
    pruned_some = False
    for mode in ("best", "most"):
        for spread, min_score in ((False, 0.3), (False, 0.0), (True, 0.35)):
            penalty = round(settings.spread_penalty * 1000) if spread else 0
            min_milli = round(min_score * 1000)
            block, chosen, result = dense(data, settings, mode, penalty, min_milli)
            proposal = propose(data, settings, explainer, min_score=min_score, mode=mode, spread=spread)
            pairs = [(data.mentees.row[p.mentee_id], data.mentors.row[p.mentor_id]) for p in proposal.pairs]
            for (r, c), pair in zip(pairs, proposal.pairs, strict=True):  # hard constraints, minimum, score
                assert block.reasons[r, c] == 0 and block.scores[r, c] >= min_milli
                assert pair.score_milli == block.scores[r, c]
            taken = np.bincount([c for _, c in pairs], minlength=len(data.mentors.ids))
            assert (taken <= data.remaining).all()
            assert len({r for r, _ in pairs}) == len(pairs)
            if not spread:
                assert proposal.total_milli == result.total  # the exact optimum of the same scores
                if mode == "most":
                    assert len(pairs) == result.matched
            assert objective(block, data, pairs, penalty) == objective(block, data, chosen, penalty)
            assert len(proposal.pairs) + len(proposal.unmatched) == len(data.mentees.ids)
            assert len(pairs) > 20  # enough pairs for the comparison to mean something
        feasible_rows = int(((block.reasons == 0) & (block.scores >= 300)).any(axis=1).sum())
        free = int(data.remaining[data.active].sum())
        short = prune.shortlist(data, settings, np.arange(len(data.mentees.ids)), np.arange(len(data.mentors.ids)),
                                keep=free, min_milli=300)
        pruned_some |= len(short.positions) < feasible_rows
    assert pruned_some  # the instance is big enough for the shortlist to leave mentees out


@pytest.mark.parametrize("cells", [15, 15 * 13, 1 << 17])
def test_the_shortlist_keeps_each_mentors_best_candidates_ties_by_position(cells: int,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score, "CHUNK_CELLS", cells)
    data = instance(11, mentors=15, mentees=400)
    settings = MatchingSettings()
    rows, cols = np.arange(len(data.mentees.ids)), np.arange(len(data.mentors.ids))
    block = score_block(data, settings)
    feasible = (block.reasons == 0) & (block.scores >= 200)
    for keep in (1, 7, 30):
        short = prune.shortlist(data, settings, rows, cols, keep=keep, min_milli=200)
        expected: set[int] = set()
        for c in cols:
            candidates = np.flatnonzero(feasible[:, c])
            ranked = sorted(candidates.tolist(), key=lambda r, c=c: (-int(block.scores[r, c]), r))
            expected |= set(ranked[:keep])
        assert short.positions.tolist() == sorted(expected)
        best = np.where(block.reasons == 0, block.scores, -1).max(axis=1)
        assert short.best.tolist() == best.tolist()
