"""What erasing a person leaves behind, the same rule on every device and at the hub.

A mentee or mentor who asks to be forgotten (or whose retention period is over) is erased: every
field that says who they are is cleared, the record becomes a tombstone carrying an *erasure
marker*, and the records about them — their tandems and those tandems' meetings — lose their free
text (objectives, notes, reports) too. What remains is aggregate: the programme, the trade family,
the structure, the tandem's steps and outcome, and in the marker the département and an age band,
so a later dashboard still counts the tandem and its outcome.

The marker is a small JSON object, `{"reason", "on", "department"?, "age_band"?}`, with nothing
personal in it. It lives beside `deleted` as a record's `erased` meta field, with its own version,
so it syncs like any field; the hub refuses every later write to an erased field (PROTOCOL.md,
"Erasure"), which is how the erasure wins over an edit made offline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .kinds import KINDS

ERASED = "erased"
DELETED = "deleted"

REASONS: tuple[tuple[str, str], ...] = (
    ("request", "Demande de la personne (droit à l’effacement)"),
    ("retention", "Durée de conservation dépassée"),
    ("consent_withdrawn", "Retrait du consentement"),
)
REASON_LABELS = dict(REASONS)

PERSON_KINDS = ("mentee", "mentor")  # the kinds a counsellor can erase
# What an erased record keeps: fields that say nothing about who the person is.
KEPT: dict[str, frozenset[str]] = {
    "mentee": frozenset({"project_type", "trade_code", "structure_id", "counsellor_id", "status",
                         "mobility_mode", "meeting_modes"}),
    "mentor": frozenset({"trade_code", "capacity", "project_types", "meeting_modes", "structure_id"}),
    "tandem": frozenset({"mentor_id", "mentee_id", "counsellor_id", "structure_id", "status", "duration_months",
                         "proposed_on", "accepted_on", "charter_signed_on", "started_on", "ended_on", "outcome"}),
    "meeting": frozenset({"tandem_id", "date", "mode", "duration_min"}),
}
LINKS = {"tandem": ("mentee_id", "mentor_id"), "meeting": ("tandem_id",)}  # records about an erased one
ERASED_LABEL = "Personne effacée"
AGE_BANDS = ((16, "moins de 16 ans"), (18, "16–17 ans"), (26, "18–25 ans"), (31, "26–30 ans"), (46, "31–45 ans"),
             (61, "46–60 ans"), (200, "plus de 60 ans"))
_DEPARTMENT_RE = re.compile(r"(?:\d{2,3}|2A|2B)")


def personal_fields(kind: str) -> tuple[str, ...]:
    """The fields an erasure clears on a record of `kind` (every field it does not keep)."""
    kept = KEPT.get(kind)
    if kept is None:
        return ()
    return tuple(name for name in KINDS[kind].field_names if name not in kept)


def department(postal_code: Any) -> str | None:
    """The département of a French postal code (« 13001 » → « 13 », overseas « 97411 » → « 974 »)."""
    code = str(postal_code or "").replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def age_band(birth_date: Any, on: date) -> str | None:
    try:
        born = date.fromisoformat(str(birth_date))
    except ValueError:
        return None
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((label for limit, label in AGE_BANDS if age < limit), None)


def marker(kind: str, record: Mapping[str, Any], reason: str, on: date) -> dict[str, Any]:
    """The erasure marker of a person's record (aggregates computed before the fields go)."""
    if reason not in REASON_LABELS:
        raise ValueError(f"Motif d’effacement inconnu : {reason!r}")
    found: dict[str, Any] = {"reason": reason, "on": on.isoformat()}
    if kind in PERSON_KINDS:
        if (dep := department(record.get("postal_code"))) is not None:
            found["department"] = dep
        if kind == "mentee" and (band := age_band(record.get("birth_date"), on)) is not None:
            found["age_band"] = band
    return found


def linked_marker(person_marker: Mapping[str, Any]) -> dict[str, Any]:
    """The marker of a record about an erased person: the reason and date, no aggregates of theirs."""
    return {"reason": person_marker.get("reason"), "on": person_marker.get("on"), "linked": True}


def parse_marker(value: Any) -> dict[str, Any] | None:
    """A marker as a device or hub sent it, checked field by field (None: not a marker). Nothing but
    the expected keys and shapes passes, so a marker can never carry personal data."""
    if not isinstance(value, dict) or value.get("reason") not in REASON_LABELS:
        return None
    try:
        on = date.fromisoformat(str(value.get("on")))
    except ValueError:
        return None
    found: dict[str, Any] = {"reason": value["reason"], "on": on.isoformat()}
    dep = value.get("department")
    if dep is not None:
        if not isinstance(dep, str) or not _DEPARTMENT_RE.fullmatch(dep):
            return None
        found["department"] = dep
    band = value.get("age_band")
    if band is not None:
        if band not in {label for _, label in AGE_BANDS}:
            return None
        found["age_band"] = band
    if value.get("linked") is True:
        found["linked"] = True
    extra = set(value) - {"reason", "on", "department", "age_band", "linked"}
    return None if extra else found


def is_erased(record: Mapping[str, Any]) -> bool:
    return bool(record.get(ERASED))


def erasing_changes(kind: str, record_marker: Mapping[str, Any], *, person: bool) -> dict[str, Any]:
    """field -> new value of an erasure: every personal field cleared, the marker set, and a person's
    record made a tombstone (it leaves every list; its tandems stay, about « Personne effacée »)."""
    changes: dict[str, Any] = {name: None for name in personal_fields(kind)}
    changes[ERASED] = dict(record_marker)
    if person:
        changes[DELETED] = True
    return changes


MSG_CLEARED = "Fiche liée à une personne effacée\u00a0: ce champ n’est plus conservé."


def touches_erased(kind: str, changes: Mapping[str, Any]) -> list[str]:
    """The fields of a write that an erasure cleared (a write to any of them is refused)."""
    personal = set(personal_fields(kind))
    return [name for name in changes if name in personal or name == ERASED]


@dataclass
class Erased:
    """What one erasure cleared here: the person, the records about them, what else went."""

    kind: str
    record_id: str
    marker: dict[str, Any]
    linked: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids of tandems and meetings cleared
    pending_dropped: int = 0  # writes of the outbox that carried their values
    charters: int = 0  # signed charters and scans of their tandems, deleted

    @property
    def linked_count(self) -> int:
        return sum(len(ids) for ids in self.linked.values())
