"""Issue 15, point 2 (the rule, without the screen yet): every live tandem's risk is the sum of its
reasons' points, each reason explained in French with its points, on a fixed clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tandem_desktop.domain import risk
from tandem_desktop.domain.risk import TandemFacts, assess, level_of
from tandem_desktop.texts.risk import reason_text, risk_text

NBSP = "\u00a0"
TODAY = date(2026, 12, 4)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_a_quiet_tandem_gets_points_for_each_reason_and_they_add_up() -> None:
    facts = TandemFacts(status="accepted", accepted_on=days_ago(60), started_on=None,
                        meetings=(days_ago(100), days_ago(90), days_ago(80), days_ago(70), days_ago(45)),
                        satisfaction=(4, 2), has_charter=False, mentor_live_tandems=3, mentor_capacity=2)
    assessed = assess(facts, TODAY)
    assert assessed is not None
    assert {r.code: r.points for r in assessed.reasons} == {
        risk.VERY_QUIET: 4, risk.THINNING: 2, risk.UNHAPPY: 3, risk.NO_CHARTER: 2, risk.OVERBOOKED: 2}
    assert assessed.points == sum(r.points for r in assessed.reasons) == 13
    assert assessed.level == risk.HIGH
    text = risk_text(assessed)
    assert text.startswith(f"Priorité (13{NBSP}points){NBSP}: Aucune rencontre depuis 45{NBSP}jours")
    assert f"Les rencontres s’espacent{NBSP}: 25{NBSP}jours depuis l’avant-dernière, contre 10{NBSP}jours" in text
    assert f"Satisfaction basse au dernier point de suivi (2/5){NBSP}: +3" in text
    assert f"Mentor en surréservation (3{NBSP}tandems en cours){NBSP}: +2" in text


@pytest.mark.parametrize(("days", "code"), [(20, None), (21, risk.QUIET), (41, risk.QUIET), (42, risk.VERY_QUIET)])
def test_time_since_the_last_meeting(days: int, code: str | None) -> None:
    assessed = assess(TandemFacts(status="active", started_on=days_ago(200), meetings=(days_ago(days),),
                                  has_charter=True), TODAY)
    assert assessed is not None
    assert [r.code for r in assessed.reasons] == ([code] if code else [])


def test_no_meeting_yet_counts_from_the_start_and_the_setting_changes_the_limit() -> None:
    facts = TandemFacts(status="active", started_on=days_ago(15), has_charter=True)
    assert assess(facts, TODAY).reasons == ()  # type: ignore[union-attr]
    [reason] = assess(facts, TODAY, quiet_days=14).reasons  # type: ignore[union-attr]
    assert (reason.code, reason.days) == (risk.QUIET, 15)
    assert reason_text(reason, 14) == f"Aucune rencontre depuis 15{NBSP}jours (14{NBSP}jours ou plus){NBSP}: +2"


def test_only_live_tandems_are_watched_and_the_levels() -> None:
    for status in ("proposed", "ended"):
        assert assess(TandemFacts(status=status, started_on=days_ago(400)), TODAY) is None
    assert [level_of(n) for n in (0, 1, 2, 3, 4, 5, 9)] == ["none", "low", "low", "medium", "medium", "high", "high"]
    calm = assess(TandemFacts(status="active", started_on=days_ago(90), meetings=(days_ago(3),), has_charter=True,
                              satisfaction=(5, 4), mentor_live_tandems=1, mentor_capacity=1), TODAY)
    assert calm is not None and calm.points == 0 and risk_text(calm) == f"Aucun signal (0{NBSP}point)"


def test_satisfaction_charter_and_gaps_thresholds() -> None:
    lukewarm = assess(TandemFacts(status="active", started_on=days_ago(5), satisfaction=(None, 3),
                                  has_charter=True), TODAY)
    assert [(r.code, r.points) for r in lukewarm.reasons] == [(risk.LUKEWARM, 1)]  # type: ignore[union-attr]
    fresh = assess(TandemFacts(status="accepted", accepted_on=days_ago(29)), TODAY)
    assert fresh.reasons[0].code == risk.QUIET and risk.NO_CHARTER not in [r.code for r in fresh.reasons]  # type: ignore[union-attr]
    month = assess(TandemFacts(status="accepted", accepted_on=days_ago(30), meetings=(days_ago(1),)), TODAY)
    assert [r.code for r in month.reasons] == [risk.NO_CHARTER]  # type: ignore[union-attr]
    regular = [days_ago(n) for n in (55, 45, 35, 25, 10)]  # latest gap 15 = 1.5 × 10: not over it
    assert assess(TandemFacts(status="active", meetings=regular, has_charter=True), TODAY).reasons == ()  # type: ignore[union-attr]
