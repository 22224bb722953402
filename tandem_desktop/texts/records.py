"""How stored values and records read in French, the same in the window, the command line, exports
and the conflict views: choice labels, Oui/Non, JJ/MM/AAAA, and record titles.

A title that names other records (a tandem names its mentee and its mentor) gets their titles from
the caller's `ref_title(kind, record_id)`, so this module never reads the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..domain.fields import FieldSpec, FieldType
from ..domain.kinds import KINDS
from .french import number, short_date

TITLE_SEPARATOR = " – "  # between the records a title names: « mentoré·e – mentor »

RefTitle = Callable[[str, str | None], str]


def display_value(field: FieldSpec, value: Any, ref_title: RefTitle | None = None) -> str:
    """The text a counsellor reads for a stored value (a reference reads as its record's title
    when `ref_title` is given, else as its id)."""
    if value is None or value == "" or value == []:
        return ""
    if field.ref:
        return ref_title(field.ref, str(value)) if ref_title is not None else str(value)
    match field.type:
        case FieldType.BOOL:
            return "Oui" if value else "Non"
        case FieldType.CHOICE:
            return field.choice_label(value)
        case FieldType.DATE:
            return short_date(value)
        case FieldType.LIST:
            return ", ".join(field.choice_label(item) if field.choices else str(item) for item in value)
        case FieldType.INT:
            return number(value) if isinstance(value, int) else str(value)
    return str(value)


def tandem_title(mentee: str, mentor: str) -> str:
    """« Inès Haddad – Hélène Dupont »: a tandem is named by its mentee first, then its mentor."""
    return f"{mentee}{TITLE_SEPARATOR}{mentor}"


def record_title(kind: str, record: Mapping[str, Any], ref_title: RefTitle) -> str:
    """« Hélène Dupont » for people, a structure's name, a meeting's date, « mentoré·e – mentor » for
    a tandem; "" when the record has none of its title fields."""
    if kind == "tandem":
        return tandem_title(ref_title("mentee", record.get("mentee_id")), ref_title("mentor", record.get("mentor_id")))
    spec = KINDS[kind]
    parts = [display_value(spec.by_name[name], record.get(name), ref_title) for name in spec.title_fields]
    return " ".join(part for part in parts if part)
