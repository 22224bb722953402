"""Field and kind descriptions: the single source the store, the forms, the CLI and exports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from . import validation as v


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    CHOICE = "choice"
    LIST = "list"
    REF = "ref"
    EMAIL = "email"
    PHONE = "phone"
    POSTAL_CODE = "postal_code"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    ref: str | None = None
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    searchable: bool = False

    def choice_label(self, code: str | None) -> str:
        return dict(self.choices).get(code or "", code or "")

    def parse(self, raw: Any) -> Any:
        """Turn what a user or a script typed into the stored value; raise InvalidValue in French."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        match self.type:
            case FieldType.TEXT | FieldType.LONG_TEXT:
                text = str(raw).strip() if self.type is FieldType.LONG_TEXT else " ".join(str(raw).split())
                limit = self.max_length if self.type is FieldType.TEXT else 20_000
                if len(text) > limit:
                    raise v.InvalidValue(f"Texte trop long ({len(text)} caractères, {limit} au plus).")
                return text
            case FieldType.EMAIL:
                return v.normalize_email(str(raw))
            case FieldType.PHONE:
                return v.normalize_phone(str(raw))
            case FieldType.POSTAL_CODE:
                return v.normalize_postal_code(str(raw))
            case FieldType.DATE:
                return v.parse_date(raw).isoformat()
            case FieldType.INT:
                return v.parse_int(raw, self.minimum, self.maximum)
            case FieldType.BOOL:
                return v.parse_bool(raw)
            case FieldType.LIST:
                items = v.parse_list(raw)
                allowed = {code for code, _ in self.choices}
                if allowed and (unknown := [i for i in items if i not in allowed]):
                    raise v.InvalidValue(f"Valeur inconnue\u00a0: « {unknown[0]} ».")
                return items or None
            case FieldType.CHOICE:
                return self._parse_choice(str(raw).strip())
            case FieldType.REF:
                from .ids import is_record_id

                text = str(raw).strip().lower()
                if not is_record_id(text):
                    raise v.InvalidValue("Identifiant invalide.")
                return text
        raise AssertionError(self.type)

    def _parse_choice(self, text: str) -> str:
        for code, label in self.choices:
            if text in (code, label) or text.casefold() == label.casefold():
                return code
        options = ", ".join(f"« {label} » ({code})" for code, label in self.choices)
        raise v.InvalidValue(f"Choix invalide\u00a0: « {text} ». Possibles\u00a0: {options}.")


@dataclass(frozen=True)
class KindSpec:
    name: str
    label: str
    plural: str
    fields: tuple[FieldSpec, ...]
    title_fields: tuple[str, ...]
    list_columns: tuple[str, ...]
    status_field: str | None = None
    structure_field: str | None = "structure_id"
    commune_field: str | None = "commune"
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def searchable(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.searchable)

    def spec(self, name: str) -> FieldSpec:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(self.field_names)
            message = f"Champ inconnu pour {self.label.lower()}\u00a0: « {name} ». Champs\u00a0: {known}."
            raise KeyError(message) from None

    def defaults(self, today: date) -> dict[str, Any]:
        values = {}
        for spec in self.fields:
            default = spec.default
            if default == "today":
                default = today.isoformat()
            if default is not None:
                values[spec.name] = list(default) if isinstance(default, tuple) else default
        return values
