"""How long personal data is kept, and who is due for anonymisation (GDPR, CNIL frameworks).

The CNIL's frameworks for social support and for the missions locales keep a person's file in the
active base for two years after the last contact with them; after that it is anonymised: only
aggregate fields stay (programme, trade code, structure, tandems' steps and outcome, département,
age band — see domain/erasure.py, which does the clearing). A structure may keep some programmes
shorter or longer; the hub's administrator sets the rules (`tandem-hub retention set`) and every
device receives them at its next sync. Mentors of some programmes (young people, possibly minors)
must show an « attestation d’honorabilité », renewed every year.

Plain Python over plain values: the store computes each person's last contact, this module says
who is due and why, in French.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .kinds import PROJECT_TYPES

NBSP = "\u00a0"  # (the domain imports nothing of ours: texts.french has the same)


def quoted(text: str) -> str:
    return f"«{NBSP}{text}{NBSP}»"


def short_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")

PROGRAMMES = dict(PROJECT_TYPES)  # a mentee's programme is their project type
MENTOR = "mentor"  # the rule of mentors (their own retention)
ANONYMISE = "anonymise"
HONORABILITY = "honorability"
DEFAULT_YEARS = 2
MAX_YEARS = 10
DEFAULT_HONORABILITY_MONTHS = 12


@dataclass(frozen=True)
class Rule:
    years: int = DEFAULT_YEARS  # kept this long after the last contact, then anonymised
    honorability: bool = False  # mentors of this programme need a current « attestation d’honorabilité »


@dataclass(frozen=True)
class Rules:
    """The retention rules in force (the hub's, or these defaults before the first sync)."""

    programmes: Mapping[str, Rule] = field(default_factory=lambda: {
        "job_search": Rule(), "business_creation": Rule(), "orientation": Rule(honorability=True)})
    mentor: Rule = Rule()
    honorability_months: int = DEFAULT_HONORABILITY_MONTHS

    def programme(self, code: str | None) -> Rule:
        return self.programmes.get(code or "", Rule())

    def as_dict(self) -> dict[str, Any]:
        return {"version": 1, "honorability_months": self.honorability_months,
                "mentor": {"years": self.mentor.years},
                "programmes": {code: {"years": r.years, "honorability": r.honorability}
                               for code, r in sorted(self.programmes.items())}}


class InvalidRules(ValueError):
    """Rules that cannot be used; str() says why, in French."""


def parse_rules(data: Any) -> Rules:
    """Rules from their JSON form, checked (InvalidRules otherwise): the hub sends them, an
    administrator types them; anything unknown is refused rather than guessed."""
    if not isinstance(data, dict) or data.get("version") != 1:
        raise InvalidRules("Règles de conservation illisibles (version 1 attendue).")
    programmes: dict[str, Rule] = {}
    raw = data.get("programmes") or {}
    if not isinstance(raw, dict):
        raise InvalidRules("Règles de conservation illisibles (programmes).")
    for code, value in raw.items():
        if code not in PROGRAMMES or not isinstance(value, dict):
            raise InvalidRules(f"Programme inconnu dans les règles de conservation{NBSP}: {quoted(str(code)[:40])}.")
        programmes[code] = Rule(_years(value.get("years")), value.get("honorability") is True)
    mentor = data.get("mentor") or {}
    months = data.get("honorability_months", DEFAULT_HONORABILITY_MONTHS)
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 60:
        raise InvalidRules("La validité de l’attestation d’honorabilité va de 1 à 60 mois.")
    base = Rules()
    return Rules({**base.programmes, **programmes},
                 Rule(_years(mentor.get("years") if isinstance(mentor, dict) else None)), months)


def _years(value: Any) -> int:
    if value is None:
        return DEFAULT_YEARS
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_YEARS:
        raise InvalidRules(f"Une durée de conservation va de 1 à {MAX_YEARS} ans après le dernier contact.")
    return value


@dataclass(frozen=True)
class Due:
    """One person due for something: anonymisation (retention over) or a renewed attestation."""

    kind: str
    record_id: str
    what: str  # ANONYMISE or HONORABILITY
    since: date  # the day it became due
    reason: str  # in French, for the review screen and `tandem privacy due`
    last_contact: date | None = None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def retention_due(kind: str, record_id: str, programme: str | None, last_contact: date | None,
                  live_tandem: bool, today: date, rules: Rules) -> Due | None:
    """Due for anonymisation: no live tandem and the last contact older than the rule's years."""
    if live_tandem or last_contact is None:
        return None
    rule = rules.mentor if kind == MENTOR else rules.programme(programme)
    limit = add_years(last_contact, rule.years)
    if limit > today:
        return None
    which = "des mentors" if kind == MENTOR else f"du programme {quoted(PROGRAMMES.get(programme or '', '—'))}"
    reason = (f"Dernier contact le {short_date(last_contact)}{NBSP}: plus de {rule.years}{NBSP}ans "
              f"(règle {which}).")
    return Due(kind, record_id, ANONYMISE, limit, reason, last_contact)


def honorability_due(record_id: str, project_types: list[str] | None, attested_on: date | None, today: date,
                     rules: Rules) -> Due | None:
    """A mentor of a programme that asks for it, without a current attestation d’honorabilité."""
    needing = [code for code in project_types or () if rules.programme(code).honorability]
    if not needing:
        return None
    names = ", ".join(quoted(PROGRAMMES[c]) for c in needing)
    if attested_on is None:
        return Due(MENTOR, record_id, HONORABILITY, today,
                   f"Attestation d’honorabilité manquante (exigée pour {names}).")
    expires = add_months(attested_on, rules.honorability_months)
    if expires > today:
        return None
    return Due(MENTOR, record_id, HONORABILITY, expires,
               f"Attestation d’honorabilité du {short_date(attested_on)} expirée le "
               f"{short_date(expires)} (à renouveler chaque année pour {names}).")
