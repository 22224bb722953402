"""Field and kind descriptions: the single source the store, the forms, the CLI and exports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
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


_MISSING = object()
_MEMO_SIZE = 4096
LONG_TEXT_LIMIT = 20_000


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
    max_length: int = 200  # characters of a text, or of each item of a list
    max_items: int = 50  # items of a list
    searchable: bool = False
    # Recent inputs and their parsed values: imports repeat the same communes, dates, lists and
    # structure ids thousands of times, and parsing each anew dominated bulk writes.
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @property
    def codes(self) -> frozenset[str]:
        return _codes(self.choices)

    def choice_label(self, code: str | None) -> str:
        return dict(self.choices).get(code or "", code or "")

    def parse(self, raw: Any) -> Any:
        """Turn what a user or a script typed into the stored value; raise InvalidValue in French."""
        if raw is None:
            return None
        if type(raw) is str:
            if self.type is FieldType.TEXT and raw.isprintable():  # the commonest case, inline: bulk
                text = " ".join(raw.split())  # imports run it 10⁵ times (controls take the slow path)
                if len(text) <= self.max_length:
                    return text or None
            elif not raw or raw.isspace():
                return None
        kind = type(raw)
        # Strings key themselves; other types are tagged, since True, 1 and 1.0 are equal as keys.
        key = raw if kind is str else (kind, tuple(raw) if kind is list else raw)
        try:
            cached = self._memo.get(key, _MISSING)
        except TypeError:  # unhashable (a list of lists…): no memo
            return _PARSERS[self.type](self, raw)
        if cached is _MISSING:
            cached = _PARSERS[self.type](self, raw)  # errors are raised, never memoised
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = tuple(cached) if type(cached) is list else cached
        return list(cached) if type(cached) is tuple else cached

    def _parse_text(self, raw: Any) -> str:
        if self.type is FieldType.LONG_TEXT:
            text, limit = v.multi_line(raw), LONG_TEXT_LIMIT
        else:
            text, limit = v.one_line(raw), self.max_length
        if len(text) > limit:
            raise v.InvalidValue(f"Texte trop long ({len(text)} caractères, {limit} au plus).")
        return text

    def _parse_date(self, raw: Any) -> str:
        if isinstance(raw, str) and len(raw) == 10 and raw[4] == "-":
            try:  # fast path for stored (ISO) values
                parsed = date.fromisoformat(raw)
                if 1900 <= parsed.year <= 2100:
                    return raw
            except ValueError:
                pass
        return v.parse_date(raw).isoformat()

    def _parse_list(self, raw: Any) -> list[str] | None:
        items = v.parse_list(raw)
        allowed = self.codes
        if allowed and (unknown := [i for i in items if i not in allowed]):
            raise v.InvalidValue(f"Valeur inconnue\u00a0: « {v.shown(unknown[0])} ».")
        if len(items) > self.max_items:
            raise v.InvalidValue(f"Liste trop longue ({len(items)} éléments, {self.max_items} au plus).")
        for position, item in enumerate(items, 1):
            if len(item) > self.max_length:
                raise v.InvalidValue(f"Élément {position} trop long ({len(item)} caractères, "
                                     f"{self.max_length} au plus).")
        return items or None

    def parse_clean_lists(self, lists: list[Any]) -> list[list[str] | None] | None:
        """parse() of each of `lists` (lists or tuples), checked all at once when every item is already
        one clean line of text, as imports and the demo give them; None when one is not (then parse()
        each: it says what is wrong). The rules of _parse_list: items kept once in first-seen order,
        known codes only, counts and lengths bounded."""
        items: set[Any] = set()
        try:
            for value in lists:
                items.update(value)
        except TypeError:  # an item that is no text (a list in a list…)
            return None
        if any(type(item) is not str for item in items) or not "".join(items).isprintable():
            return None
        if any(not item or len(item) > self.max_length or " ".join(item.split()) != item for item in items):
            return None
        if (allowed := self.codes) and not items <= allowed:
            return None
        parsed = [list(dict.fromkeys(value)) for value in lists]
        if any(len(value) > self.max_items for value in parsed):
            return None
        return [value or None for value in parsed]

    def _parse_ref(self, raw: Any) -> str:
        from .ids import is_record_id

        if not isinstance(raw, str):
            raise v.InvalidValue("Identifiant invalide.")
        text = raw.strip().lower()
        if not is_record_id(text):
            raise v.InvalidValue("Identifiant invalide.")
        return text

    def _parse_choice(self, raw: Any) -> str:
        options = ", ".join(f"« {label} » ({code})" for code, label in self.choices)
        if not isinstance(raw, str):
            raise v.InvalidValue(f"Choix invalide. Possibles\u00a0: {options}.")
        if raw in self.codes:
            return raw
        text = raw.strip()
        for code, label in self.choices:
            if text in (code, label) or text.casefold() == label.casefold():
                return code
        raise v.InvalidValue(f"Choix invalide\u00a0: « {v.shown(text)} ». Possibles\u00a0: {options}.")


@lru_cache(maxsize=256)
def _codes(choices: tuple[tuple[str, str], ...]) -> frozenset[str]:
    return frozenset(code for code, _ in choices)


_PARSERS = {
    FieldType.TEXT: FieldSpec._parse_text,
    FieldType.LONG_TEXT: FieldSpec._parse_text,
    FieldType.EMAIL: lambda _spec, raw: v.normalize_email(v.as_text(raw)),
    FieldType.PHONE: lambda _spec, raw: v.normalize_phone(v.as_text(raw)),
    FieldType.POSTAL_CODE: lambda _spec, raw: v.normalize_postal_code(v.as_text(raw)),
    FieldType.DATE: FieldSpec._parse_date,
    FieldType.INT: lambda spec, raw: v.parse_int(raw, spec.minimum, spec.maximum),
    FieldType.BOOL: lambda _spec, raw: v.parse_bool(raw),
    FieldType.LIST: FieldSpec._parse_list,
    FieldType.CHOICE: FieldSpec._parse_choice,
    FieldType.REF: FieldSpec._parse_ref,
}


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
    # Statuses listed after all others in the natural order (ended tandems below the live ones).
    last_statuses: tuple[str, ...] = ()
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    required: tuple[str, ...] = field(init=False, repr=False, compare=False)

    field_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    searchable: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "required", tuple(f.name for f in self.fields if f.required))
        object.__setattr__(self, "field_names", tuple(f.name for f in self.fields))
        object.__setattr__(self, "searchable", tuple(f.name for f in self.fields if f.searchable))

    def spec(self, name: str) -> FieldSpec:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(self.field_names)
            message = f"Champ inconnu pour {self.label.lower()}\u00a0: « {v.shown(name)} ». Champs\u00a0: {known}."
            raise KeyError(message) from None

    def defaults(self, today: date) -> dict[str, Any]:
        """A fresh dict of default values (lists copied, so callers may change them)."""
        return {k: list(v) if isinstance(v, list) else v for k, v in _defaults(self.name, today).items()}


@lru_cache(maxsize=64)
def _defaults(kind: str, today: date) -> dict[str, Any]:
    from .kinds import KINDS  # kinds are built from this module

    spec = KINDS[kind]
    values: dict[str, Any] = {}
    for field_spec in spec.fields:
        default = field_spec.default
        if default == "today":
            default = today.isoformat()
        if default is not None:
            values[field_spec.name] = list(default) if isinstance(default, tuple) else default
    return values
