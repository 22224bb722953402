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

from ..texts.french import NBSP, decimal, plural
from .assign import Cancelled, assign
from .criteria import HARD_CONSTRAINTS, MatchingSettings
from .explain import Contribution, Explainer, points_text
from .features import MatchingData
from .score import scan, score_block
from .suggest import person_name

Mode = Literal["best", "most"]
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


def _no_mentor_reason(broken: np.ndarray, n_mentors: int) -> str:
    """« Aucun des 1 000 mentors n’est possible : … (800 mentors), … »: the three constraints broken most."""
    ranked = sorted(((int(n), c) for n, c in zip(broken, HARD_CONSTRAINTS, strict=True) if n),
                    key=lambda item: (-item[0], item[1].bit))[:3]
    if not ranked:
        return "Aucun mentor disponible"
    top = ", ".join(f"{c.label.lower()} ({plural(n, 'mentor')})" for n, c in ranked)
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
    raises Cancelled. Only mentees and mentors with at least one possible pair are scored: the other
    pairs are never read (impossible pairs are neither proposed nor explained), so the result is the
    same as scoring every pair.
    """
    min_score = settings.min_score if min_score is None else min_score
    spread = settings.spread if spread is None else spread
    min_milli = round(min_score * 1000)
    rows = np.arange(len(data.mentees.ids)) if rows is None else np.asarray(rows, dtype=np.int64)
    stages = _Stages(progress)
    found = scan(data, settings, rows, step=stages.step("constraints"), cancel=cancel)
    block = score_block(data, settings, rows[found.rows], found.cols, step=stages.step("score"), cancel=cancel)
    sub_of = {int(r): k for k, r in enumerate(found.rows)}  # position in rows -> row of the block
    col_of = {int(j): c for c, j in enumerate(block.cols)}
    mentee_ids = [data.mentees.ids[int(i)] for i in rows]
    capacity = data.remaining[block.cols].astype(np.int64)
    load = data.load[block.cols].astype(np.int64)
    keep: dict[int, int] = {}
    for r in found.rows:
        mentor_row = col_of.get(data.mentors.row.get((pinned or {}).get(mentee_ids[r], ""), -1))
        k = sub_of[int(r)]
        if mentor_row is not None and block.reasons[k, mentor_row] == 0 and capacity[mentor_row] > 0:
            keep[k] = mentor_row
            capacity[mentor_row] -= 1
            load[mentor_row] += 1
    possible = block.reasons == 0
    feasible = possible & (block.scores >= min_milli)
    if keep:
        feasible[list(keep)] = False
    stages.step("solve")
    penalty = round(settings.spread_penalty * 1000) if spread else 0
    result = assign(block.scores, feasible, capacity, load=load, spread=penalty, mode=mode, cancel=cancel)
    explained = stages.step("explain")
    chosen = {r: int(c) for r, c in enumerate(result.mentor_of) if c >= 0}
    chosen.update(keep)
    explainer.prepare(block, sorted(chosen.items()))
    best = np.where(possible, block.scores, -1).max(axis=1, initial=-1)
    pairs, unmatched, used = [], [], Counter()
    for r in range(len(rows)):
        mentee = data.mentees.records[int(rows[r])]
        k = sub_of.get(r)
        if k is not None and k in chosen:
            c = chosen[k]
            mentor = data.mentors.records[int(block.cols[c])]
            used[c] += 1
            pairs.append(Pair(mentee_ids[r], mentor["id"], person_name(mentee), person_name(mentor),
                              int(block.scores[k, c]) / 10, int(block.scores[k, c]), k in keep,
                              explainer.contributions(block, k, c)))
        elif k is None:
            reason = _no_mentor_reason(found.broken[r], len(data.mentors.ids))
            unmatched.append(Unmatched(mentee_ids[r], person_name(mentee), "no_possible_mentor", reason))
        else:
            unmatched.append(Unmatched(mentee_ids[r], person_name(mentee), *_left_reason(int(best[k]), min_milli)))
        if r % 2048 == 2047:
            if cancel is not None and cancel():
                raise Cancelled()
            explained(r, len(rows))
    pairs.sort(key=lambda p: (-p.score_milli, p.mentee_id))
    report = [{"mentor_id": data.mentors.ids[int(block.cols[c])],
               "mentor": person_name(data.mentors.records[int(block.cols[c])]),
               "capacity": int(data.capacity[block.cols[c]]), "load_before": int(data.load[block.cols[c]]),
               "proposed": n, "remaining_after": int(data.remaining[block.cols[c]]) - n}
              for c, n in sorted(used.items(), key=lambda item: data.mentors.ids[int(block.cols[item[0]])])]
    if progress:
        progress("done", 1000, 1000)
    return Proposal(pairs, unmatched, sum(p.score_milli for p in pairs), mode, spread, min_score, report,
                    notice=nobody_reason(data, rows))
