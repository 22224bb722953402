"""One door for every record write: create, update and delete of every kind, with the lifecycle rules.

The GUI and the CLI write records only through `Records` (import-linter and tests/test_layout.py hold
the GUI to it); other services (matching, charters, conflicts) write through it too. Each call:

- acts for one counsellor, the `Actor` the service was built with: the place a later audit trail
  attaches to;
- runs in one store transaction (a call made inside another joins it), so a write and its side effects
  commit together or not at all;
- returns a `Changes`: the record the call was about (the new id after a create), its fields that
  changed, and every record written, side effects included, by kind — what the views refresh.

The lifecycle rules live here, once:

- creating a tandem proposes it: it inherits the mentee's structure and referent counsellor;
- a mentee in a live (not ended) tandem is `in_tandem`; when their last live tandem ends they are
  `exited`; when it is deleted (or given to another mentee) they wait again (`waiting`), so they are
  back in matching;
- a meeting cannot be added to an ended tandem (a French `ValidationError` on `tandem_id`).

Usage::

    records = Records(profile.store, Actor.of_store(profile.store))
    changes = records.create("tandem", {"mentee_id": mentee, "mentor_id": mentor})
    changes.record_id        # the new tandem's id
    changes.ids("mentee")    # {mentee}: their status moved to « En tandem »
    records.move_tandem(changes.record_id, "ended", outcome="job")
    records.delete("tandem", changes.record_id)

Errors are the store's and the domain's: `ValidationError` (French messages per field), `NotFound`,
`StoreError`. Nothing is written when one is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..domain.erasure import Erased
from ..domain.errors import ValidationError
from ..domain.kinds import kind_spec
from ..domain.validation import InvalidValue
from ..store import erasure as store_erasure
from ..store.errors import NotFound
from ..store.repository import Store

log = logging.getLogger(__name__)  # ids, kinds and field names only: never a value

__all__ = ["ENDED_TANDEM_MEETING", "Actor", "Changes", "Records"]

ENDED_TANDEM_MEETING = "Ce tandem est terminé, aucune rencontre ne peut plus y être ajoutée."

_EMPTY: Mapping[str, frozenset[str]] = MappingProxyType({})
# Kinds whose writes have side effects (a mentee's status, a tandem's meetings): bulk calls write
# them one at a time through the same rules.
ONE_AT_A_TIME = ("tandem", "meeting")
CONSENT_KINDS = ("mentee", "mentor")  # whose consent names the counsellor who took it


@dataclass(frozen=True)
class Actor:
    """The counsellor on whose behalf a write is made; both parts None when the profile does not know
    (a device never enrolled, or enrolled for a structure rather than a person)."""

    counsellor_id: str | None = None
    name: str | None = None

    @classmethod
    def of_store(cls, store: Store) -> Actor:
        """The profile's counsellor: the one the hub enrolled this device for, named from their record
        when this device holds it."""
        counsellor_id = store.remote.state().get("counsellor_id") or None
        if counsellor_id is None:
            return cls()
        try:
            record = store.get("counsellor", counsellor_id)
        except NotFound:
            return cls(counsellor_id)
        name = " ".join(p for p in (record.get("first_name"), record.get("last_name")) if p) or None
        return cls(counsellor_id, name)


def _freeze(ids: Mapping[str, set[str] | frozenset[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({kind: frozenset(v) for kind, v in ids.items() if v})


@dataclass(frozen=True)
class Changes:
    """What one service call wrote. `written` holds every record created, updated or deleted (by kind);
    `created` and `deleted` the subsets. `a | b` merges two calls (keeping a's record and fields)."""

    record_id: str | None = None
    fields: tuple[str, ...] = ()
    written: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY, hash=False)
    created: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY, hash=False)
    deleted: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY, hash=False)

    @classmethod
    def one(cls, kind: str, record_id: str, fields: tuple[str, ...] = (), *, created: bool = False,
            deleted: bool = False) -> Changes:
        ids = {kind: {record_id}}
        return cls(record_id, fields, _freeze(ids), _freeze(ids if created else {}), _freeze(ids if deleted else {}))

    def __bool__(self) -> bool:
        return bool(self.written)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self.written)

    def ids(self, kind: str) -> frozenset[str]:
        return self.written.get(kind, frozenset())

    def created_ids(self, kind: str) -> frozenset[str]:
        return self.created.get(kind, frozenset())

    def deleted_ids(self, kind: str) -> frozenset[str]:
        return self.deleted.get(kind, frozenset())

    def __or__(self, other: Changes) -> Changes:
        def union(a: Mapping[str, frozenset[str]], b: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
            return _freeze({k: a.get(k, frozenset()) | b.get(k, frozenset()) for k in {*a, *b}})

        record_id = self.record_id if self.record_id is not None else other.record_id
        fields = self.fields if self.record_id is not None else other.fields
        return Changes(record_id, fields, union(self.written, other.written), union(self.created, other.created),
                       union(self.deleted, other.deleted))


class Records:
    """Writes records of every kind in one profile's store, for one counsellor. Holds no state but
    these two: build one per open profile and pass it to whoever writes."""

    def __init__(self, store: Store, actor: Actor):
        self.store = store
        self.actor = actor

    # -- the three verbs ------------------------------------------------------------------------

    def create(self, kind: str, values: dict[str, Any]) -> Changes:
        """A new record; `record_id` is its id. A tandem is proposed (see the module docstring)."""
        spec = kind_spec(kind)
        data = dict(values)
        with self.store.transaction():
            mentee = None
            if kind == "tandem":
                mentee = self._mentee_of(data)
                if mentee is not None:  # the tandem belongs where the mentee does
                    data.setdefault("structure_id", mentee.get("structure_id"))
                    data.setdefault("counsellor_id", mentee.get("counsellor_id"))
            elif kind == "meeting":
                self._refuse_if_ended(data.get("tandem_id"))
            self._consent_taker(kind, data, None)
            record_id = self.store.create(kind, data)
            changes = Changes.one(kind, record_id, tuple(n for n in data if n in spec.by_name), created=True)
            if mentee is not None:
                changes |= self._settle(mentee["id"], without_live="exited")
        log.info("created %s %s (%d fields)", kind, record_id, len(data))
        return changes

    def create_many(self, kind: str, values: list[dict[str, Any]]) -> Changes:
        """Many new records in one transaction (imports). People and structures take the store's bulk
        path; tandems and meetings go through create() one at a time, for their lifecycle rules."""
        if kind in ONE_AT_A_TIME:
            return self._each(lambda item: self.create(kind, item), values)
        with self.store.transaction():
            ids = self.store.create_many(kind, values)
        log.info("created %d %s", len(ids), kind)
        created = _freeze({kind: set(ids)})
        return Changes(ids[0] if len(ids) == 1 else None, (), created, created)

    def update(self, kind: str, record_id: str, values: dict[str, Any]) -> Changes:
        """Change some fields; `fields` says which did (empty, and nothing written, if none)."""
        with self.store.transaction():
            before = self.store.get(kind, record_id) if kind in ("tandem", "meeting") else None
            if kind == "meeting" and before is not None and values.get("tandem_id") not in (None, before["tandem_id"]):
                self._refuse_if_ended(values["tandem_id"])
            if kind in CONSENT_KINDS and "consent_given" in values and self.actor.counsellor_id:
                values = dict(values)
                self._consent_taker(kind, values, self.store.get(kind, record_id))
            changed = self.store.update(kind, record_id, values)
            if not changed:
                return Changes(record_id)
            changes = Changes.one(kind, record_id, tuple(changed))
            if kind == "tandem" and before is not None and {"status", "mentee_id"} & changed.keys():
                after = self.store.get("tandem", record_id)
                changes |= self._settle(after["mentee_id"], without_live="exited")
                if after["mentee_id"] != before["mentee_id"]:
                    changes |= self._settle(before["mentee_id"], without_live="waiting")
        log.info("updated %s %s: %s", kind, record_id, ",".join(sorted(changed)))
        return changes

    def delete(self, kind: str, record_id: str) -> Changes:
        """Tombstone a record (a tandem takes its meetings along); refused while others point at it."""
        with self.store.transaction():
            record = self.store.get(kind, record_id)
            meetings = [m["id"] for m in self.store.live_records("meeting", tandem_id=record_id)] \
                if kind == "tandem" else []
            self.store.delete(kind, record_id)
            changes = Changes.one(kind, record_id, deleted=True)
            if meetings:
                ids = {"meeting": set(meetings)}
                changes |= Changes(written=_freeze(ids), deleted=_freeze(ids))
            if kind == "tandem":
                changes |= self._settle(record["mentee_id"], without_live="waiting")
        log.info("deleted %s %s", kind, record_id)
        return changes

    def delete_many(self, kind: str, record_ids: list[str]) -> Changes:
        """Tombstone many records in one transaction (an import undone): people and structures take
        the store's bulk path, refused whole while others point at one of them; tandems and meetings
        go through delete() one at a time (a tandem takes its meetings, its mentee waits again)."""
        if kind in ONE_AT_A_TIME:
            return self._each(lambda record_id: self.delete(kind, record_id), record_ids)
        with self.store.transaction():
            ids = self.store.delete_many(kind, record_ids)
        log.info("deleted %d %s", len(ids), kind)
        deleted = _freeze({kind: set(ids)})
        return Changes(None, (), deleted, _EMPTY, deleted)

    def erase(self, kind: str, record_id: str, reason: str) -> tuple[Changes, Erased]:
        """Erase a person (domain/erasure.py): their personal fields and the free text of their
        tandems and meetings cleared, their charters deleted, the erasure queued for the hub, which
        makes every device do the same and refuses any later edit of what was cleared."""
        with self.store.transaction() as conn:
            erased = store_erasure.erase_here(self.store, conn, kind, record_id, reason, self.actor.counsellor_id)
        ids: dict[str, set[str]] = {kind: {record_id}}
        for linked_kind, linked_ids in erased.linked.items():
            ids.setdefault(linked_kind, set()).update(linked_ids)
        log.info("erased %s %s (%d linked records)", kind, record_id, erased.linked_count)
        return Changes(record_id, (), _freeze(ids), _EMPTY, _freeze({kind: {record_id}})), erased

    def erase_many(self, kind: str, record_ids: list[str], reason: str,
                   progress: Callable[[int, int], None] | None = None) -> tuple[Changes, list[Erased]]:
        """Erase many persons in one transaction (the retention review's « Anonymiser »): all or none;
        the search index is merged once at the end."""
        done: list[Erased] = []
        ids: dict[str, set[str]] = {}
        with self.store.transaction() as conn:
            for n, record_id in enumerate(record_ids, 1):
                erased = store_erasure.erase_here(self.store, conn, kind, record_id, reason,
                                                  self.actor.counsellor_id, merge_index=False)
                done.append(erased)
                ids.setdefault(kind, set()).add(record_id)
                for linked_kind, linked_ids in erased.linked.items():
                    ids.setdefault(linked_kind, set()).update(linked_ids)
                if progress is not None and (n % 200 == 0 or n == len(record_ids)):
                    progress(n, len(record_ids))
            store_erasure.forget_words(conn, (kind,))
        log.info("erased %d %s", len(done), kind)
        return Changes(None, (), _freeze(ids), _EMPTY, _freeze({kind: set(record_ids)})), done

    def _each(self, write: Callable[[Any], Changes], items: list[Any]) -> Changes:
        """`write` of each item, in one transaction: all of them or none."""
        changes = Changes()
        with self.store.transaction():
            for item in items:
                changes |= write(item)
        return changes

    # -- named use cases ------------------------------------------------------------------------

    def move_tandem(self, tandem_id: str, status: str, **extra: Any) -> Changes:
        """Move a tandem to `status` (with e.g. outcome= when ending it)."""
        return self.update("tandem", tandem_id, {"status": status, **extra})

    def add_meeting(self, tandem_id: str, values: dict[str, Any]) -> Changes:
        return self.create("meeting", {**values, "tandem_id": tandem_id})

    def resend(self, kind: str, record_id: str, values: dict[str, Any] | None) -> tuple[Changes, dict[str, Any]]:
        """Send again a write the hub refused or set aside (see `Store.resend`); with what is sent."""
        with self.store.transaction():
            before = self.store.get(kind, record_id)
            sent = self.store.resend(kind, record_id, values)
            changes = Changes.one(kind, record_id, tuple(sent)) if sent else Changes(record_id)
            if kind == "tandem" and sent:
                after = self.store.get(kind, record_id)
                changes |= self._settle(after["mentee_id"], without_live="exited")
                if after["mentee_id"] != before["mentee_id"]:
                    changes |= self._settle(before["mentee_id"], without_live="waiting")
            return changes, sent

    # -- rules ----------------------------------------------------------------------------------

    def _mentee_of(self, data: dict[str, Any]) -> dict[str, Any] | None:
        mentee_id = data.get("mentee_id")
        if not mentee_id:
            return None  # the store refuses the tandem: the mentee is required
        try:
            return self.store.get("mentee", str(mentee_id))
        except NotFound:
            return None  # the store says which reference is missing

    def _consent_taker(self, kind: str, values: dict[str, Any], before: dict[str, Any] | None) -> None:
        """A consent given (again) in this write was taken by the acting counsellor, unless another was
        picked: `consent_by` is set in `values` when the profile knows its counsellor and holds their
        record (domain/records.py fills the consent's other defaults)."""
        counsellor_id = self.actor.counsellor_id
        if kind not in CONSENT_KINDS or not counsellor_id or "consent_given" not in values:
            return
        try:
            given = kind_spec(kind).by_name["consent_given"].parse(values["consent_given"])
        except InvalidValue:
            return  # the store says what is wrong with it
        earlier = before or {}
        if not given or earlier.get("consent_given"):
            return
        if values.get("consent_by") and values["consent_by"] != earlier.get("consent_by"):
            return  # picked in this write
        if self.store.get_many("counsellor", [counsellor_id]):
            values["consent_by"] = counsellor_id

    def _refuse_if_ended(self, tandem_id: Any) -> None:
        if not tandem_id:
            return
        try:
            tandem = self.store.get("tandem", str(tandem_id))
        except NotFound:
            return  # the store's reference check says so
        if tandem.get("status") == "ended":
            raise ValidationError({"tandem_id": ENDED_TANDEM_MEETING})

    def _settle(self, mentee_id: str, *, without_live: str) -> Changes:
        """Hold « a mentee in a live tandem is in_tandem »: one in a live tandem is `in_tandem`; one
        `in_tandem` with no live tandem left takes `without_live` (exited after an end, waiting after a
        delete). Any other status (a mentee set aside by hand) stays as it is."""
        try:
            mentee = self.store.get("mentee", mentee_id)
        except NotFound:
            return Changes()
        live = any(t.get("status") != "ended" for t in self.store.live_records("tandem", mentee_id=mentee_id))
        status = mentee.get("status")
        wanted = "in_tandem" if live else (without_live if status == "in_tandem" else status)
        if wanted == status:
            return Changes()
        changed = self.store.update("mentee", mentee_id, {"status": wanted})
        return Changes.one("mentee", mentee_id, tuple(changed))
