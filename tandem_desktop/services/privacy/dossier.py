"""The shape of a right-of-access dossier: sections of items of label/value rows, and files.

Plain frozen data, no store: the JSON writer and the PDF renderer read the same `Dossier`, so the
two forms never say different things. A section is one kind of thing held (the record, its tandems,
the charters…); adding one is adding a builder to access_sections.SECTIONS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ...domain.kinds import KINDS

FORMAT = "tandem-access/1"
SOURCE = "Tandem Desktop, base de données chiffrée de ce poste"
LEGAL_BASIS = "Règlement général sur la protection des données (RGPD), article 15\u00a0: droit d’accès"
STATES = ("present", "deleted", "erased")


@dataclass(frozen=True)
class Row:
    """One value held: `key` (a field name, or a stable key of ours), its French label, the value
    for machines (JSON: ISO dates, numbers, lists; a reference as the name it points at) and the
    text a person reads."""

    key: str
    label: str
    value: Any
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "text": self.text}


@dataclass(frozen=True)
class Item:
    """One thing of a section: a record (a tandem, a meeting…), a conflict, an import."""

    title: str
    rows: tuple[Row, ...]
    id: str | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"title": self.title}
        if self.id is not None:
            found["id"] = self.id
        found["fields"] = [row.as_json() for row in self.rows]
        return found


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[Item, ...]
    empty: str  # what the PDF says when there is no item (« Aucun tandem. »)
    note: str | None = None  # a sentence of context under the heading

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"key": self.key, "title": self.title}
        if self.note:
            found["note"] = self.note
        found["items"] = [item.as_json() for item in self.items]
        return found


@dataclass(frozen=True)
class Attachment:
    """A file given as it is stored (a sealed charter's bytes are never rewritten: the seal holds)."""

    name: str
    data: bytes = field(repr=False)
    description: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": len(self.data), "sha256": self.sha256, "description": self.description}


@dataclass(frozen=True)
class Dossier:
    """Everything one profile holds about one mentee or mentor, at `extracted_at`."""

    kind: str
    record_id: str
    name: str  # « Prénom Nom », or « Personne effacée »
    state: str  # one of STATES
    extracted_at: datetime  # aware
    sections: tuple[Section, ...]
    attachments: tuple[Attachment, ...] = ()
    notice: str | None = None  # what a deleted or erased record leaves, said first
    profile_dir: Path | None = None  # never written into (write_dossier refuses it)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind].label

    @property
    def short_id(self) -> str:
        """The id's last eight hex digits: its random part (the first ones are a timestamp that
        records made the same minute share)."""
        return self.record_id.replace("-", "")[-8:]

    @property
    def folder_name(self) -> str:
        return f"acces-{self.kind}-{self.short_id}"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "extracted_at": self.extracted_at.isoformat(timespec="seconds"),
            "source": SOURCE,
            "legal_basis": LEGAL_BASIS,
            "person": {"kind": self.kind, "kind_label": self.kind_label, "id": self.record_id, "name": self.name,
                       "state": self.state},
            "notice": self.notice,
            "sections": [section.as_json() for section in self.sections],
            "files": [attachment.as_json() for attachment in self.attachments],
        }
