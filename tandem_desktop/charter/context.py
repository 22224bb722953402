"""The values a charter template is filled with, from plain records, formatted in French.

Everything the template needs is checked before any PDF is made, and everything missing is named in
one message, so the counsellor completes the records once instead of discovering gaps one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..domain.errors import DomainError
from ..domain.kinds import PROJECT_TYPES, STRUCTURE_TYPES
from ..domain.validation import parse_date
from ..texts.french import long_date as french_date
from ..texts.french import months as french_months
from .template import KNOWN_FIELDS, Template, french_typography, load_template

# What each record is called when it is missing altogether, and each field when it is empty:
# (label for a list, phrase that follows « il manque »).
_RECORDS = {
    "mentee": ("Personne mentorée du tandem", "la personne mentorée du tandem"),
    "mentor": ("Mentor du tandem", "le mentor du tandem"),
    "counsellor": ("Conseiller ou conseillère référent·e du tandem", "le conseiller ou la conseillère référent·e"),
    "structure": ("Structure du tandem", "la structure du tandem"),
}
_OWNERS = {
    "mentee": "de la personne mentorée",
    "mentor": "du mentor",
    "counsellor": "du conseiller ou de la conseillère",
    "structure": "de la structure",
    "tandem": "du tandem",
}
_NOUNS = {  # field -> (noun with its article, noun for a label)
    "first_name": ("le prénom", "Prénom"), "last_name": ("le nom", "Nom"), "full_name": ("le nom", "Nom"),
    "email": ("l’adresse e-mail", "Adresse e-mail"), "phone": ("le téléphone", "Téléphone"),
    "commune": ("la commune", "Commune"), "postal_code": ("le code postal", "Code postal"),
    "project_type": ("le type de projet", "Type de projet"), "project": ("le projet", "Projet"),
    "employer": ("l’employeur", "Employeur"), "job_title": ("le poste", "Poste"), "trade": ("le métier", "Métier"),
    "sector": ("le secteur", "Secteur"), "name": ("le nom", "Nom"), "type": ("le type", "Type"),
    "objectives": ("les objectifs", "Objectifs"), "duration_months": ("la durée prévue", "Durée prévue"),
    "proposed_on": ("la date de proposition", "Date de proposition"),
    "accepted_on": ("la date d’acceptation", "Date d’acceptation"),
}
_PLACE = ("Lieu de signature (commune de la structure)", "le lieu de signature (commune de la structure)")
_DATE = ("Date de la charte", "la date de la charte")


class MissingData(DomainError):
    """The records lack what the template needs; `missing` lists each item as a French label."""

    def __init__(self, missing: list[str], phrases: list[str] | None = None):
        self.missing = list(missing)
        self.phrases = list(phrases or [m[0].lower() + m[1:] for m in missing])
        super().__init__(f"Charte impossible\u00a0: il manque {_enumerate(self.phrases)}.")


@dataclass(frozen=True)
class CharterContext:
    """Placeholder -> display text; `issued_on` dates the document (and fixes the PDF's creation date)."""

    values: dict[str, str]
    issued_on: date | None = None
    record_ids: dict[str, str] = field(default_factory=dict)

    def with_signing(self, signed_on: date | None, signed_place: str | None) -> CharterContext:
        """The same context with the actual date and place of signature in « Fait à …, le … »."""
        values = dict(self.values)
        if signed_on is not None:
            values["charter.date"] = french_date(signed_on)
        if signed_place:
            values["charter.place"] = french_typography(" ".join(signed_place.split()))
        return CharterContext(values, signed_on or self.issued_on, self.record_ids)




@dataclass(frozen=True)
class CharterRecords:
    """The records a charter speaks of, as plain dicts (None: missing, or deleted since). Loaded by
    services.charters.load_records: the charter package never reads the store itself."""

    tandem: dict[str, Any]
    mentee: dict[str, Any] | None = None
    mentor: dict[str, Any] | None = None
    counsellor: dict[str, Any] | None = None
    structure: dict[str, Any] | None = None

    def by_kind(self) -> dict[str, dict[str, Any] | None]:
        return {"tandem": self.tandem, "mentee": self.mentee, "mentor": self.mentor,
                "counsellor": self.counsellor, "structure": self.structure}


def build_context(found: CharterRecords, today: date, template: Template | None = None,
                  place: str | None = None) -> CharterContext:
    """Fill the template's values from the records; raise MissingData naming everything `template`
    needs and lacks. The place defaults to the structure's commune."""
    template = template or load_template()
    records = found.by_kind()

    values = {name: "" for name in KNOWN_FIELDS}
    for kind, record in records.items():
        if record is not None:
            values.update(_values_of(kind, record))
    values["charter.date"] = french_date(today)
    structure_commune = values["structure.commune"]
    values["charter.place"] = french_typography(" ".join(place.split())) if place and place.strip() \
        else structure_commune

    labels: list[str] = []
    phrases: list[str] = []
    for name in sorted(template.fields, key=_field_order):
        kind, _, attribute = name.partition(".")
        if values.get(name):
            continue
        if kind in _RECORDS and records.get(kind) is None:
            label, phrase = _RECORDS[kind]
        elif name == "charter.place":
            if records["structure"] is None or ("structure.commune" in template.fields and not structure_commune):
                continue  # already reported: the structure, or its commune
            label, phrase = _PLACE
        elif name == "charter.date":
            label, phrase = _DATE
        else:
            label, phrase = _field_words(kind, attribute)
        if label not in labels:
            labels.append(label)
            phrases.append(phrase)
    if labels:
        raise MissingData(labels, phrases)
    ids = {kind: str(record["id"]) for kind, record in records.items() if record is not None}
    return CharterContext(values, today, ids)


def _values_of(kind: str, record: dict[str, Any]) -> dict[str, str]:
    def text(name: str) -> str:
        value = record.get(name)
        return french_typography(" ".join(str(value).split())) if value not in (None, "") else ""

    out: dict[str, str] = {}
    if kind in ("mentee", "mentor", "counsellor"):
        for name in ("first_name", "last_name", "phone"):
            out[f"{kind}.{name}"] = text(name)
        out[f"{kind}.email"] = str(record.get("email") or "")  # an address is never retouched
        out[f"{kind}.full_name"] = " ".join(p for p in (out[f"{kind}.first_name"], out[f"{kind}.last_name"]) if p)
    if kind == "mentee":
        out.update({"mentee.commune": text("commune"), "mentee.project": text("project"),
                    "mentee.project_type": dict(PROJECT_TYPES).get(record.get("project_type") or "", "")})
    elif kind == "mentor":
        out.update({f"mentor.{n}": text(n) for n in ("employer", "sector", "commune")})
        out["mentor.job_title"] = _in_sentence(text("job_title"))
        out["mentor.trade"] = _in_sentence(text("trade"))
    elif kind == "structure":
        out.update({f"structure.{n}": text(n) for n in ("name", "commune", "postal_code", "phone")})
        out["structure.email"] = str(record.get("email") or "")
        out["structure.type"] = dict(STRUCTURE_TYPES).get(record.get("type") or "", "")
    elif kind == "tandem":
        objectives = record.get("objectives") or ""
        out["tandem.objectives"] = "\n".join(french_typography(" ".join(line.split()))
                                             for line in str(objectives).strip().splitlines() if line.strip())
        months = record.get("duration_months")
        out["tandem.duration_months"] = french_months(int(months)) if months else ""
        for name in ("proposed_on", "accepted_on"):
            value = record.get(name)
            out[f"tandem.{name}"] = french_date(parse_date(value)) if value else ""
    return out


def _in_sentence(text: str) -> str:
    """« Comptable » reads « comptable » after a comma; acronyms (« DRH ») keep their capitals."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _field_words(kind: str, attribute: str) -> tuple[str, str]:
    owner = _OWNERS.get(kind, f"({kind})")
    phrase_noun, label_noun = _NOUNS.get(attribute, (attribute, attribute))
    return f"{label_noun} {owner}", f"{phrase_noun} {owner}"


_KIND_ORDER = ("mentee", "mentor", "counsellor", "structure", "tandem", "charter")


def _field_order(name: str) -> tuple[int, str]:
    kind, _, attribute = name.partition(".")
    return (_KIND_ORDER.index(kind) if kind in _KIND_ORDER else 99, attribute)


def _enumerate(items: list[str]) -> str:
    """« a », « a et b », « a, b et c »."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} et {items[-1]}"

