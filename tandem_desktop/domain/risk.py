"""Which live tandems need the counsellor first, and why (issue 15, « Tandems à surveiller »).

Explained like a match score: each reason that holds adds its points, the points add up to the risk,
and the level follows from the total. The rule (README, « How a tandem's risk is scored »):

| reason | points |
|---|---|
| no meeting for `quiet_days` (21 by default) — since the start when there is none yet | 2, or 4 past twice that |
| meetings thinning out: the latest gap over 1.5 × the usual gap (median of the earlier ones, 3 gaps at least) | 2 |
| satisfaction at the last follow-up point: 2 or less on either side / 3 | 3 / 1 |
| accepted a month ago or more, still no charter | 2 |
| the mentor has more live tandems than their capacity | 2 |

Levels: 0 none, 1–2 low, 3–4 medium, 5 and more high. Plain data in, plain data out: the caller
(services) reads the records, texts/ says it in French.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from statistics import median

QUIET_DAYS = 21
LIVE = ("accepted", "charter_signed", "active")  # proposed: not a tandem yet; ended: nothing to follow
NONE, LOW, MEDIUM, HIGH = "none", "low", "medium", "high"
QUIET, VERY_QUIET, THINNING, UNHAPPY, LUKEWARM, NO_CHARTER, OVERBOOKED = (
    "quiet", "very_quiet", "thinning", "unhappy", "lukewarm", "no_charter", "overbooked")
POINTS = {QUIET: 2, VERY_QUIET: 4, THINNING: 2, UNHAPPY: 3, LUKEWARM: 1, NO_CHARTER: 2, OVERBOOKED: 2}


@dataclass(frozen=True)
class TandemFacts:
    """What the rule looks at, read by the caller from the tandem, its meetings and follow-up points."""

    status: str
    accepted_on: date | None = None
    started_on: date | None = None
    meetings: Sequence[date] = ()
    satisfaction: tuple[int | None, int | None] = (None, None)  # mentor's, mentee's at the last point
    has_charter: bool = False
    mentor_live_tandems: int = 0
    mentor_capacity: int | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    days: int | None = None  # the facts behind it, for the sentence: days without meeting…
    value: int | None = None  # …the lowest satisfaction, the mentor's live tandems


@dataclass(frozen=True)
class Risk:
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def points(self) -> int:
        return sum(reason.points for reason in self.reasons)

    @property
    def level(self) -> str:
        return level_of(self.points)


def level_of(points: int) -> str:
    if points <= 0:
        return NONE
    return LOW if points <= 2 else MEDIUM if points <= 4 else HIGH


def assess(facts: TandemFacts, today: date, quiet_days: int = QUIET_DAYS) -> Risk | None:
    """The tandem's risk with its reasons; None for a tandem that is not live (nothing to watch)."""
    if facts.status not in LIVE:
        return None
    reasons = [r for r in (_quiet(facts, today, quiet_days), _thinning(facts.meetings), _satisfaction(facts),
                           _no_charter(facts, today), _overbooked(facts)) if r is not None]
    return Risk(tuple(reasons))


def _quiet(facts: TandemFacts, today: date, quiet_days: int) -> Reason | None:
    since = max(facts.meetings, default=None) or facts.started_on or facts.accepted_on
    if since is None:
        return None
    days = (today - since).days
    if days >= 2 * quiet_days:
        return Reason(VERY_QUIET, POINTS[VERY_QUIET], days=days)
    if days >= quiet_days:
        return Reason(QUIET, POINTS[QUIET], days=days)
    return None


def _thinning(meetings: Sequence[date]) -> Reason | None:
    ordered = sorted(set(meetings))
    gaps = [(b - a).days for a, b in pairwise(ordered)]
    if len(gaps) < 4:  # three earlier gaps at least, to know what is usual
        return None
    usual, latest = median(gaps[:-1]), gaps[-1]
    if usual > 0 and latest > 1.5 * usual:
        return Reason(THINNING, POINTS[THINNING], days=latest, value=round(usual))
    return None


def _satisfaction(facts: TandemFacts) -> Reason | None:
    marks = [m for m in facts.satisfaction if m is not None]
    if not marks:
        return None
    lowest = min(marks)
    if lowest <= 2:
        return Reason(UNHAPPY, POINTS[UNHAPPY], value=lowest)
    if lowest == 3:
        return Reason(LUKEWARM, POINTS[LUKEWARM], value=lowest)
    return None


def _no_charter(facts: TandemFacts, today: date) -> Reason | None:
    if facts.has_charter or facts.status != "accepted" or facts.accepted_on is None:
        return None
    days = (today - facts.accepted_on).days
    if facts.accepted_on + timedelta(days=30) <= today:
        return Reason(NO_CHARTER, POINTS[NO_CHARTER], days=days)
    return None


def _overbooked(facts: TandemFacts) -> Reason | None:
    if facts.mentor_capacity is not None and facts.mentor_live_tandems > facts.mentor_capacity:
        return Reason(OVERBOOKED, POINTS[OVERBOOKED], value=facts.mentor_live_tandems)
    return None
