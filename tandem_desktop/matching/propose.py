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

from .assign import assign
from .criteria import CONSTRAINT_BY_CODE, MatchingSettings, reasons_of
from .explain import Contribution, Explainer, points_text
from .features import MatchingData
from .score import Block, score_block
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

    @property
    def total(self) -> float:
        return self.total_milli / 10

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "spread": self.spread, "min_score": self.min_score,
                "total": self.total, "matched": len(self.pairs), "unmatched_count": len(self.unmatched),
                "pairs": [p.as_dict() for p in self.pairs], "unmatched": [u.as_dict() for u in self.unmatched],
                "mentor_capacity": self.capacity}


def _unmatched_reason(block: Block, r: int, min_milli: int) -> tuple[str, str]:
    possible = block.reasons[r] == 0
    if not possible.any():
        counts: Counter[str] = Counter()
        for bits, n in zip(*np.unique(block.reasons[r], return_counts=True), strict=True):
            for constraint in reasons_of(int(bits)):
                counts[constraint.code] += int(n)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], CONSTRAINT_BY_CODE[item[0]].bit))[:3]
        top = ", ".join(f"{CONSTRAINT_BY_CODE[code].label.lower()} ({n})" for code, n in ranked)
        return "no_possible_mentor", f"Aucun mentor possible\u00a0: {top}" if top else "Aucun mentor disponible"
    best = int(block.scores[r][possible].max())
    if best < min_milli:
        return "below_minimum", (f"Aucun mentor n'atteint le score minimum de {points_text(min_milli)} "
                                 f"(meilleur\u00a0: {points_text(best)})")
    return "taken", "Les mentors possibles n'ont plus de place\u00a0: ils sont proposés à d'autres mentorés"


def propose(data: MatchingData, settings: MatchingSettings, explainer: Explainer,
            rows: np.ndarray | None = None, *, min_score: float | None = None, mode: Mode = "best",
            spread: bool | None = None, pinned: dict[str, str] | None = None,
            progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Proposal:
    """`pinned` maps mentee id -> mentor id (kept as is, if the pair is possible)."""
    min_score = settings.min_score if min_score is None else min_score
    spread = settings.spread if spread is None else spread
    min_milli = round(min_score * 1000)
    if progress:
        progress("score", 0, 3)
    block = score_block(data, settings, rows=rows)
    mentee_ids = [data.mentees.ids[int(i)] for i in block.rows]
    capacity = data.remaining[block.cols].astype(np.int64)
    load = data.load[block.cols].astype(np.int64)
    keep: dict[int, int] = {}
    for r, mentee_id in enumerate(mentee_ids):
        mentor_row = data.mentors.row.get((pinned or {}).get(mentee_id, ""))
        if mentor_row is not None and block.reasons[r, mentor_row] == 0 and capacity[mentor_row] > 0:
            keep[r] = mentor_row
            capacity[mentor_row] -= 1
            load[mentor_row] += 1
    feasible = (block.reasons == 0) & (block.scores >= min_milli)
    if keep:
        feasible[list(keep)] = False
    if progress:
        progress("solve", 1, 3)
    penalty = round(settings.spread_penalty * 1000) if spread else 0
    result = assign(block.scores, feasible, capacity, load=load, spread=penalty, mode=mode, cancel=cancel)
    if progress:
        progress("explain", 2, 3)
    chosen = {r: int(c) for r, c in enumerate(result.mentor_of) if c >= 0}
    chosen.update(keep)
    explainer.prepare(block, sorted(chosen.items()))
    pairs, unmatched, used = [], [], Counter()
    for r in range(len(mentee_ids)):
        mentee = data.mentees.records[int(block.rows[r])]
        if r in chosen:
            c = chosen[r]
            mentor = data.mentors.records[int(block.cols[c])]
            used[c] += 1
            pairs.append(Pair(mentee_ids[r], mentor["id"], person_name(mentee), person_name(mentor),
                              int(block.scores[r, c]) / 10, int(block.scores[r, c]), r in keep,
                              explainer.contributions(block, r, c)))
        else:
            code, reason = _unmatched_reason(block, r, min_milli)
            unmatched.append(Unmatched(mentee_ids[r], person_name(mentee), code, reason))
    pairs.sort(key=lambda p: (-p.score_milli, p.mentee_id))
    report = [{"mentor_id": data.mentors.ids[int(block.cols[c])],
               "mentor": person_name(data.mentors.records[int(block.cols[c])]),
               "capacity": int(data.capacity[block.cols[c]]), "load_before": int(data.load[block.cols[c]]),
               "proposed": n, "remaining_after": int(data.remaining[block.cols[c]]) - n}
              for c, n in sorted(used.items(), key=lambda item: data.mentors.ids[int(block.cols[item[0]])])]
    if progress:
        progress("done", 3, 3)
    return Proposal(pairs, unmatched, sum(p.score_milli for p in pairs), mode, spread, min_score, report)

