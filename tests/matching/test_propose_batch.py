"""The batch proposal scores only the possible pairs, a chunk at a time, with progress and a stop:
its pairs must be those of the old way (every pair scored in one pass, then solved)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from tandem_desktop.matching import score
from tandem_desktop.matching.assign import Cancelled, assign
from tandem_desktop.matching.criteria import HARD_CONSTRAINTS
from tandem_desktop.matching.propose import summary
from tandem_desktop.matching.score import score_block
from tandem_desktop.reference import load_reference
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.matching import MatchingService

REF = load_reference()


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """60 mentors, 400 mentees: the demo fills most mentors' places, as in the field."""
    from tandem_desktop.settings import load_settings
    from tandem_desktop.store.profile import init_profile

    profile = init_profile(load_settings(tmp_path_factory.mktemp("batch") / "p", environ={}))
    generate_demo(profile.store, mentors=60, mentees=400, seed=5)
    yield MatchingService(profile.store, REF)
    profile.close()


def old_proposal(service: MatchingService, mode: str, spread: bool, min_milli: int,
                 pinned: dict[str, str]) -> tuple[list[tuple[str, str, int]], dict[str, tuple[str, list[int]]]]:
    """The algorithm before pruning: every waiting mentee × every mentor scored, then solved."""
    data = service.data()
    settings = service.settings()
    rows = np.flatnonzero(data.waiting)
    block = score_block(data, settings, rows=rows)
    capacity, load = data.remaining.astype(np.int64), data.load.astype(np.int64)
    keep = {}
    for r, i in enumerate(rows):
        c = data.mentors.row.get(pinned.get(data.mentees.ids[i], ""))
        if c is not None and block.reasons[r, c] == 0 and capacity[c] > 0:
            keep[r] = c
            capacity[c] -= 1
            load[c] += 1
    feasible = (block.reasons == 0) & (block.scores >= min_milli)
    if keep:
        feasible[list(keep)] = False
    penalty = round(settings.spread_penalty * 1000) if spread else 0
    result = assign(block.scores, feasible, capacity, load=load, spread=penalty, mode=mode)
    chosen = {r: int(c) for r, c in enumerate(result.mentor_of) if c >= 0} | keep
    pairs = [(data.mentees.ids[rows[r]], data.mentors.ids[c], int(block.scores[r, c])) for r, c in chosen.items()]
    left = {}
    for r, i in enumerate(rows):
        if r in chosen:
            continue
        possible = block.reasons[r] == 0
        if not possible.any():
            counts = [int(np.count_nonzero(block.reasons[r] & (1 << k.bit))) for k in HARD_CONSTRAINTS]
            left[data.mentees.ids[i]] = ("no_possible_mentor", counts)
        elif block.scores[r][possible].max() < min_milli:
            left[data.mentees.ids[i]] = ("below_minimum", [int(block.scores[r][possible].max())])
        else:
            left[data.mentees.ids[i]] = ("taken", [])
    return sorted(pairs), left


def test_the_pruned_proposal_gives_the_pairs_of_the_full_one(demo_service: MatchingService) -> None:
    data = demo_service.data()
    waiting = [data.mentees.ids[i] for i in np.flatnonzero(data.waiting)]
    open_mentors = [data.mentors.ids[j] for j in np.flatnonzero(data.remaining > 0)]
    pinned = {waiting[0]: open_mentors[0], waiting[1]: open_mentors[-1]}
    checked, codes = 0, set()
    for mode, spread, min_score, pins in itertools.product(("best", "most"), (True, False), (0.2, 0.35, 0.6),
                                                           ({}, pinned)):
        proposal = demo_service.propose(mode=mode, spread=spread, min_score=min_score, pinned=pins)
        pairs, left = old_proposal(demo_service, mode, spread, round(min_score * 1000), pins)
        assert sorted((p.mentee_id, p.mentor_id, p.score_milli) for p in proposal.pairs) == pairs
        assert {u.mentee_id: u.code for u in proposal.unmatched} == {k: v[0] for k, v in left.items()}
        for u in proposal.unmatched:
            code, figures = left[u.mentee_id]
            if code == "no_possible_mentor":  # the three most broken constraints, with their counts
                top = sorted(((n, c) for n, c in zip(figures, HARD_CONSTRAINTS, strict=True) if n),
                             key=lambda item: (-item[0], item[1].bit))[:3]
                for n, constraint in top:
                    assert f"{constraint.label.lower()} ({n}\u00a0mentor" in u.reason, u.reason
                assert u.reason.startswith(f"Aucun des {len(data.mentors.ids)}\u00a0mentors n’est possible\u00a0: ")
        checked += len(proposal.pairs)
        codes |= {u.code for u in proposal.unmatched}
    assert checked > 100  # the demo leaves enough free places for the comparison to mean something
    assert codes == {"no_possible_mentor", "below_minimum", "taken"}  # and every kind of unmatched mentee


def test_scores_computed_in_chunks_equal_one_pass(demo_service: MatchingService,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data, settings = demo_service.data(), demo_service.settings()
    whole = score_block(data, settings)
    monkeypatch.setattr(score, "CHUNK_CELLS", 7 * len(data.mentors.ids) + 3)
    steps: list[tuple[int, int]] = []
    chunked = score_block(data, settings, step=lambda done, total: steps.append((done, total)))
    for name in ("contributions", "scores", "reasons", "distance"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(chunked, name), err_msg=name)
    assert len(steps) == -(-len(data.mentees.ids) // 7) and steps[-1] == (len(data.mentees.ids),) * 2


def test_progress_moves_through_the_run_and_a_stop_ends_it_between_chunks(demo_service: MatchingService,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score, "CHUNK_CELLS", 10 * len(demo_service.data().mentors.ids))
    seen: list[tuple[str, int, int]] = []
    demo_service.propose(progress=lambda stage, done, total: seen.append((stage, done, total)))
    values = [done for _, done, _ in seen]
    assert values == sorted(values) and values[-1] == 1000 and {t for _, _, t in seen} == {1000}
    assert len(set(values)) > 30  # the bar moves chunk after chunk, not in three jumps
    assert [s for s, _ in itertools.groupby(stage for stage, _, _ in seen)] == [
        "constraints", "score", "solve", "explain", "done"]
    for stop_after in (3, 40):  # during the constraint scan, during the scoring
        calls: list[str] = []

        def cancel(calls: list[str] = calls, stop_after: int = stop_after) -> bool:
            calls.append("")
            return len(calls) > stop_after

        with pytest.raises(Cancelled):
            demo_service.propose(cancel=cancel)
        assert len(calls) == stop_after + 1  # asked once per chunk, stopped at once


def test_the_totals_say_what_they_count(demo_service: MatchingService) -> None:
    proposal = demo_service.propose()
    text = summary(proposal.pairs, len(proposal.unmatched))
    n, total = len(proposal.pairs), proposal.total_milli / 10
    mean = f"{total / n:.1f}".replace(".", ",")
    assert text.startswith(f"{n}\u00a0paires proposées, score moyen {mean} sur 100 (somme des scores ")
    assert text.endswith(f"\u00a0; {len(proposal.unmatched)}\u00a0mentorés sans mentor")
    assert summary([], 1) == "0\u00a0paire proposée\u00a0; 1\u00a0mentoré sans mentor"
