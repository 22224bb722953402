"""Batch proposal: one mentor for each of many mentees, best total fit under mentors' capacities.

Never breaks a hard constraint; leaves a mentee unmatched rather than below the minimum score, and
says why; keeps the pairs a counsellor pinned. Nothing is written: a proposal stays a proposal until
a counsellor accepts it (services.matching.accept_pairs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..domain.consent import STATE_LABELS
from ..texts.french import NBSP, decimal, plural
from .assign import Cancelled, assign
from .consent import consent_current, consent_split, consent_state
from .criteria import CONSTRAINT_BY_CODE, HARD_CONSTRAINTS, MatchingSettings
from .explain import Contribution, Explainer, points_text
from .features import MatchingData
from .prune import shortlist
from .score import scan, score_block, score_matrix

Mode = Literal["best", "most"]
NO_CONSENT = CONSTRAINT_BY_CODE["no_consent"]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Pair:
    mentee_id: str
    mentor_id: str
    mentee_name: str
    mentor_name: str
    score: float  # on 100
    score_milli: int
    pinned: bool
    contributions: list[Contribution]

    def as_dict(self) -> dict[str, Any]:
        return {"mentee_id": self.mentee_id, "mentor_id": self.mentor_id, "mentee": self.mentee_name,
                "mentor": self.mentor_name, "score": self.score, "pinned": self.pinned,
                "contributions": [c.as_dict() for c in self.contributions]}


@dataclass(frozen=True)
class Unmatched:
    mentee_id: str
    mentee_name: str
    code: str  # no_possible_mentor / below_minimum / taken
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"mentee_id": self.mentee_id, "mentee": self.mentee_name, "code": self.code, "reason": self.reason}


@dataclass
class Proposal:
    pairs: list[Pair]
    unmatched: list[Unmatched]
    total_milli: int
    mode: str
    spread: bool
    min_score: float
    capacity: list[dict[str, Any]] = field(default_factory=list)  # per mentor used by the run
    notice: str = ""  # why nothing could be proposed (nobody waiting, no mentor free), French

    @property
    def total(self) -> float:
        """Sum of the proposed pairs' scores, each on 100."""
        return self.total_milli / 10

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "spread": self.spread, "min_score": self.min_score,
                "total": self.total, "matched": len(self.pairs), "unmatched_count": len(self.unmatched),
                "pairs": [p.as_dict() for p in self.pairs], "unmatched": [u.as_dict() for u in self.unmatched],
                "mentor_capacity": self.capacity, "notice": self.notice}


def summary(pairs: list[Pair], unmatched: int) -> str:
    """« 275 paires proposées, score moyen 81,9 sur 100 (somme des scores 22 519,8) ; 23 126 mentorés sans
    mentor »: every figure says what it counts (the window and the CLI print this same line)."""
    text = plural(len(pairs), "paire proposée", "paires proposées")
    if pairs:
        total = sum(p.score_milli for p in pairs)
        text += (f", score moyen {decimal(total / 10 / len(pairs))} sur 100 "
                 f"(somme des scores {decimal(total / 10)})")
    return f"{text}{NBSP}; {plural(unmatched, 'mentoré', 'mentorés')} sans mentor"


def _no_mentor_reason(broken: np.ndarray, n_mentors: int, own: str = "", mentors: dict[str, int] | None = None) -> str:
    """« Aucun des 1 000 mentors n’est possible : … (800 mentors), … »: the three constraints broken most.
    « no_consent » says whose consent and why: the mentee's own (`own`, « Consentement retiré le
    03/12/2026 »: every mentor), else the mentors' split by state (`mentors`: state -> count)."""
    found = [(int(n), c.bit, c.label) for n, c in zip(broken, HARD_CONSTRAINTS, strict=True) if n]
    bit, at = NO_CONSENT.bit, HARD_CONSTRAINTS.index(NO_CONSENT)
    if (own or mentors) and broken[at]:
        parts = [(int(broken[at]), own)] if own else [(n, STATE_LABELS[s]) for s, n in (mentors or {}).items()]
        found = [f for f in found if f[1] != bit] + [(n, bit, label) for n, label in parts]
    ranked = sorted(found, key=lambda item: (-item[0], item[1]))[:3]
    if not ranked:
        return "Aucun mentor disponible"
    top = ", ".join(f"{label.lower()} ({plural(n, 'mentor')})" for n, _, label in ranked)
    who = (f"Aucun des {plural(n_mentors, 'mentor')} n’est possible" if n_mentors > 1
           else "Le seul mentor n’est pas possible")
    return f"{who}{NBSP}: {top}"


def _left_reason(best: int, min_milli: int) -> tuple[str, str]:
    """Why a mentee who had possible mentors got none."""
    if best < min_milli:
        return "below_minimum", (f"Aucun mentor n’atteint le score minimum de {points_text(min_milli)} "
                                 f"(meilleur : {points_text(best)})")
    return "taken", "Les mentors possibles n’ont plus de place : ils sont proposés à d’autres mentorés"


def nobody_reason(data: MatchingData, rows: np.ndarray) -> str:
    """Why a batch has nothing to propose before any score, or "" when it can run (CLI and window)."""
    if not len(rows):
        return f"Aucun mentoré en attente{NBSP}: il n’y a rien à proposer."
    if not len(data.mentors.ids):
        return f"Aucun mentor enregistré{NBSP}: ajoutez des mentors avant une proposition groupée."
    if not (data.active & (data.remaining > 0)).any():
        return f"Aucun mentor disponible{NBSP}: tous les mentors sont complets ou inactifs."
    return ""


class _Stages:
    """One progress scale for the whole run (0–1000), each stage its share: the bar never stands still."""

    SHARES = (("constraints", 0, 350), ("score", 350, 850), ("solve", 850, 930), ("explain", 930, 1000))

    def __init__(self, progress: Progress | None):
        self.progress = progress

    def step(self, stage: str) -> Callable[[int, int], None]:
        low, high = next((lo, hi) for name, lo, hi in self.SHARES if name == stage)

        def report(done: int, total: int) -> None:
            if self.progress:
                self.progress(stage, low + (high - low) * done // max(total, 1), 1000)

        report(0, 1)
        return report


def propose(data: MatchingData, settings: MatchingSettings, explainer: Explainer,
            rows: np.ndarray | None = None, *, min_score: float | None = None, mode: Mode = "best",
            spread: bool | None = None, pinned: dict[str, str] | None = None,
            progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Proposal:
    """`pinned` maps mentee id -> mentor id (kept as is, if the pair is possible).

    `progress(stage, done, 1000)` is called after each chunk; `cancel()` is checked between chunks and
    raises Cancelled. Only mentees and mentors with at least one possible pair are scored, a chunk
    at a time, and only each mentor's best candidates reach the solver (prune.py: the optimum is the
    same as over every pair); impossible pairs are neither proposed nor explained.
    """
    min_score = settings.min_score if min_score is None else min_score
    spread = settings.spread if spread is None else spread
    min_milli = round(min_score * 1000)
    rows = np.arange(len(data.mentees.ids)) if rows is None else np.asarray(rows, dtype=np.int64)
    stages = _Stages(progress)
    found = scan(data, settings, rows, step=stages.step("constraints"), cancel=cancel)
    cols = found.cols
    mentee_ids = [data.mentees.ids[int(i)] for i in rows]
    capacity = data.remaining[cols].astype(np.int64)
    load = data.load[cols].astype(np.int64)
    keep = _pins(data, settings, rows[found.rows], cols, [mentee_ids[int(r)] for r in found.rows], pinned or {},
                 capacity, load)
    skip = np.zeros(len(found.rows), dtype=bool)
    skip[list(keep)] = True
    short = shortlist(data, settings, rows[found.rows], cols, keep=int(capacity.sum()), min_milli=min_milli,
                      skip=skip, step=stages.step("score"), cancel=cancel)
    stages.step("solve")
    # The solver's mentees: the shortlisted ones and the pinned ones, in the order of `rows`.
    solver_rows = np.union1d(short.positions, np.fromiter(keep, dtype=np.int64, count=len(keep)))
    scores, possible = score_matrix(data, settings, rows[found.rows[solver_rows]], cols, cancel=cancel)
    feasible = possible & (scores >= min_milli) & ~skip[solver_rows][:, None]
    penalty = round(settings.spread_penalty * 1000) if spread else 0
    result = assign(scores, feasible, capacity, load=load, spread=penalty, mode=mode, cancel=cancel)
    del scores, possible, feasible
    explained = stages.step("explain")
    # Only the pairs proposed get their contributions and explanations: one small block.
    picked = {int(solver_rows[b]): int(c) for b, c in enumerate(result.mentor_of) if c >= 0} | keep
    picked_rows = np.array(sorted(picked), dtype=np.int64)
    block = score_block(data, settings, rows[found.rows[picked_rows]], cols)
    at = {int(k): b for b, k in enumerate(picked_rows)}  # position in found.rows -> row of the block
    chosen = {at[k]: c for k, c in picked.items()}
    explainer.prepare(block, sorted(chosen.items()))
    sub_of = {int(r): k for k, r in enumerate(found.rows)}  # position in rows -> position in found.rows
    names = data.mentees.names
    consented = consent_current(data.mentees, rows, data.today)
    mentor_consent = consent_split(data.mentors, np.arange(len(data.mentors.ids)), data.today)
    pairs, unmatched, used = [], [], Counter()
    for r in range(len(rows)):
        name = names[int(rows[r])]
        k = sub_of.get(r)
        b = at.get(k) if k is not None else None
        if b is not None and b in chosen:
            c = chosen[b]
            used[c] += 1
            milli = int(block.scores[b, c])
            pairs.append(Pair(mentee_ids[r], data.mentors.ids[int(cols[c])], name,
                              data.mentors.names[int(cols[c])], milli / 10, milli, k in keep,
                              explainer.contributions(block, b, c)))
        elif k is None:
            own = "" if consented[r] else consent_state(data.mentees, int(rows[r]), data.today).reason
            reason = _no_mentor_reason(found.broken[r], len(data.mentors.ids), own, mentor_consent)
            unmatched.append(Unmatched(mentee_ids[r], name, "no_possible_mentor", reason))
        else:
            unmatched.append(Unmatched(mentee_ids[r], name, *_left_reason(int(short.best[k]), min_milli)))
        if r % 2048 == 2047:
            if cancel is not None and cancel():
                raise Cancelled()
            explained(r, len(rows))
    pairs.sort(key=lambda p: (-p.score_milli, p.mentee_id))
    report = [{"mentor_id": data.mentors.ids[int(cols[c])], "mentor": data.mentors.names[int(cols[c])],
               "capacity": int(data.capacity[cols[c]]), "load_before": int(data.load[cols[c]]),
               "proposed": n, "remaining_after": int(data.remaining[cols[c]]) - n}
              for c, n in sorted(used.items(), key=lambda item: data.mentors.ids[int(cols[item[0]])])]
    if progress:
        progress("done", 1000, 1000)
    return Proposal(pairs, unmatched, sum(p.score_milli for p in pairs), mode, spread, min_score, report,
                    notice=nobody_reason(data, rows))


def _pins(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, cols: np.ndarray, ids: list[str],
          pinned: dict[str, str], capacity: np.ndarray, load: np.ndarray) -> dict[int, int]:
    """Pinned pairs that are possible, in the order of `rows`: position in rows -> column; each takes
    its place (capacity and load change in place)."""
    col_of = {int(j): c for c, j in enumerate(cols)}
    wanted = [(k, c) for k, mentee_id in enumerate(ids) if mentee_id in pinned
              if (c := col_of.get(data.mentors.row.get(pinned[mentee_id], -1))) is not None]
    if not wanted:
        return {}
    block = score_block(data, settings, rows[[k for k, _ in wanted]], cols)
    keep: dict[int, int] = {}
    for b, (k, c) in enumerate(wanted):
        if block.reasons[b, c] == 0 and capacity[c] > 0:
            keep[k] = c
            capacity[c] -= 1
            load[c] += 1
    return keep
