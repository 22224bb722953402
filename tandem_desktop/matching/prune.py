"""Which mentees a batch hands to the solver: each mentor's best candidates, scored a chunk at a time.

Scoring every waiting mentee against every possible mentor, then solving, held about 70 bytes per
pair: 7 GB for 100,000 waiting mentees, to fill a few hundred places. Here scores are computed a
chunk of mentees at a time and only each mentor's `keep` best feasible candidates survive, so the
memory depends on the mentors and their places, not on the waiting list.

Why the optimum is kept (the same one, not an approximation), with `keep` = K = min(C, n), C the
places left in all (Σ_j c_j over the mentors scored, after pinned pairs), n the mentees scored:

The solver maximises Σ v_k(i, j) over a matching, each mentee at most once, mentor j at most c_j
times, where v_k(i, j) is the value of giving mentee i the k-th place of mentor j (assign.py: with
load spreading, the score minus k times the penalty, floored at 0, scaled, plus the count
tie-break; without, the score scaled plus the tie-break). For a fixed place (j, k), v_k(i, j) never
decreases when the score s_ij grows. Let T_j be the K feasible mentees of j ranked first by
(score descending, position ascending), or all of them when j has fewer.

Take an optimal matching M using the most pairs with i in T_j, and suppose it gives mentee i ∉ T_j
the place (j, k). Then j has more than K feasible mentees, so |T_j| = K. M matches at most
min(C, n) = K mentees, i among them, so at most K - 1 members of T_j are matched: some i' in T_j
is not. Giving (j, k) to i' instead of i keeps every capacity, and v_k(i', j) >= v_k(i, j) since i'
ranks before i for j: the matching is still optimal and uses one more kept pair, a contradiction.
So some optimal matching uses only kept pairs, and the solver over the kept mentees (with all their
feasible pairs, a superset of the kept ones: still between the kept graph and the full one) reaches
the same optimal value as over everybody, in both modes, with or without spreading. Among equal
optima it may pick another one; tests/matching/test_prune.py compares totals with the dense solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .criteria import MatchingSettings
from .features import MatchingData
from .score import Step, _chunks, _distance, _place_table, hard_reasons, score_sums

_POSITION_BITS = 32  # a key is score << 32 | (2**32 - 1 - position): larger is better, ties by position
_POSITION_MAX = (1 << _POSITION_BITS) - 1


@dataclass
class Shortlist:
    positions: np.ndarray  # positions (in the rows given) of the mentees kept for the solver, ascending
    best: np.ndarray  # (n,) int32: each mentee's best score among possible pairs, -1 when none


def shortlist(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, cols: np.ndarray, *, keep: int,
              min_milli: int, skip: np.ndarray | None = None, step: Step | None = None,
              cancel: Callable[[], bool] | None = None) -> Shortlist:
    """Score `rows` × `cols` a chunk at a time; keep, per mentor, its `keep` best feasible mentees
    (hard constraints met, score at least `min_milli`, not in `skip`, a bool mask over rows)."""
    rows = np.asarray(rows, dtype=np.int64)
    n, m = len(rows), len(cols)
    if n > _POSITION_MAX:
        raise ValueError("too many mentees for one batch")
    best = np.full(n, -1, dtype=np.int32)
    keep = max(0, min(int(keep), n))
    pool = np.full((m, keep), -1, dtype=np.int64)  # per mentor: keys of its best candidates so far
    floor = np.full(m, -1, dtype=np.int64)  # per mentor: the smallest key in its pool (-1: not full)
    table = _place_table(data, cols)
    for part in _chunks(n, m, cancel, step):
        these = rows[part]
        distance = _distance(data, these, cols, table)
        possible = hard_reasons(data, settings, these, cols, distance) == 0
        scores = score_sums(data, settings, these, cols, distance)
        best[part] = np.where(possible, scores, -1).max(axis=1, initial=-1)
        if keep == 0:
            continue
        feasible = possible & (scores >= min_milli)
        if skip is not None:
            feasible[skip[part]] = False
        tie = _POSITION_MAX - np.arange(part.start, part.stop, dtype=np.int64)
        keys = np.where(feasible, (scores.astype(np.int64) << _POSITION_BITS) | tie[:, None], -1).T  # (m, r)
        better = np.flatnonzero((keys > floor[:, None]).any(axis=1))
        if better.size:
            merged = np.concatenate([pool[better], keys[better]], axis=1)
            top = np.partition(merged, keys.shape[1], axis=1)[:, keys.shape[1]:]  # the `keep` largest
            pool[better] = top
            floor[better] = top.min(axis=1)
    kept = pool[pool >= 0]
    positions = np.unique(_POSITION_MAX - (kept & _POSITION_MAX))
    return Shortlist(positions.astype(np.int64), best)
