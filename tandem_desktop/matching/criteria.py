"""What matching looks at: hard constraints (a pair is possible or not) and weighted soft criteria.

Each has a stable code (JSON, settings, tests) and a French label (screens). No sensitive attribute
(origin, health, religion, sex, age) is read by any criterion: the lists below are the whole model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Constraint:
    code: str
    bit: int
    label: str


# Hard constraints: a pair breaking one is never suggested nor proposed; its reasons are kept.
HARD_CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("mentor_inactive", 0, "Mentor inactif"),
    Constraint("no_consent", 1, "Consentement non recueilli"),
    Constraint("no_capacity", 2, "Plus de place chez ce mentor"),
    Constraint("same_employer", 3, "Conflit d’intérêts\u00a0: même employeur"),
    Constraint("declared_conflict", 4, "Conflit d’intérêts déclaré"),
    Constraint("declined", 5, "Déjà écarté pour ce mentoré"),
    Constraint("language", 6, "Ne parle pas la langue indispensable"),
    Constraint("too_far", 7, "Trop loin pour se rencontrer"),
    Constraint("already_paired", 8, "Déjà en tandem ensemble"),
    Constraint("below_minimum", 9, "Score sous le minimum demandé"),
)
CONSTRAINT_BY_CODE = {c.code: c for c in HARD_CONSTRAINTS}


def bit(code: str) -> int:
    return 1 << CONSTRAINT_BY_CODE[code].bit


def reasons_of(bits: int) -> list[Constraint]:
    """The constraints a pair breaks, in the fixed order above."""
    return [c for c in HARD_CONSTRAINTS if bits >> c.bit & 1]


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str


# Soft criteria, each a value in [0, 1]; the order is the order of every array and explanation.
CRITERIA: tuple[Criterion, ...] = (
    Criterion("project", "Type de projet"),
    Criterion("trade", "Métier et secteur"),
    Criterion("needs", "Besoins et compétences"),
    Criterion("distance", "Distance"),
    Criterion("availability", "Disponibilités"),
    Criterion("languages", "Langues"),
    Criterion("preferences", "Préférences de rencontre"),
    Criterion("waiting", "Temps d’attente"),
)
CRITERION_CODES = tuple(c.code for c in CRITERIA)

PROGRAMMES = ("job_search", "business_creation", "orientation")
PROGRAMME_LABELS = {"job_search": "Recherche d’emploi", "business_creation": "Création d’entreprise",
                    "orientation": "Orientation"}

# Defaults per programme: creators need skills (finance, legal, sales) more than a mentor of their
# exact trade; job seekers gain most from someone of their trade.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "job_search": {"project": 1.0, "trade": 3.0, "needs": 2.0, "distance": 2.0, "availability": 1.5,
                   "languages": 1.0, "preferences": 0.5, "waiting": 1.0},
    "business_creation": {"project": 2.0, "trade": 1.0, "needs": 3.0, "distance": 1.5, "availability": 1.5,
                          "languages": 1.0, "preferences": 0.5, "waiting": 1.0},
    "orientation": {"project": 1.0, "trade": 2.0, "needs": 2.0, "distance": 2.0, "availability": 1.5,
                    "languages": 1.0, "preferences": 0.5, "waiting": 1.0},
}
MAX_WEIGHT = 10.0


class SettingsError(ValueError):
    """A matching setting out of range; the message is French, for the counsellor."""


@dataclass(frozen=True)
class MatchingSettings:
    """Weights per programme type, the minimum score of a proposal and load spreading."""

    weights: dict[str, dict[str, float]] = field(default_factory=lambda: json.loads(json.dumps(DEFAULT_WEIGHTS)))
    min_score: float = 0.35  # a proposal leaves a mentee unmatched rather than below this
    spread: bool = True  # load spreading in batch proposals
    spread_penalty: float = 0.04  # score given up per mentee a mentor already has or receives
    max_extra_km: float = 0.0  # tolerance added to the meeting reach of a pair

    def weight_vector(self, programme: str) -> tuple[float, ...]:
        table = self.weights.get(programme) or self.weights.get("job_search") or DEFAULT_WEIGHTS["job_search"]
        return tuple(float(table.get(code, 0.0)) for code in CRITERION_CODES)

    def with_weight(self, programme: str, criterion: str, value: float) -> MatchingSettings:
        weights = {p: dict(w) for p, w in self.weights.items()}
        weights.setdefault(programme, dict(DEFAULT_WEIGHTS["job_search"]))[criterion] = float(value)
        return replace(self, weights=weights).checked()

    def checked(self) -> MatchingSettings:
        for programme, table in self.weights.items():
            if programme not in PROGRAMMES:
                raise SettingsError(f"Type de projet inconnu\u00a0: {programme}.")
            for code, value in table.items():
                if code not in CRITERION_CODES:
                    raise SettingsError(f"Critère inconnu\u00a0: {code}.")
                if not 0 <= value <= MAX_WEIGHT:
                    raise SettingsError(f"Le poids «\u00a0{code}\u00a0» doit être compris entre 0 et 10.")
            if not any(table.values()):
                label = PROGRAMME_LABELS[programme]
                raise SettingsError(f"Donnez un poids à au moins un critère pour «\u00a0{label}\u00a0».")
        if not 0 <= self.min_score <= 1:
            raise SettingsError("Le score minimum doit être compris entre 0 et 1.")
        if not 0 <= self.spread_penalty <= 0.5:
            raise SettingsError("La pénalité de répartition doit être comprise entre 0 et 0,5.")
        return self

    def to_json(self) -> str:
        return json.dumps({"weights": self.weights, "min_score": self.min_score, "spread": self.spread,
                           "spread_penalty": self.spread_penalty, "max_extra_km": self.max_extra_km},
                          sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> MatchingSettings:
        """Stored settings over the defaults; a damaged value falls back to the defaults."""
        base = cls()
        if not text:
            return base
        try:
            raw: dict[str, Any] = json.loads(text)
            stored = raw.get("weights") or {}
            weights = {p: {**DEFAULT_WEIGHTS[p], **{c: float(v) for c, v in stored.get(p, {}).items()}}
                       for p in PROGRAMMES}
            return cls(weights=weights, min_score=float(raw.get("min_score", base.min_score)),
                       spread=bool(raw.get("spread", base.spread)),
                       spread_penalty=float(raw.get("spread_penalty", base.spread_penalty)),
                       max_extra_km=float(raw.get("max_extra_km", base.max_extra_km))).checked()
        except (ValueError, TypeError, KeyError, AttributeError):
            return base
