"""An import before anything is written: every row read, checked by the domain's rules (the same as a
form's, the reference communes included) and compared with the records of this device and with the
rows above it. The plan holds the decision taken for each duplicate, which the dialog lets the
counsellor change; write.py then writes it, all of it or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...domain.errors import ValidationError
from ...domain.fields import FieldType, KindSpec
from ...domain.kinds import kind_spec
from ...domain.records import clean
from ...domain.validation import InvalidValue
from ...importing.cells import cell_value
from ...importing.duplicates import DuplicateIndex, Match
from ...importing.mapping import EXTRA_FIELDS, check_mapping, importable_fields
from ...importing.sources import ImportFileError
from ...importing.table import Table
from ...store.repository import Store
from .refs import References

ON_DUPLICATE = ("skip", "merge", "import")
DECISION_LABELS = {"create": "Créer", "skip": "Ignorer", "merge": "Fusionner", "import": "Importer quand même"}
# What a duplicate is compared on, per kind (the fields read from this device's records).
_COMPARED = {
    "mentee": ("email", "phone", "first_name", "last_name", "birth_date"),
    "mentor": ("email", "phone", "first_name", "last_name", "employer"),
    "counsellor": ("email", "phone", "first_name", "last_name"),
    "structure": ("name", "postal_code"),
    "tandem": ("mentor_id", "mentee_id"),
    "meeting": ("tandem_id", "date"),
}
Progress = Callable[[int, int], None]


class ImportCancelled(Exception):
    """The counsellor pressed « Arrêter »: nothing was written."""


@dataclass
class PlannedRow:
    number: int  # the spreadsheet's row number
    values: dict[str, Any]  # as they will be stored (defaults filled in); empty when refused
    given: frozenset[str]  # the fields the file gave a value for (a merge takes only these)
    errors: dict[str, str] = field(default_factory=dict)  # field name ("" for the row) -> French message
    matches: list[Match] = field(default_factory=list)
    decision: str = "create"  # create, skip, merge or import (a duplicate created anyway)
    take: frozenset[str] | None = None  # a merge's fields taken from the file; None: fill the blanks only
    source_id: str | None = None  # the « Identifiant » column's value (an export's), if any

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    @property
    def skip_only(self) -> bool:
        """A duplicate that can only be skipped (its values could not be read: nothing to write)."""
        return not self.values

    @property
    def duplicate(self) -> Match | None:
        return self.matches[0] if self.matches else None


@dataclass
class ImportPlan:
    kind: str
    file_name: str
    mapping: dict[str, str]
    rows: list[PlannedRow]
    existing: dict[str, dict[str, Any]]  # the records of this device that rows resemble, by id
    # Which rows are refused or duplicates is settled when the plan is made (decisions change what is
    # done with them, not which they are): each list is made once, not at every look of the dialog.
    _refused: list[PlannedRow] | None = field(default=None, init=False, repr=False)
    _duplicates: list[PlannedRow] | None = field(default=None, init=False, repr=False)
    _by_number: dict[int, PlannedRow] | None = field(default=None, init=False, repr=False)

    @property
    def spec(self) -> KindSpec:
        return kind_spec(self.kind)

    def row(self, number: int) -> PlannedRow:
        if self._by_number is None:
            self._by_number = {r.number: r for r in self.rows}
        return self._by_number[number]

    def duplicates(self) -> list[PlannedRow]:
        if self._duplicates is None:
            self._duplicates = [r for r in self.rows if r.matches and not r.refused]
        return self._duplicates

    def refused(self) -> list[PlannedRow]:
        if self._refused is None:
            self._refused = [r for r in self.rows if r.refused]
        return self._refused

    def decide(self, number: int, decision: str, take: frozenset[str] | None = None) -> None:
        """The counsellor's decision for a duplicate row (merge: `take` the file's value of these fields)."""
        row = self.row(number)
        if decision not in DECISION_LABELS or (decision != "create" and not row.matches) or row.refused \
                or (row.skip_only and decision != "skip"):
            raise ValueError(f"decision {decision!r} for row {number}")
        row.decision, row.take = decision, take if decision == "merge" else None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "merged", "skipped", "refused"), 0)
        created = {r.number for r in self.rows if not r.refused and r.decision in ("create", "import")}
        for row in self.rows:
            key = "refused" if row.refused else {"create": "created", "import": "created", "merge": "merged",
                                                 "skip": "skipped"}[row.decision]
            match = row.duplicate
            if key == "merged" and match is not None and match.in_file and match.target not in created:
                key = "skipped"  # merged into a row that is not imported: nothing of it is written
            counts[key] += 1
        return counts

    def label(self, name: str) -> str:
        return dict(importable_fields(self.spec)).get(name, name) if name else ""


def prepare(store: Store, kind: str, table: Table, mapping: Mapping[str, str], *, file_name: str,
            structure_id: str | None = None, on_duplicate: str = "skip",
            progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> ImportPlan:
    """Read and check every row of `table` through `mapping` ({header: field}); writes nothing."""
    spec = kind_spec(kind)
    check_mapping(spec, mapping)
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(on_duplicate)
    columns = [(table.headers.index(h), name) for h, name in mapping.items() if h in table.headers]
    refs = References(store)
    if structure_id:
        try:
            structure_id = refs.resolve("structure", structure_id)
        except InvalidValue as exc:
            raise ImportFileError(str(exc)) from None
    today = store.today()
    known = DuplicateIndex(kind)
    compared = _COMPARED.get(kind, ())
    known.add_many((r["id"], r) for r in store.live_fields(kind, compared))
    seen_in_file = DuplicateIndex(kind)
    rows: list[PlannedRow] = []
    created: set[int] = set()  # rows of the file that will be created: what a later row may merge into
    total = len(table.rows)
    for position, data in enumerate(table.rows):
        if cancelled is not None and position % 500 == 0 and cancelled():
            raise ImportCancelled
        row = _plan_row(spec, data.number, data.cells, columns, refs, today, store, structure_id)
        if row.refused and row.source_id and on_duplicate == "skip" and (same := known.find({"id": row.source_id})):
            row.errors, row.matches, row.decision = {}, same, "skip"  # a record of this device, skipped whole:
            # what is wrong with the row (a meeting of a tandem ended since) writes nothing, so refuses nothing
        elif not row.refused:
            row.matches = known.find({**row.values, "id": row.source_id}) + seen_in_file.find(row.values)
            if row.matches:
                row.decision = on_duplicate
                if row.matches[0].in_file and on_duplicate == "merge" and row.matches[0].target not in created:
                    row.decision = "skip"
            if row.decision in ("create", "import"):
                seen_in_file.add(row.number, row.values)
                created.add(row.number)
        rows.append(row)
        if progress is not None and position % 500 == 0:
            progress(position, total)
    ids = {m.target for r in rows for m in r.matches if not m.in_file}
    existing = store.get_many(kind, ids) if ids else {}
    return ImportPlan(kind, file_name, dict(mapping), rows, existing)


def _plan_row(spec: KindSpec, number: int, cells: tuple[Any, ...], columns: list[tuple[int, str]],
              refs: References, today: Any, store: Store, structure_id: str | None) -> PlannedRow:
    raw: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    errors: dict[str, str] = {}
    extras = dict(EXTRA_FIELDS.get(spec.name, ()))
    for index, name in columns:
        cell = cells[index] if index < len(cells) else None
        if name in extras or name == "id":
            extra[name] = cell
            continue
        value = cell_value(spec.by_name[name], cell)
        if value is None:
            continue
        target = spec.by_name[name]
        if target.type is FieldType.REF:
            try:
                value = refs.resolve(target.ref or "", value)
            except InvalidValue as exc:
                errors[name] = str(exc)
                continue
        raw[name] = value
    given = frozenset(raw)
    if spec.name == "tandem":
        _dated_from_history(spec, raw)
    if spec.name == "meeting" and "tandem_id" not in raw and "tandem_id" not in errors:
        _tandem_of_meeting(extra, raw, errors, refs)
    home = spec.structure_field
    if structure_id and home and not raw.get(home) and home not in errors:
        raw[home] = structure_id
    try:
        values = clean(spec, raw, today=today, places=store.check_place)
    except ValidationError as exc:
        errors.update({name: message for name, message in exc.errors.items() if name not in errors})
        values = {}
    if spec.name == "meeting" and {"mentor", "mentee", ""} & errors.keys():
        errors.pop("tandem_id", None)  # the pair's own message says why there is no tandem
    source_id = str(extra["id"]).strip() if extra.get("id") is not None else None
    return PlannedRow(number, values if not errors else {}, given, errors, source_id=source_id)


_STEP_DATES = ("accepted_on", "charter_signed_on", "started_on", "ended_on")


def _dated_from_history(spec: KindSpec, raw: dict[str, Any]) -> None:
    """A running pair brought in with its start date was proposed then, not today (the default):
    without its own date, « Proposé le » takes the earliest step date the row gives."""
    if raw.get("proposed_on"):
        return
    dates = []
    for name in _STEP_DATES:
        try:
            dates.append(spec.by_name[name].parse(raw.get(name)))
        except InvalidValue:
            continue  # clean() says what is wrong with it
    if known := [d for d in dates if d]:
        raw["proposed_on"] = min(known)


def _tandem_of_meeting(extra: dict[str, Any], raw: dict[str, Any], errors: dict[str, str],
                       refs: References) -> None:
    """A meeting row names its pair; the tandem is theirs (the live one if any)."""
    ids = {}
    for name, kind in (("mentor", "mentor"), ("mentee", "mentee")):
        if extra.get(name) in (None, ""):
            errors[name] = "Ce champ est obligatoire."
            continue
        try:
            ids[name] = refs.resolve(kind, extra[name])
        except InvalidValue as exc:
            errors[name] = str(exc)
    if len(ids) == 2:
        try:
            raw["tandem_id"] = refs.tandem_of(ids["mentor"], ids["mentee"])
        except InvalidValue as exc:
            errors[""] = str(exc)
