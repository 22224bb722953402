"""How stored values read on screen: the texts module's French, with names for references.

Plain functions (no widgets) so the table model, the forms and the detail page show values alike.
"""

from __future__ import annotations

from typing import Any

from ..domain.fields import FieldSpec, FieldType, KindSpec
from ..domain.kinds import KINDS
from ..store.errors import NotFound
from ..store.repository import Store
from ..texts import records as texts
from ..texts.french import NBSP, NNBSP, number
from ..texts.french import short_date as french_date

__all__ = ["NBSP", "NNBSP", "display_value", "edit_text", "french_date", "kind_count", "number", "record_title",
           "ref_label", "short_header"]


def display_value(spec: FieldSpec, record: dict[str, Any]) -> str:
    """The text of one field of a list row or a record (REF fields use the row's `__label`)."""
    if spec.ref:
        return str(record.get(f"{spec.name}__label") or "")
    return texts.display_value(spec, record.get(spec.name))


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
    """The record's title (texts.records.record_title), or the kind's label when it has none."""
    return texts.record_title(kind, record, lambda ref, rid: ref_label(store, ref, rid)) or KINDS[kind].label


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
