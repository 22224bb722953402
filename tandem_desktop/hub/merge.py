"""The hub-side merge of pushed operations (PROTOCOL.md, "Merge" and "Scope").

Pure Python over records the caller loaded: the rules live in one place, testable without a
database, and the hub's order of arrival — never a device clock — decides every outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.digest import digest_line
from ..domain.erasure import (
    ERASED,
    LINKS,
    PERSON_KINDS,
    erasing_changes,
    linked_marker,
    personal_fields,
    touches_erased,
)
from ..domain.fields import FieldType, KindSpec
from ..domain.hlc import HybridClock
from ..domain.ids import is_record_id, new_id
from ..domain.kinds import KINDS
from ..texts.french import NBSP
from . import erasure, rights
from .checks import (
    CLOCK_AHEAD,
    DELETED,
    INVALID_HLC,
    Refused,
    check_bases,
    check_complete,
    check_size,
    check_stamp,
    validate,
)

SHARED_KINDS = frozenset({"structure", "counsellor", "mentor"})
HUB_WRITER = "hub"  # the writer of what the hub itself writes (structures, counsellors, erasures' clearing)
OWNED_KINDS = frozenset(KINDS) - SHARED_KINDS
CONCURRENT_EDIT = "concurrent_edit"
EDIT_AFTER_DELETE = "edit_after_delete"
FORBIDDEN = "forbidden"
NOT_OWNER = rights.NOT_OWNER
HELD_BACK = "held_back"
OP_ID_TAKEN = "op_id_taken"
DUPLICATE_OP = "duplicate_op"
# Refusals the device cannot fix by editing the record: it keeps the operation and sends it again
# (PROTOCOL.md, "Refusals"). Every other code is about the record's content or scope.
RETRY_CODES = frozenset({INVALID_HLC, CLOCK_AHEAD, HELD_BACK, OP_ID_TAKEN, DUPLICATE_OP, "unknown_kind",
                         "unknown_field"})

MSG_CONCURRENT = (f"Modifiée en même temps sur un autre appareil{NBSP}: la dernière modification arrivée au hub "
                  "l’emporte, l’autre valeur est gardée dans la liste des conflits.")
MSG_AFTER_DELETE = (f"Fiche supprimée entre-temps{NBSP}: la modification n’est pas appliquée, elle est gardée "
                    "dans la liste des conflits.")
MSG_FORBIDDEN = f"Cette fiche relève d’une autre structure{NBSP}: modification refusée."
MSG_ERASED = (f"Cette personne a été effacée (droit à l’effacement ou fin de la durée de conservation){NBSP}: "
              "la modification est refusée et n’est pas conservée.")
MSG_LINKED_ERASED = (f"Cette fiche concerne une personne effacée{NBSP}: ses textes libres (notes, objectifs, comptes "
                     "rendus) ne sont pas conservés.")
MSG_HELD_BACK = (f"Une modification précédente de cette fiche n’a pas encore été acceptée{NBSP}: celle-ci "
                 "attend son tour.")


@dataclass(frozen=True)
class Actor:
    """The authenticated device a push or pull comes from."""

    device_id: str
    structure_id: str
    counsellor_id: str
    is_admin: bool
    number: int | None = None  # the device number of the id it stamps with, once the hub knows it

    def may_see(self, owner: str | None) -> bool:
        return owner is None or self.is_admin or owner == self.structure_id


@dataclass
class RecordState:
    """One record as the hub holds it; `deleted` is an ordinary field with its own version."""

    record_id: str
    kind: str
    owner: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    writers: dict[str, str] = field(default_factory=dict)
    editor: str | None = None  # shared kinds: the structure that created it (see rights.editor_of)
    is_new: bool = False
    dirty: bool = False
    feed_seq: int = 0  # seq of the record's one feed entry (0: none yet)

    @property
    def deleted(self) -> bool:
        return bool(self.fields.get(DELETED))

    def digest_line(self) -> str:
        """This record's line in GET /v1/summary: `record_id|field=version|…`, fields sorted."""
        return digest_line(self.record_id, self.versions)


@dataclass
class Outcome:
    op_id: str
    status: str  # applied | conflict | refused
    code: str | None = None
    message: str | None = None
    current: dict[str, Any] | None = None  # refused for content: the hub's state of those fields

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"op_id": self.op_id, "status": self.status}
        if self.code:
            answer["code"] = self.code
        if self.message:
            answer["message"] = self.message
        if self.status == "refused":
            answer["retry"] = self.code in RETRY_CODES
        if self.current is not None:
            answer["current"] = self.current
        return answer


def refused(op_id: str, code: str, message: str) -> dict[str, Any]:
    """The result of an operation refused outside the merge (held back, op id of another device)."""
    return Outcome(op_id, "refused", code, message).as_dict()


@dataclass
class FieldEvent:
    record: RecordState
    field: str
    value: Any
    version: str


@dataclass
class ConflictEvent:
    payload: dict[str, Any]  # the `conflict` object of the feed entry
    owner: str | None
    op_id: str


class Merger:
    """Applies one batch, op after op, to the records it was given; collects feed events in order."""

    def __init__(self, actor: Actor, records: dict[str, RecordState], now_ms: int):
        self.actor = actor
        self.records = records
        self.now_ms = now_ms
        self.events: list[FieldEvent | ConflictEvent] = []
        self.touched_mentors: set[str] = set()
        self.erasures: list[erasure.Erasure] = []
        self.cleared: dict[str, str] = {}  # record id -> kind of every record an erasure cleared in this batch
        self.history: list[dict[str, Any]] = []  # one row per applied write but creations (hub/history.py)
        self._hub_stamp: str | None = None

    def apply(self, op: dict[str, Any]) -> Outcome:
        try:
            check_stamp(op["hlc"], self.now_ms)
            spec, changes = validate(op)
            record = self._existing(op["record_id"], spec)
            check_bases(op, record, self.now_ms)
            if op["action"] == "erase":
                return self._erase(op, spec, record, changes[ERASED])
            if record is not None and record.fields.get(ERASED) and (
                    spec.name in PERSON_KINDS or touches_erased(spec.name, changes)):
                raise Refused(erasure.ERASED_CODE, MSG_ERASED)  # an erased person stays erased, whole
            self._check_refs(spec, changes)
            self._check_rights(spec, record, changes)
            check_size(record, changes)
            check_complete(spec, record, changes)
        except Refused as refusal:
            return Outcome(op["op_id"], "refused", refusal.code, refusal.message, self._current(op, refusal.code))
        if not changes:
            return Outcome(op["op_id"], "applied")
        created = record is None
        before = {name: record.fields.get(name) for name in changes} if record is not None else {}
        if record is None:
            owner = self.actor.structure_id if spec.name in OWNED_KINDS else None
            record = RecordState(op["record_id"], spec.name, owner, is_new=True,
                                 editor=rights.new_editor(self.actor, spec.name))
            self.records[record.record_id] = record
        mentor_before = record.fields.get("mentor_id")
        conflict_code = None
        if DELETED in changes and self._field(op, record, DELETED, changes[DELETED], created):
            conflict_code = CONCURRENT_EDIT
        rest = {name: value for name, value in changes.items() if name != DELETED}
        if rest and record.deleted:
            for name, value in rest.items():
                self._conflict(op, record, name, EDIT_AFTER_DELETE, kept=None, lost=value)
            conflict_code = EDIT_AFTER_DELETE
        else:
            for name, value in rest.items():
                if self._field(op, record, name, value, created):
                    conflict_code = conflict_code or CONCURRENT_EDIT
        self._note_mentors(record, mentor_before, changes)
        if not created and conflict_code != EDIT_AFTER_DELETE:
            self._history(op, record, {name: [before[name], record.fields.get(name)] for name in changes
                                       if before[name] != record.fields.get(name)})
        if record.kind in LINKS and not record.fields.get(ERASED) \
                and (about := erasure.links_to_erased(record, self.records)) is not None:
            self._clear_linked(record, linked_marker(about))  # now about an erased person: cleared too
            return Outcome(op["op_id"], "conflict", erasure.ERASED_CODE, MSG_LINKED_ERASED)
        if conflict_code:
            message = MSG_AFTER_DELETE if conflict_code == EDIT_AFTER_DELETE else MSG_CONCURRENT
            return Outcome(op["op_id"], "conflict", conflict_code, message)
        return Outcome(op["op_id"], "applied")

    # -- erasure (hub/erasure.py) --------------------------------------------------------------------

    def _erase(self, op: dict[str, Any], spec: KindSpec, record: RecordState | None, mark: dict[str, Any]) -> Outcome:
        """Clear a person under the op's stamp and the records about them under the hub's. Any device
        that sees the person may erase them (a right of the person, not of the structure that
        brought a mentor); an erased person stays erased."""
        if record is None:
            owner = self.actor.structure_id if spec.name in OWNED_KINDS else None
            record = RecordState(op["record_id"], spec.name, owner, is_new=True,
                                 editor=rights.new_editor(self.actor, spec.name))
            self.records[record.record_id] = record
        elif record.fields.get(ERASED):
            return Outcome(op["op_id"], "applied")
        for name, value in erasing_changes(spec.name, mark, person=True).items():
            self._set(record, name, value, op["hlc"], self.actor.device_id)
        self.cleared[record.record_id] = record.kind
        linked = self._about(record.record_id)
        for other in linked:
            self._clear_linked(other, linked_marker(mark))
        self.erasures.append(erasure.Erasure(record, mark, linked))
        self._history(op, record, {})
        if spec.name == "mentor":
            self.touched_mentors.add(record.record_id)
        return Outcome(op["op_id"], "applied")

    def _history(self, op: dict[str, Any], record: RecordState, changes: dict[str, list[Any]]) -> None:
        if changes or op["action"] == "erase":
            self.history.append({"op_id": op["op_id"], "action": op["action"], "kind": record.kind,
                                 "record_id": record.record_id, "hlc": op["hlc"], "changes": changes})

    def _about(self, person_id: str) -> list[RecordState]:
        """The tandems naming the person and their meetings, among the records loaded (push loads them)."""
        tandems = [r for r in self.records.values()
                   if r.kind == "tandem" and person_id in (r.fields.get(n) for n in LINKS["tandem"])]
        ids = {t.record_id for t in tandems}
        return tandems + [r for r in self.records.values() if r.kind == "meeting" and r.fields.get("tandem_id") in ids]

    def _clear_linked(self, record: RecordState, mark: dict[str, Any]) -> None:
        if record.fields.get(ERASED):
            return
        if self._hub_stamp is None:
            self._hub_stamp = str(HybridClock(HUB_WRITER, wall_ms=lambda: self.now_ms).now())
        for name, value in erasing_changes(record.kind, mark, person=False).items():
            self._set(record, name, value, self._hub_stamp, HUB_WRITER)
        self.cleared[record.record_id] = record.kind

    def scrub(self) -> None:
        """Before anything of the batch is written: the conflicts and history rows it made about the
        records an erasure cleared keep none of the cleared values (a write earlier in the batch, or
        the very write that linked a record to an erased person, carried them)."""
        if not self.cleared:
            return

        def gone(kind: str, name: str | None) -> bool:
            return kind in PERSON_KINDS or name in personal_fields(kind) or name == ERASED

        self.events = [e for e in self.events if not (
            isinstance(e, ConflictEvent) and e.payload["record_id"] in self.cleared
            and gone(e.payload["kind"], e.payload.get("field")))]
        kept = []
        for row in self.history:
            if row["record_id"] in self.cleared:
                row["changes"] = {n: v for n, v in row["changes"].items() if not gone(row["kind"], n)}
                if not row["changes"] and row["action"] not in ("erase", "delete"):
                    continue
            kept.append(row)
        self.history = kept

    def _set(self, record: RecordState, name: str, value: Any, version: str, writer: str) -> None:
        record.fields[name] = value
        record.versions[name] = version
        record.writers[name] = writer
        record.dirty = True
        self.events.append(FieldEvent(record, name, value, version))

    # -- one field ---------------------------------------------------------------------------------

    def _field(self, op: dict[str, Any], record: RecordState, name: str, value: Any, created: bool) -> bool:
        """Apply one field-level operation; True if it replaced a concurrent value (a conflict)."""
        hlc = op["hlc"]
        current = record.versions.get(name)
        if current == hlc:
            return False  # this very write is already there (sent again under another op id)
        base = op["base_versions"].get(name)
        conflict = not created and base != current and record.fields.get(name) != value
        if conflict:
            self._conflict(op, record, name, CONCURRENT_EDIT, kept=value, lost=record.fields.get(name))
        record.fields[name] = value
        record.versions[name] = hlc
        record.writers[name] = self.actor.device_id
        record.dirty = True
        self.events.append(FieldEvent(record, name, value, hlc))
        return conflict

    def _conflict(self, op: dict[str, Any], record: RecordState, name: str, conflict_type: str,
                  kept: Any, lost: Any) -> None:
        """Both values of one field. Concurrent edit: kept = the winner (this op), lost = the value it
        replaced. Edit after delete: kept = the hub's value (unchanged), lost = the edit not applied."""
        hub_side = (record.versions.get(name), record.writers.get(name))
        op_side = (op["hlc"], self.actor.device_id)
        if conflict_type == EDIT_AFTER_DELETE:
            kept = record.fields.get(name)
            (kept_version, kept_device), (lost_version, lost_device) = hub_side, op_side
        else:
            (kept_version, kept_device), (lost_version, lost_device) = op_side, hub_side
        payload = {
            "id": new_id(), "kind": record.kind, "record_id": record.record_id, "field": name,
            "conflict_type": conflict_type, "kept_value": kept, "kept_version": kept_version,
            "lost_value": lost, "lost_version": lost_version, "kept_device": kept_device, "lost_device": lost_device,
        }
        self.events.append(ConflictEvent(payload, record.owner, op["op_id"]))

    # -- scope -------------------------------------------------------------------------------------

    def _existing(self, record_id: str, spec: KindSpec) -> RecordState | None:
        record = self.records.get(record_id)
        if record is None:
            return None
        if not self.actor.may_see(record.owner):
            raise Refused(FORBIDDEN, MSG_FORBIDDEN)
        if record.kind != spec.name:
            raise Refused("kind_mismatch", "Cet identifiant désigne déjà une fiche d’un autre type.")
        return record

    def _current(self, op: dict[str, Any], code: str) -> dict[str, Any] | None:
        """For a refusal about content, the hub's values and versions of the fields the op named, so
        the device puts its copy back as the hub has it (the refused value stays in its conflicts).
        Never for a record the device may not see."""
        record = self.records.get(op["record_id"])
        spec = KINDS.get(op["kind"])
        if code in RETRY_CODES or record is None or spec is None or record.kind != spec.name \
                or not self.actor.may_see(record.owner):
            return None
        names = [n for n in op["changes"] if n == DELETED or n in spec.by_name]
        return {"fields": {n: record.fields.get(n) for n in names},
                "versions": {n: record.versions.get(n) for n in names}}

    def _check_rights(self, spec: KindSpec, record: RecordState | None, changes: dict[str, Any]) -> None:
        """Shared records have owners too: see rights.py."""
        reason = rights.refusal(self.actor, spec.name, record, changes, self.records)
        if reason:
            raise Refused(NOT_OWNER, reason)

    def _check_refs(self, spec: KindSpec, changes: dict[str, Any]) -> None:
        """A reference may not point at another structure's record, nor at a record of another kind."""
        for name, value in changes.items():
            field_spec = spec.by_name.get(name)
            if value is None or field_spec is None or field_spec.type is not FieldType.REF:
                continue
            target = self.records.get(value)
            if target is None:
                continue  # not (yet) known to the hub: the device may send it later
            if not self.actor.may_see(target.owner):
                raise Refused(FORBIDDEN, f"{field_spec.label}{NBSP}: cette fiche relève d’une autre structure.")
            if target.kind != field_spec.ref:
                raise Refused("invalid_ref", f"{field_spec.label}{NBSP}: la fiche désignée n’est pas du bon type.")

    def _note_mentors(self, record: RecordState, mentor_before: Any, changes: dict[str, Any]) -> None:
        """Mentors whose live tandem count or capacity this op may have changed (hub-wide invariant)."""
        if record.kind == "tandem":
            self.touched_mentors.update(m for m in (mentor_before, record.fields.get("mentor_id")) if m)
        elif record.kind == "mentor" and ("capacity" in changes or DELETED in changes):
            self.touched_mentors.add(record.record_id)


def ref_targets(op: dict[str, Any]) -> list[str]:
    """Record ids an op's references name (lower-cased, as the domain parses them), to load up front."""
    spec = KINDS.get(op.get("kind") or "")
    if spec is None or not isinstance(op.get("changes"), dict):
        return []
    ids = []
    for name, value in op["changes"].items():
        field_spec = spec.by_name.get(name)
        if field_spec is not None and field_spec.type is FieldType.REF and isinstance(value, str) \
                and is_record_id(target := value.strip().lower()):
            ids.append(target)
    return ids
