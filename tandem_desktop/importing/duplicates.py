"""The duplicate rules of an import, written once (the dialog and the README quote RULES).

A row bearing the id of a record (the first column of an export) is that record. Otherwise two
people are the same when they share an e-mail address, or a phone number, or a name together
with a birth date (for a mentor, who has none: with an employer). Names are compared forgiving
accents, case, spaces and hyphens, first and last name swapped, and one small typo (one letter
changed, missing, added, or two letters swapped): « Hélène Durand », « HELENE DURAND » and « Helene
Durant » are one person; when one of the two has no birth date (no employer) to tell them apart,
the same name exactly (once folded) is enough, so a list of bare names imported twice creates
nothing the second time. A structure is the same with the same name and postal code; a tandem with
the same mentor and mentee; a meeting with the same tandem and date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .mapping import fold

RULES = {
    "id": "même identifiant",
    "email": "même adresse e-mail",
    "phone": "même numéro de téléphone",
    "name": "même nom et même date de naissance",
    "name_employer": "même nom et même employeur",
    "name_only": "même nom",
    "name_undated": "même nom, sans date de naissance pour les départager",
    "name_no_employer": "même nom, sans employeur pour les départager",
    "structure": "même nom et même code postal",
    "pair": "même mentor et même mentoré·e",
    "meeting": "même tandem et même date",
}
# Per kind: the field a name is compared with, and the rule it makes.
_NAME_PARTNER = {"mentee": ("birth_date", "name"), "mentor": ("employer", "name_employer"),
                 "counsellor": (None, "name_only")}
# When one of the two has no such field to tell them apart, the same name (exactly, once folded) is enough.
_UNPARTNERED = {"mentee": "name_undated", "mentor": "name_no_employer"}
_BY_VALUE = {"mentee": ("email", "phone"), "mentor": ("email", "phone"), "counsellor": ("email", "phone")}
_COMPOSITE = {"structure": (("name", "postal_code"), "structure"), "tandem": (("mentor_id", "mentee_id"), "pair"),
              "meeting": (("tandem_id", "date"), "meeting")}


@dataclass(frozen=True)
class Match:
    rule: str  # a key of RULES
    target: Any  # an existing record's id (str) or an earlier row of the file (int, its row number)

    @property
    def in_file(self) -> bool:
        return isinstance(self.target, int)

    @property
    def reason(self) -> str:
        return RULES[self.rule]


def person_name(values: dict[str, Any]) -> str:
    return fold(f"{values.get('first_name') or ''} {values.get('last_name') or ''}").replace(" ", "")


def within_one_edit(a: str, b: str) -> bool:
    """True if `b` is `a` with at most one letter changed, missing, added, or two neighbours swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    start = 0
    while start < min(la, lb) and a[start] == b[start]:
        start += 1
    if la == lb:
        if a[start + 1:] == b[start + 1:]:
            return True
        return a[start + 2:] == b[start + 2:] and a[start] == b[start + 1] and a[start + 1] == b[start]
    longer, shorter = (a, b) if la > lb else (b, a)
    return longer[start + 1:] == shorter[start:]


class DuplicateIndex:
    """Records of one kind by what makes two of them the same; `find` says which a new one matches."""

    def __init__(self, kind: str):
        self.kind = kind
        self._values: dict[str, dict[Any, Any]] = {field: {} for field in _BY_VALUE.get(kind, ())}
        self._names: dict[Any, list[tuple[str, str, Any]]] = {}  # partner value -> (name, swapped, target)
        self._composite: dict[tuple[Any, ...], Any] = {}
        self._ids: set[str] = set()
        self._exact: dict[str, Any] = {}  # folded name (either order) -> the first record bearing it
        self._unpartnered: dict[str, Any] = {}  # the same, of the records without the partner field

    def add(self, target: Any, values: dict[str, Any]) -> None:
        if isinstance(target, str):
            self._ids.add(target)
        for field, seen in self._values.items():
            if key := _value_key(field, values.get(field)):
                seen.setdefault(key, target)
        if self.kind in _NAME_PARTNER:
            partner, _ = _NAME_PARTNER[self.kind]
            name = person_name(values)
            block = _partner_key(partner, values)
            swapped = fold(f"{values.get('last_name') or ''} {values.get('first_name') or ''}").replace(" ", "")
            if name and block is not None:
                self._names.setdefault(block, []).append((name, swapped, target))
            if name and self.kind in _UNPARTNERED:
                for key in (name, swapped):
                    self._exact.setdefault(key, target)
                    if block is None:
                        self._unpartnered.setdefault(key, target)
        if self.kind in _COMPOSITE:
            key = self._composite_key(values)
            if key is not None:
                self._composite.setdefault(key, target)

    def add_many(self, items: Iterable[tuple[Any, dict[str, Any]]]) -> None:
        for target, values in items:
            self.add(target, values)

    def find(self, values: dict[str, Any]) -> list[Match]:
        """Every rule `values` meets with a record already added, the first such record for each."""
        found: list[Match] = []
        if (record_id := str(values.get("id") or "").strip().lower()) in self._ids:
            found.append(Match("id", record_id))
        for field, seen in self._values.items():
            if (key := _value_key(field, values.get(field))) and key in seen:
                found.append(Match(field, seen[key]))
        if self.kind in _NAME_PARTNER:
            partner, rule = _NAME_PARTNER[self.kind]
            name = person_name(values)
            block = _partner_key(partner, values)
            before = len(found)
            if name and block is not None:
                for other, swapped, target in self._names.get(block, ()):
                    if within_one_edit(name, other) or name == swapped:
                        found.append(Match(rule, target))
                        break
            if name and self.kind in _UNPARTNERED and len(found) == before:
                target = self._exact.get(name) if block is None else self._unpartnered.get(name)
                if target is not None:
                    found.append(Match(_UNPARTNERED[self.kind], target))
        if self.kind in _COMPOSITE:
            key = self._composite_key(values)
            if key is not None and key in self._composite:
                found.append(Match(_COMPOSITE[self.kind][1], self._composite[key]))
        return _first_per_target(found)

    def _composite_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        fields, _ = _COMPOSITE[self.kind]
        parts = tuple(fold(str(values.get(f) or "")) for f in fields)
        return parts if all(parts) else None


def _value_key(field: str, value: Any) -> str | None:
    if not value:
        return None
    return str(value).casefold() if field == "email" else "".join(ch for ch in str(value) if ch.isdigit())


def _partner_key(partner: str | None, values: dict[str, Any]) -> Any:
    if partner is None:
        return ""
    value = values.get(partner)
    return fold(str(value)) if value else None


def _first_per_target(found: list[Match]) -> list[Match]:
    """One match per target (its strongest rule first), so a row shows each record it resembles once."""
    seen: dict[Any, Match] = {}
    for match in found:
        seen.setdefault(match.target, match)
    return list(seen.values())
