"""Batch assignment of mentees to mentors: one optimal matching instead of greedy picks.

Greedy "best mentor first" choices strand mentees whose only good mentors were taken by someone
who had alternatives; an assignment solver looks at the whole batch at once. Each mentor j is
expanded into capacity[j] slot columns, the k-th slot carrying the spreading penalty
spread * (load[j] + k), and scipy's linear_sum_assignment optimises the rectangular mentees × slots
matrix. Slot penalties increase with k, so the solver fills a mentor's slots in order.

Objective, exactly (all integer arithmetic, exact in float64):

- "best": maximise the penalised total Σ max(0, score - penalty); among equal totals, maximise the
  number of matched mentees. Every feasible pair is worth strictly more than leaving the mentee
  unmatched (the "never below 1" rule, as a tie-break worth less than one thousandth), so the penalty
  alone never leaves a mentee unmatched, and with spread=0 the total is the true maximum of Σ score.
- "most": maximise the number of matched mentees, then the penalised total.

Infeasible pairs are valued 0 like "unmatched": the solver may pair them, and they are dropped after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

Mode = Literal["best", "most"]

_EXACT = 2**52  # headroom below 2**53 for the solver's potentials (sums and differences of values)
_BLOCK_CELLS = 1 << 20  # cells per block when filling the value matrix: bounds the temporaries


class Cancelled(Exception):
    """The caller asked to stop (e.g. the counsellor closed the dialog); no partial result exists."""


@dataclass(frozen=True)
class Assignment:
    mentor_of: np.ndarray  # (n_mentees,) int64: index of the chosen mentor column, or -1 if unmatched
    total: int  # sum of scores[i, mentor_of[i]] over matched mentees (raw scores, not penalised values)
    matched: int


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled()


def _validate(
    scores: np.ndarray, feasible: np.ndarray, capacity: np.ndarray, load: np.ndarray | None, spread: int, mode: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coerce the inputs and fail loudly on shape errors rather than return a wrong matching."""
    scores = np.asarray(scores)
    feasible = np.asarray(feasible, dtype=bool)
    if scores.ndim != 2 or feasible.shape != scores.shape:
        raise ValueError(f"scores {scores.shape} and feasible {feasible.shape} must be the same 2-D shape")
    if scores.size and not np.issubdtype(scores.dtype, np.integer):
        raise ValueError(f"scores must be integers (thousandths), not {scores.dtype}")
    n_mentors = scores.shape[1]
    capacity = np.asarray(capacity, dtype=np.int64).reshape(-1)
    load = np.zeros(n_mentors, dtype=np.int64) if load is None else np.asarray(load, dtype=np.int64).reshape(-1)
    if capacity.shape != (n_mentors,) or load.shape != (n_mentors,):
        raise ValueError(f"capacity {capacity.shape} and load {load.shape} must have one entry per mentor")
    if (capacity < 0).any() or (load < 0).any():
        raise ValueError("capacity and load must not be negative")
    if spread < 0:
        raise ValueError("spread must not be negative")
    if mode not in ("best", "most"):
        raise ValueError(f"unknown mode {mode!r}")
    return scores, feasible, capacity, load


def assign(
    scores: np.ndarray,
    feasible: np.ndarray,
    capacity: np.ndarray,
    *,
    load: np.ndarray | None = None,
    spread: int = 0,
    mode: Mode = "best",
    cancel: Callable[[], bool] | None = None,
) -> Assignment:
    """Optimal matching of mentees (rows) to mentors (columns) within capacities; see the module doc."""
    _check(cancel)
    scores, feasible, capacity, load = _validate(scores, feasible, capacity, load, int(spread), mode)
    n_mentees = scores.shape[0]
    mentor_of = np.full(n_mentees, -1, dtype=np.int64)

    # Drop what cannot take part: mentors with no place or no feasible mentee, mentees with no feasible
    # mentor. On sparse instances this shrinks the matrix the solver works on by a large factor.
    open_cols = np.flatnonzero(capacity > 0)
    rows = np.flatnonzero(feasible[:, open_cols].any(axis=1)) if open_cols.size else open_cols
    cols = open_cols[feasible[np.ix_(rows, open_cols)].any(axis=0)] if rows.size else rows[:0]
    if rows.size == 0 or cols.size == 0:
        return Assignment(mentor_of=mentor_of, total=0, matched=0)

    # A mentor never takes more mentees than there are: clamp its slots to the number of rows.
    slots_per = np.minimum(capacity[cols], rows.size)
    slot_col = np.repeat(np.arange(cols.size), slots_per)  # slot -> position in `cols`
    first_slot = np.cumsum(slots_per) - slots_per
    slot_rank = np.arange(slot_col.size) - first_slot[slot_col]  # k: 0, 1, … within each mentor
    slot_mentor = cols[slot_col]  # slot -> mentor column of the caller's arrays
    penalty = int(spread) * (load[cols][slot_col] + slot_rank)
    n_rows, n_slots = rows.size, slot_col.size
    pairs = min(n_rows, n_slots)  # most pairs a matching can hold

    top = max(int(scores.max(initial=0)), 0)  # bounds every penalised value, since penalties are >= 0
    if mode == "best":
        scale, bonus = pairs + 1, 1  # value·(pairs+1) + 1: the count tie-break never outweighs one unit
    else:
        scale, bonus = 1, top * pairs + 1  # one more match always outweighs any loss of value
    if pairs * (scale * top + bonus) * 4 >= _EXACT:
        raise ValueError("scores too large for exact float64 arithmetic")

    # scipy copies the matrix when asked to maximise or when it is taller than wide; build it already
    # negated (minimise) and, when mentees outnumber slots, already transposed, so it is never copied.
    flip = n_rows > n_slots
    cost = np.empty((n_slots, n_rows) if flip else (n_rows, n_slots), dtype=np.float64)
    step = max(1, _BLOCK_CELLS // n_slots)
    for start in range(0, n_rows, step):
        _check(cancel)
        stop = min(start + step, n_rows)
        block = np.subtract(scores[rows[start:stop]][:, slot_mentor], penalty, dtype=np.int64)
        np.maximum(block, 0, out=block)
        block *= scale
        block += bonus
        block *= feasible[rows[start:stop]][:, slot_mentor]  # infeasible -> 0, same as unmatched
        np.negative(block, out=block)
        if flip:
            cost[:, start:stop] = block.T
        else:
            cost[start:stop] = block
    del block

    _check(cancel)
    from scipy.optimize import linear_sum_assignment  # 0.6 s of imports: only when a batch is proposed

    row_ind, col_ind = linear_sum_assignment(cost)
    del cost
    _check(cancel)
    row_ind, slot_ind = (col_ind, row_ind) if flip else (row_ind, col_ind)

    chosen = slot_mentor[slot_ind]
    mentees = rows[row_ind]
    keep = feasible[mentees, chosen]
    mentor_of[mentees[keep]] = chosen[keep]
    total = int(scores[mentees[keep], chosen[keep]].astype(np.int64).sum())
    return Assignment(mentor_of=mentor_of, total=total, matched=int(keep.sum()))
