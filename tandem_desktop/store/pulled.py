"""A pulled page read into what the local database needs: per kind, per record, its values and
versions (two dicts over the same field names), conflicts, flags and the newest stamp.

A first sync reads hundreds of thousands of records: the common case (an entry with every field
known and every version a string) is handled by whole-dict operations, and only an entry that
needs it is walked field by field. The protocol's shapes are in sync/PROTOCOL.md; the hub is
trusted for content, not for types, so a field or kind this release does not know is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.erasure import ERASED
from ..domain.kinds import KINDS
from . import rows

DELETED = "deleted"
Fields = tuple[dict[str, Any], dict[str, str]]  # values and versions of one record, same names
_KNOWN = {kind: frozenset((*spec.field_names, DELETED, ERASED)) for kind, spec in KINDS.items()}


@dataclass
class Page:
    records: dict[str, dict[str, Fields]] = field(default_factory=dict)  # kind -> record id -> fields
    conflicts: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    flags: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    newest: str | None = None
    entries: int = 0  # entries read, kinds and fields this release does not know included

    def _note(self, version: str) -> None:
        if self.newest is None or version > self.newest:
            self.newest = version

    def add_record(self, entry: dict[str, Any]) -> None:
        spec = KINDS.get(entry.get("kind", ""))
        record_id, values, versions = entry.get("record_id"), entry.get("fields"), entry.get("versions")
        if spec is None or not isinstance(record_id, str) or not isinstance(values, dict) \
                or not isinstance(versions, dict) or not versions:
            return  # a kind this release does not know, or nothing to apply
        known = _KNOWN[spec.name]
        if not versions.keys() <= known:
            versions = {n: v for n, v in versions.items() if n in known}  # fields this release does not know
        if set(map(type, versions.values())) != {str}:
            versions = {n: v if type(v) is str else str(v or "") for n, v in versions.items()}
        got = dict(values)
        if DELETED in versions:
            got[DELETED] = bool(entry.get("deleted"))
        if got.keys() != versions.keys():
            got = {n: got.get(n) for n in versions}
        self._merge(spec.name, record_id, got, versions)
        if versions:
            self._note(max(versions.values()))

    def add_field(self, entry: dict[str, Any]) -> None:
        """Protocols 1 and 2: one field of a record."""
        spec = KINDS.get(entry.get("kind", ""))
        name, record_id = entry.get("field"), entry.get("record_id")
        if spec is None or name not in _KNOWN[spec.name] or not isinstance(record_id, str):
            return  # a kind or field this release does not know
        version = str(entry.get("version") or "")
        self._merge(spec.name, record_id, {name: entry.get("value")}, {name: version})
        self._note(version)

    def _merge(self, kind: str, record_id: str, values: dict[str, Any], versions: dict[str, str]) -> None:
        records = self.records.setdefault(kind, {})
        if record_id in records:  # the same record twice in a page: the later entry wins per field
            records[record_id][0].update(values)
            records[record_id][1].update(versions)
        else:
            records[record_id] = (values, versions)

    def erased(self) -> dict[str, dict[str, Fields]]:
        """kind -> id -> fields of the records this page says are erased (domain/erasure.py)."""
        found: dict[str, dict[str, Fields]] = {}
        for kind, records in self.records.items():
            for record_id, fields in records.items():
                if ERASED in fields[1] and fields[0].get(ERASED):
                    found.setdefault(kind, {})[record_id] = fields
        return found

    def versions(self) -> list[str]:
        return [v for records in self.records.values() for _, versions in records.values() for v in versions.values()]


def read_page(entries: list[dict[str, Any]]) -> Page:
    page = Page(entries=len(entries))
    for entry in entries:
        kind_of = entry.get("type")
        if kind_of == "record":
            page.add_record(entry)
        elif kind_of == "field":
            page.add_field(entry)
        elif kind_of == "conflict" and isinstance(entry.get("conflict"), dict):
            page.conflicts.append((entry.get("seq"), entry["conflict"]))
        elif kind_of == "flag" and isinstance(entry.get("flag"), dict):
            page.flags.append((entry.get("seq"), entry["flag"]))
    return page


def new_row(record_id: str, fields: Fields) -> rows.NewRow:
    """The row of a record this device does not have yet."""
    values, versions = dict(fields[0]), fields[1]
    deleted = values.pop(DELETED, False)
    erased = values.pop(ERASED, None)
    stamps = set(versions.values())
    created = min(stamps)
    if erased is not None:
        return rows.NewRow(id=record_id, values=values, created=created, updated=max(stamps), versions=versions,
                           deleted=bool(deleted), erased=erased)
    if len(stamps) == 1 and DELETED not in versions and None not in values.values():
        # Written in one operation, every field holding a value: what a local create stores
        # (versions None: every field at created_hlc), without the versions rule's work per field.
        return rows.NewRow(id=record_id, values=values, created=created, updated=created)
    return rows.NewRow(id=record_id, values=values, created=created, updated=max(stamps), versions=versions,
                       deleted=bool(deleted))


def without(fields: Fields, names: set[str]) -> Fields:
    """`fields` less the named ones (kept locally: a pending outbox operation will be pushed instead)."""
    values, versions = fields
    return ({n: v for n, v in values.items() if n not in names}, {n: v for n, v in versions.items() if n not in names})
