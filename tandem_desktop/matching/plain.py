"""The scoring rules one pair at a time, in plain Python, straight from the record dicts.

Why keep a second implementation: it is the readable specification of score.py, tests check that
both give the same integers on demo data, and the benchmark measures what vectorising buys.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from ..domain import consent
from ..reference import Reference, distance_km, find_place
from .criteria import MatchingSettings, bit
from .features import MODE_CAP_KM, norm
from .score import EPSILON, TRADE_LEVELS, UNKNOWN, WAITING_FULL_DAYS, factors


def _set(values: Any) -> set[str]:
    return {k for k in (norm(v) for v in values or ()) if k}


def _overlap(mine: set[str], theirs: set[str]) -> float:
    if not mine or not theirs:
        return UNKNOWN
    return len(mine & theirs) / len(mine)


def _reach(record: dict[str, Any], default: float) -> float:
    km = record.get("mobility_km")
    reach = float(km) if isinstance(km, int) and km >= 0 else default
    return min(reach, MODE_CAP_KM.get(record.get("mobility_mode") or "", reach))


def _trade(mentee: dict[str, Any], mentor: dict[str, Any]) -> float:
    a, b = norm(mentee.get("trade_code")).upper(), norm(mentor.get("trade_code")).upper()
    sector_a, sector_b = norm(mentee.get("sector")), norm(mentor.get("sector"))
    if not a and not sector_a:
        return UNKNOWN
    if a and a == b:
        return TRADE_LEVELS[0]
    if len(a) >= 3 and a[:3] == b[:3]:
        return TRADE_LEVELS[1]
    if a and a[:1] == b[:1]:
        return TRADE_LEVELS[2]
    if sector_a and sector_a == sector_b:
        return TRADE_LEVELS[3]
    return 0.0


class PlainScorer:
    """Scores and reasons of single pairs; `load` is the mentor's live tandems."""

    def __init__(self, ref: Reference, settings: MatchingSettings, today: date):
        self.ref = ref
        self.settings = settings
        self.today = today
        self._places: dict[tuple[Any, Any], Any] = {}

    def place(self, record: dict[str, Any]) -> Any:
        key = (record.get("commune"), record.get("postal_code"))
        if key not in self._places:
            self._places[key] = find_place(self.ref, *key)
        return self._places[key]

    def distance(self, mentee: dict[str, Any], mentor: dict[str, Any]) -> float | None:
        a, b = self.place(mentee), self.place(mentor)
        return None if a is None or b is None else round(distance_km(a, b), 1)

    def values(self, mentee: dict[str, Any], mentor: dict[str, Any]) -> list[float]:
        programme = mentee.get("project_type") or "job_search"
        offered = {p for p in mentor.get("project_types") or () if p in ("job_search", "business_creation",
                                                                         "orientation")}
        project = UNKNOWN if not offered else (1.0 if programme in offered else 0.0)
        km = self.distance(mentee, mentor)
        reach = max(_reach(mentee, 10.0), 0.5)
        near = UNKNOWN if km is None else min(max(1.0 - km / (2.0 * reach), 0.0), 1.0)
        try:
            days = float(max((self.today - date.fromisoformat(str(mentee.get("waiting_since")))).days, 0))
        except ValueError:
            days = 0.0
        return [
            project,
            _trade(mentee, mentor),
            _overlap(_set(mentee.get("needs")), _set(mentor.get("skills"))),
            near,
            _overlap(_set(mentee.get("availability")), _set(mentor.get("availability"))),
            _overlap(_set(mentee.get("languages")), _set(mentor.get("languages"))),
            _overlap(set(mentee.get("meeting_modes") or ()) & {"in_person", "phone", "video"},
                     set(mentor.get("meeting_modes") or ()) & {"in_person", "phone", "video"}),
            min(days / WAITING_FULL_DAYS, 1.0),
        ]

    def contributions(self, mentee: dict[str, Any], mentor: dict[str, Any]) -> list[int]:
        programme = mentee.get("project_type")
        if programme not in ("job_search", "business_creation", "orientation"):
            programme = "job_search"
        weights = factors(self.settings, programme)
        return [math.floor(v * f + EPSILON) for v, f in zip(self.values(mentee, mentor), weights, strict=True)]

    def reasons(self, mentee: dict[str, Any], mentor: dict[str, Any], load: int, paired: bool) -> int:
        bits = 0
        if mentor.get("active") is False:
            bits |= bit("mentor_inactive")
        if not (consent.state(mentee, self.today).current and consent.state(mentor, self.today).current):
            bits |= bit("no_consent")
        if int(mentor.get("capacity") or 0) - load <= 0:
            bits |= bit("no_capacity")
        employer = norm(mentor.get("employer"))
        if employer and employer == norm(mentee.get("employer")):
            bits |= bit("same_employer")
        if (employer and employer in _set(mentee.get("excluded_employers"))) \
                or mentor["id"] in (mentee.get("excluded_mentors") or ()):
            bits |= bit("declared_conflict")
        if mentor["id"] in (mentee.get("declined_mentors") or ()):
            bits |= bit("declined")
        wanted = norm(mentee.get("required_language"))
        if wanted and wanted not in _set(mentor.get("languages")):
            bits |= bit("language")
        km = self.distance(mentee, mentor)
        limit = _reach(mentee, 10.0) + _reach(mentor, 15.0) + self.settings.max_extra_km
        if km is not None and km > limit:
            bits |= bit("too_far")
        if paired:
            bits |= bit("already_paired")
        return bits
