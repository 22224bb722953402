"""What the builders of a right-of-access dossier share: the person's `Context` (their record and
what was read around it), how a stored value becomes a row, and how moments read.

Other people appear by name only (`Context.ref_title`), and only where their name is part of the
person's own data; record ids kept in a mentee's lists (mentors declined or excluded) name other
people, so they are counted (`Context.field_row`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...domain.erasure import ERASED, ERASED_LABEL, PERSON_KINDS
from ...domain.hlc import stamp_wall
from ...domain.kinds import KINDS
from ...store.errors import NotFound
from ...store.repository import Store
from ...texts.french import NBSP, long_datetime, plural
from ...texts.records import value_with_unit
from ..export import title_of
from .dossier import Attachment, Row

ID_LISTS = {"declined_mentors", "excluded_mentors"}  # mentor ids: other people, counted not named
ROLE = {"mentee": "mentoré·e", "mentor": "mentor"}
WITHHELD = "(non communiqué)"


def stamp_iso(stamp: str | None) -> str | None:
    """A clock stamp's moment as ISO 8601 in UTC (None for none or a malformed one)."""
    wall = stamp_wall(stamp)
    return None if wall is None else datetime.fromtimestamp(wall / 1000, UTC).isoformat(timespec="seconds")


def moment_text(iso: str | None) -> str:
    """« 26 novembre 2026 à 14 h 05 » (local time) from an ISO moment; "" for none."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return long_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def fact(key: str, label: str, value: Any, text: str | None = None) -> Row:
    return Row(key, label, value, str(value if value is not None else "") if text is None else text)


@dataclass
class Context:
    """The person and what was read around them, shared by the builders."""

    store: Store
    kind: str
    record: dict[str, Any]
    versions: dict[str, str]
    erased: bool
    tandems: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    attachments: list[Attachment] = field(default_factory=list)
    _titles: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def person_id(self) -> str:
        return self.record["id"]

    @property
    def name(self) -> str:
        return ERASED_LABEL if self.erased else (title_of(self.store, self.kind, self.record) or self.person_id)

    def ref_title(self, ref: str, record_id: str | None) -> str:
        """A referenced record by its name only (a person's is withheld once this one is erased)."""
        if not record_id:
            return ""
        if record_id == self.person_id:
            return self.name
        if self.erased and ref in PERSON_KINDS:
            return WITHHELD
        key = (ref, record_id)
        if key not in self._titles:
            try:
                other = self.store.get(ref, record_id, include_deleted=True)
                self._titles[key] = ERASED_LABEL if other.get(ERASED) else title_of(self.store, ref, other)
            except NotFound:
                self._titles[key] = "(fiche introuvable)"
        return self._titles[key]

    def field_row(self, kind: str, name: str, value: Any) -> Row:
        """A stored value as a row: references by name, mentor ids counted, the rest as the app shows it."""
        spec = KINDS[kind].by_name[name]
        if name in ID_LISTS:
            count = len(value or [])
            text = f"{plural(count, 'mentor')} (leur identité n’est pas communiquée{NBSP}: ce sont d’autres " \
                   "personnes)" if count else ""
            return Row(name, spec.label, count or None, text)
        if spec.ref:
            title = self.ref_title(spec.ref, value) if value else None
            return Row(name, spec.label, title or None, title or "")
        return Row(name, spec.label, value if value not in ("", []) else None, value_with_unit(spec, value))

    def rows_of(self, kind: str, record: dict[str, Any], *, skip: Iterable[str] = (),
                filled_only: bool = False) -> tuple[Row, ...]:
        left_out = set(skip)
        found = [self.field_row(kind, name, record.get(name)) for name in KINDS[kind].field_names
                 if name not in left_out]
        return tuple(r for r in found if r.value is not None or not filled_only)

    def tandem_title(self, tandem: dict[str, Any]) -> str:
        other_kind = "mentor" if tandem.get("mentee_id") == self.person_id else "mentee"
        other = self.ref_title(other_kind, tandem.get(f"{other_kind}_id"))
        return f"Tandem avec {other} ({ROLE[other_kind]})"

    def tandem_by_id(self, tandem_id: str | None) -> dict[str, Any] | None:
        return next((t for t in self.tandems if t["id"] == tandem_id), None)

    def current(self, record_id: str) -> dict[str, Any] | None:
        """The person's record, or one of their tandems or meetings, as held today."""
        if record_id == self.person_id:
            return self.record
        return next((r for r in (*self.tandems, *self.meetings) if r["id"] == record_id), None)

    def about(self) -> set[str]:
        """The ids of the records about the person: theirs, their tandems' and those tandems' meetings'."""
        return {self.person_id, *(t["id"] for t in self.tandems), *(m["id"] for m in self.meetings)}


def state_text(record: dict[str, Any]) -> str:
    if record.get(ERASED):
        return "Effacée"
    return "Supprimée (encore conservée sur ce poste)" if record.get("deleted") else "Active"
