"""Suggestions: the best mentors for one mentee, or the best mentees for one mentor, explained.

Ranking is by score, then by id, so the same data and settings give the same list, byte for byte.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .consent import consent_split, consent_state
from .criteria import MatchingSettings, reasons_of
from .explain import Contribution, Explainer
from .features import MatchingData
from .score import Block, score_block


@dataclass(frozen=True)
class Candidate:
    id: str
    kind: str  # "mentor" or "mentee"
    name: str
    score: float  # on 100
    score_milli: int
    distance_km: float | None
    contributions: list[Contribution]

    @property
    def reasons_for(self) -> list[Contribution]:
        return [c for c in self.contributions if c.polarity == "pour"]

    @property
    def reasons_against(self) -> list[Contribution]:
        return [c for c in self.contributions if c.polarity == "contre"]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "score": self.score,
                "distance_km": self.distance_km, "contributions": [c.as_dict() for c in self.contributions]}


@dataclass
class Suggestions:
    subject_kind: str
    subject_id: str
    candidates: list[Candidate]
    possible: int  # candidates meeting every hard constraint
    excluded: dict[str, int] = field(default_factory=dict)  # constraint code -> pairs it rules out
    # Why the subject's own consent keeps them out of matching (« Consentement retiré le 03/12/2026 »),
    # "" when it is current; then `excluded_consent` splits excluded["no_consent"] by the candidates'
    # consent states (domain/consent.py: missing, withdrawn, expired -> how many).
    subject_consent: str = ""
    excluded_consent: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"subject": {"kind": self.subject_kind, "id": self.subject_id}, "possible": self.possible,
                "excluded": self.excluded, "subject_consent": self.subject_consent,
                "excluded_consent": self.excluded_consent, "candidates": [c.as_dict() for c in self.candidates]}


def _candidate(block: Block, explainer: Explainer, r: int, c: int, kind: str) -> Candidate:
    side = explainer.data.mentors if kind == "mentor" else explainer.data.mentees
    index = int(block.cols[c] if kind == "mentor" else block.rows[r])
    km = float(block.distance[r, c])
    milli = int(block.scores[r, c])
    return Candidate(side.ids[index], kind, side.names[index], milli / 10, milli,
                     None if km != km else km, explainer.contributions(block, r, c))


def _excluded(reasons: np.ndarray) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for bits, count in zip(*np.unique(reasons[reasons != 0], return_counts=True), strict=True):
        for constraint in reasons_of(int(bits)):
            counts[constraint.code] += int(count)
    return dict(sorted(counts.items()))


def _ranked(scores: np.ndarray, ids: list[str], possible: np.ndarray, top: int) -> list[int]:
    """Indexes of the `top` best possible candidates: score descending, then id ascending."""
    candidates = np.nonzero(possible)[0]
    if top < len(candidates):  # cut to the few that can make the top before sorting by id
        threshold = np.partition(scores[candidates], len(candidates) - top)[len(candidates) - top]
        candidates = candidates[scores[candidates] >= threshold]
    return sorted(candidates.tolist(), key=lambda k: (-int(scores[k]), ids[k]))[:top]


def for_mentee(data: MatchingData, settings: MatchingSettings, explainer: Explainer, mentee_id: str,
               top: int = 10) -> Suggestions:
    row = data.mentees.row[mentee_id]
    block = score_block(data, settings, rows=np.array([row]))
    possible = block.reasons[0] == 0
    ids = [data.mentors.ids[int(j)] for j in block.cols]
    best = _ranked(block.scores[0], ids, possible, top)
    explainer.prepare(block, [(0, c) for c in best])
    own = consent_state(data.mentees, row, data.today)
    return Suggestions("mentee", mentee_id, [_candidate(block, explainer, 0, c, "mentor") for c in best],
                       int(possible.sum()), _excluded(block.reasons[0]), own.reason,
                       {} if own.reason else consent_split(data.mentors, block.cols, data.today))


def for_mentor(data: MatchingData, settings: MatchingSettings, explainer: Explainer, mentor_id: str,
               top: int = 10, rows: np.ndarray | None = None) -> Suggestions:
    """Best mentees for a mentor, among `rows` (default: every mentee in the data, i.e. waiting ones)."""
    col = data.mentors.row[mentor_id]
    block = score_block(data, settings, rows=rows, cols=np.array([col]))
    possible = block.reasons[:, 0] == 0
    ids = [data.mentees.ids[int(i)] for i in block.rows]
    best = _ranked(block.scores[:, 0], ids, possible, top)
    explainer.prepare(block, [(r, 0) for r in best])
    own = consent_state(data.mentors, col, data.today)
    return Suggestions("mentor", mentor_id, [_candidate(block, explainer, r, 0, "mentee") for r in best],
                       int(possible.sum()), _excluded(block.reasons[:, 0]), own.reason,
                       {} if own.reason else consent_split(data.mentees, block.rows, data.today))
