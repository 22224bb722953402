"""How stored values read on screen: French dates, Oui/Non, choice labels, names for references.

Plain functions (no widgets) so the table model, the forms and the detail page show values alike.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.fields import FieldSpec, FieldType, KindSpec
from ..domain.kinds import KINDS
from ..store.errors import NotFound
from ..store.repository import Store

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: French thousands separator


def french_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def number(n: int) -> str:
    return f"{n:,}".replace(",", NNBSP)


def display_value(spec: FieldSpec, record: dict[str, Any]) -> str:
    """The text of one field of a list row or a record (REF fields use the row's `__label`)."""
    value = record.get(spec.name)
    if spec.ref:
        return str(record.get(f"{spec.name}__label") or "")
    if value is None:
        return ""
    match spec.type:
        case FieldType.BOOL:
            return "Oui" if value else "Non"
        case FieldType.CHOICE:
            return spec.choice_label(value)
        case FieldType.DATE:
            return french_date(value)
        case FieldType.LIST:
            return ", ".join(spec.choice_label(item) if spec.choices else item for item in value)
        case FieldType.INT:
            return number(value)
    return str(value)


def edit_text(spec: FieldSpec, value: Any) -> str:
    """The text put in a line edit for a stored value (what the domain parses back unchanged)."""
    if value is None:
        return ""
    if spec.type is FieldType.DATE:
        return french_date(value)
    if spec.type is FieldType.LIST:
        return ", ".join(value)
    return str(value)


def short_header(spec: FieldSpec) -> str:
    """Column headers drop the explanation in brackets: « Capacité (mentorés en même temps) » → « Capacité »."""
    return spec.label.split(" (")[0]


def record_title(store: Store, kind: str, record: dict[str, Any]) -> str:
    """« Hélène Dupont » for people, the name of a structure, « mentoré·e – mentor » for a tandem."""
    spec = KINDS[kind]
    if kind == "tandem":
        mentee = ref_label(store, "mentee", record.get("mentee_id"))
        return f"{mentee} – {ref_label(store, 'mentor', record.get('mentor_id'))}"
    parts = [display_value(spec.by_name[name], record) for name in spec.title_fields]
    return " ".join(p for p in parts if p) or spec.label


def ref_label(store: Store, kind: str, record_id: str | None) -> str:
    """The title of a referenced record, or « — » when there is none (or it was deleted)."""
    if not record_id:
        return "—"
    try:
        record = store.get(kind, record_id, include_deleted=True)
    except NotFound:
        return "—"
    return record_title(store, kind, record)


def kind_count(spec: KindSpec, n: int) -> str:
    """« 1 mentor », « 1 234 mentorés »."""
    noun = spec.label.lower() if n <= 1 else spec.plural.lower()
    return f"{number(n)} {noun}"
