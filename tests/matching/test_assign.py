"""The batch-assignment solver against brute force on small instances, plus the spreading rules.

Brute force enumerates every mentee's choice in {unmatched} ∪ mentors, so these tests pin the exact
optimum rather than "looks reasonable"; the penalised objective is checked the same way.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from tandem_desktop.matching.assign import Assignment, Cancelled, assign

SPREADS = (0, 50, 200)


def _instance(rng: random.Random) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n, m = rng.randint(1, 6), rng.randint(1, 4)
    p = rng.random()
    scores = np.array([[rng.randint(0, 1000) for _ in range(m)] for _ in range(n)], dtype=np.int64)
    if rng.random() < 0.2:  # ties and zero scores, where tie-breaks and the "never below 1" rule matter
        scores = np.array([[rng.choice((0, 0, 1, 500, 1000)) for _ in range(m)] for _ in range(n)], dtype=np.int64)
    feasible = np.array([[rng.random() < p for _ in range(m)] for _ in range(n)], dtype=bool)
    capacity = np.array([rng.randint(0, 3) for _ in range(m)], dtype=np.int64)
    load = np.array([rng.randint(0, 4) for _ in range(m)], dtype=np.int64)
    return scores, feasible, capacity, load


def _instances(count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    rng = random.Random(seed)
    return [_instance(rng) for _ in range(count)]


def _matchings(feasible: np.ndarray, capacity: np.ndarray):
    """Every valid mentor_of tuple: feasible pairs only, capacities respected."""
    n, m = feasible.shape
    options = [[-1, *(j for j in range(m) if feasible[i, j] and capacity[j] > 0)] for i in range(n)]
    for choice in itertools.product(*options):
        counts = np.bincount([j for j in choice if j >= 0], minlength=m)
        if (counts <= capacity).all():
            yield choice


def _raw_total(scores: np.ndarray, choice) -> int:
    return sum(int(scores[i, j]) for i, j in enumerate(choice) if j >= 0)


def _penalised(scores: np.ndarray, load: np.ndarray, spread: int, choice) -> int:
    """Σ max(0, score - spread·(load + k)): each mentor's best order gives its best scores the first slots."""
    total = 0
    for j in set(choice) - {-1}:
        mine = sorted((int(scores[i, j]) for i, c in enumerate(choice) if c == j), reverse=True)
        total += sum(max(0, s - spread * (int(load[j]) + k)) for k, s in enumerate(mine))
    return total


def _check_valid(result: Assignment, scores, feasible, capacity) -> None:
    mentor_of = result.mentor_of
    assert mentor_of.dtype == np.int64 and mentor_of.shape == (scores.shape[0],)
    matched = np.flatnonzero(mentor_of >= 0)
    assert (mentor_of >= -1).all() and (mentor_of < scores.shape[1]).all()
    assert feasible[matched, mentor_of[matched]].all(), "an infeasible pair was returned"
    counts = np.bincount(mentor_of[matched], minlength=scores.shape[1])
    assert (counts <= capacity).all(), "a capacity was exceeded"
    assert result.matched == matched.size
    assert result.total == int(scores[matched, mentor_of[matched]].sum())
    assert isinstance(result.total, int) and isinstance(result.matched, int)


def test_best_mode_without_spread_matches_brute_force_optimum() -> None:
    for scores, feasible, capacity, load in _instances(400, seed=1):
        result = assign(scores, feasible, capacity, load=load)
        _check_valid(result, scores, feasible, capacity)
        assert result.total == max(_raw_total(scores, c) for c in _matchings(feasible, capacity))


def test_most_mode_without_spread_maximises_count_then_total() -> None:
    for scores, feasible, capacity, load in _instances(400, seed=2):
        result = assign(scores, feasible, capacity, load=load, mode="most")
        _check_valid(result, scores, feasible, capacity)
        best = max((sum(j >= 0 for j in c), _raw_total(scores, c)) for c in _matchings(feasible, capacity))
        assert (result.matched, result.total) == best


@pytest.mark.parametrize("spread", SPREADS)
@pytest.mark.parametrize("mode", ["best", "most"])
def test_penalised_objective_is_optimal(mode: str, spread: int) -> None:
    """best: (penalised total, count) lexicographic; most: (count, penalised total)."""
    for scores, feasible, capacity, load in _instances(300, seed=3 + spread):
        result = assign(scores, feasible, capacity, load=load, spread=spread, mode=mode)
        _check_valid(result, scores, feasible, capacity)

        def key(choice, scores=scores, load=load) -> tuple[int, int]:
            count, value = sum(j >= 0 for j in choice), _penalised(scores, load, spread, choice)
            return (value, count) if mode == "best" else (count, value)

        got = key(tuple(int(j) for j in result.mentor_of))
        assert got == max(key(c) for c in _matchings(feasible, capacity))


def test_spreading_sends_mentees_to_different_good_mentors() -> None:
    scores = np.array([[950, 900, 10, 10], [950, 10, 900, 10], [950, 10, 10, 900]])
    feasible = np.ones_like(scores, dtype=bool)
    capacity = np.array([3, 1, 1, 1])

    piled = assign(scores, feasible, capacity)
    assert piled.mentor_of.tolist() == [0, 0, 0] and piled.total == 2850

    # Star slots are worth 950, 850, 750: one mentee keeps the star, the others take their good mentor.
    spread = assign(scores, feasible, capacity, spread=100)
    assert spread.mentor_of.tolist() in ([0, 2, 3], [1, 0, 3], [1, 2, 0])
    assert len(set(spread.mentor_of.tolist())) == 3 and spread.total == 2750
    # The star already has a mentee: 950 - 100 < 900, so nobody new goes to the star.
    loaded = assign(scores, feasible, capacity, load=np.array([1, 0, 0, 0]), spread=100)
    assert loaded.mentor_of.tolist() == [1, 2, 3]


def test_penalty_never_leaves_a_feasible_mentee_unmatched() -> None:
    scores = np.array([[300], [200], [100]])
    feasible = np.ones_like(scores, dtype=bool)
    result = assign(scores, feasible, np.array([3]), load=np.array([5]), spread=200)  # every value is clipped
    assert result.matched == 3 and result.total == 600

    # The second place of a mentor costs more than the weaker mentee's score: still filled.
    scores = np.array([[900], [100]])
    result = assign(scores, np.ones((2, 1), dtype=bool), np.array([2]), spread=200)
    assert result.mentor_of.tolist() == [0, 0] and result.total == 1000


def test_zero_score_pairs_do_not_lower_the_total() -> None:
    # Valuing a score-0 pair at 1 would prefer two zero pairs (2) over the single 1-point pair.
    scores = np.array([[1, 0], [0, 0]])
    feasible = np.array([[True, True], [True, False]])
    result = assign(scores, feasible, np.array([1, 1]))
    assert result.total == 1 and result.mentor_of.tolist() == [0, -1]
    most = assign(scores, feasible, np.array([1, 1]), mode="most")
    assert most.matched == 2 and most.mentor_of.tolist() == [1, 0]


def test_empty_and_degenerate_inputs() -> None:
    for n, m in ((0, 0), (0, 3), (4, 0)):
        result = assign(np.zeros((n, m), dtype=np.int64), np.ones((n, m), dtype=bool), np.ones(m, dtype=np.int64))
        assert result.mentor_of.shape == (n,) and (result.mentor_of == -1).all()
        assert result.total == 0 and result.matched == 0
    scores = np.full((3, 2), 700)
    result = assign(scores, np.ones((3, 2), dtype=bool), np.zeros(2, dtype=np.int64))
    assert result.mentor_of.tolist() == [-1, -1, -1]
    result = assign(scores, np.zeros((3, 2), dtype=bool), np.array([3, 3]))
    assert result.mentor_of.tolist() == [-1, -1, -1]
    result = assign(scores, np.ones((3, 2), dtype=bool), np.array([1000, 0]), spread=50)  # capacity > mentees
    assert result.mentor_of.tolist() == [0, 0, 0] and result.total == 2100


def test_invalid_inputs_are_rejected() -> None:
    scores, feasible = np.zeros((2, 2), dtype=np.int64), np.ones((2, 2), dtype=bool)
    with pytest.raises(ValueError):
        assign(scores, feasible[:1], np.ones(2))
    with pytest.raises(ValueError):
        assign(scores, feasible, np.ones(3))
    with pytest.raises(ValueError):
        assign(scores, feasible, np.array([1, -1]))
    with pytest.raises(ValueError):
        assign(scores, feasible, np.ones(2), spread=-1)
    with pytest.raises(ValueError):
        assign(scores, feasible, np.ones(2), mode="fair")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        assign(scores.astype(float), feasible, np.ones(2))


def test_cancel_raises_before_solving() -> None:
    scores, feasible = np.full((3, 3), 500), np.ones((3, 3), dtype=bool)
    with pytest.raises(Cancelled):
        assign(scores, feasible, np.ones(3), cancel=lambda: True)
    calls: list[int] = []

    def later() -> bool:  # lets the first check pass, then cancels at a later phase
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        assign(scores, feasible, np.ones(3), cancel=later)
    assert assign(scores, feasible, np.ones(3), cancel=lambda: False).matched == 3


def _large(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    scores = gen.integers(0, 1001, size=(n, m), dtype=np.int64)
    feasible = gen.random((n, m)) < 0.6
    capacity = gen.integers(1, 4, size=m, dtype=np.int64)
    load = gen.integers(0, 4, size=m, dtype=np.int64)
    return scores, feasible, capacity, load


def test_deterministic() -> None:
    scores, feasible, capacity, load = _large(7, 300, 60)
    scores //= 100  # many ties: the place where a solver could pick differently from run to run
    for mode in ("best", "most"):
        first = assign(scores, feasible, capacity, load=load, spread=50, mode=mode)
        second = assign(scores.copy(), feasible.copy(), capacity.copy(), load=load.copy(), spread=50, mode=mode)
        assert np.array_equal(first.mentor_of, second.mentor_of)
        assert (first.total, first.matched) == (second.total, second.matched)


def test_moderately_large_instance_respects_constraints() -> None:
    scores, feasible, capacity, load = _large(11, 2000, 400)
    for mode, spread in (("best", 0), ("most", 50)):
        result = assign(scores, feasible, capacity, load=load, spread=spread, mode=mode)
        _check_valid(result, scores, feasible, capacity)
        assert result.matched == min(2000, int(capacity.sum()))  # dense enough to fill every place
