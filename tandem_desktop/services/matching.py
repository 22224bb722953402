"""Matching use cases: load the matching data from the store, suggest, propose, accept, decline.

The data is built once and then follows the database: the store's journal names the records written
since the data's mark, and only their rows change (matching/update.py), so a suggestion after an edit
scores one row instead of reading 100,000 mentees again. Writes (accept, decline) go through the
records service like any counsellor's edit (`services.records`): they reach the outbox and sync,
and return the `Changes` they made.
"""

from __future__ import annotations

import dataclasses
import heapq
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..matching import features
from ..matching.criteria import MatchingSettings
from ..matching.explain import Explainer
from ..matching.propose import Mode, Progress, Proposal, propose
from ..matching.suggest import Suggestions, for_mentee, for_mentor
from ..matching.update import updated
from ..reference import Reference, load_reference
from ..store.bulk import gc_paused
from ..store.repository import Store
from .records import Actor, Changes, Records

SETTINGS_KEY = "matching_settings"
REBUILD_OVER = 2000  # records written since the data's mark above which reading everything is cheaper
TANDEM_FIELDS = ("mentee_id", "mentor_id", "status")


class MatchingService:
    """One per open profile (the app keeps it); `data()` may be called from any thread."""

    def __init__(self, store: Store, reference: Reference | None = None, records: Records | None = None):
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.reference = reference or load_reference()
        self._data: features.MatchingData | None = None
        self._extra: set[str] = set()  # mentees asked for by id (not waiting): kept in the data too
        self._tandems: dict[str, tuple[str, str]] = {}  # live tandem id -> (mentee id, mentor id)
        self._lock = threading.Lock()
        self.rebuilds = 0  # full reads of the store (the benchmark and the tests count them)

    # -- settings ------------------------------------------------------------------------------

    def settings(self) -> MatchingSettings:
        return MatchingSettings.from_json(self.store.meta_value(SETTINGS_KEY))

    def save_settings(self, settings: MatchingSettings) -> None:
        self.store.set_meta_value(SETTINGS_KEY, settings.checked().to_json())

    def reset_settings(self) -> MatchingSettings:
        self.store.set_meta_value(SETTINGS_KEY, None)
        return self.settings()

    # -- data ----------------------------------------------------------------------------------

    def data(self, include_mentees: Iterable[str] = ()) -> features.MatchingData:
        """Mentors, waiting mentees (plus `include_mentees`) and live tandems, as arrays, as the
        database now is. The object returned never changes: a later call returns another one."""
        with self._lock:
            cached = self._data
            extra = self._extra | set(include_mentees)
            mark, written = self.store.journal.since(cached.version) if cached is not None else (0, None)
            if cached is None or written is None or sum(map(len, written.values())) > REBUILD_OVER:
                with gc_paused():
                    self._data = self._load(self.store.journal.mark(), extra, extra - self._extra)
                self.rebuilds += 1
            else:
                asked = {m for m in extra - self._extra if m not in cached.mentees.row}
                if (asked or written.get("mentor") or written.get("mentee") or written.get("tandem")
                        or self.store.today() != cached.today):
                    self._data = self._apply(cached, written, asked, extra, mark)
                elif mark != cached.version:  # other kinds only (meetings…): the same arrays, a newer mark
                    self._data = dataclasses.replace(cached, version=mark)
            self._extra = extra
            return self._data

    def _load(self, mark: int, extra: set[str], new: set[str]) -> features.MatchingData:
        """Everything again, streamed: the fields matching reads, never whole records, all at once."""
        asked = self._asked(extra, new)
        self._tandems = {t["id"]: (t["mentee_id"], t["mentor_id"])
                         for t in self.store.live_fields("tandem", TANDEM_FIELDS)
                         if t.get("status") in features.LIVE_TANDEM_STATUSES}
        waiting = self.store.live_fields("mentee", features.MENTEE_FIELDS, status="waiting")
        others = sorted((r for r in asked.values() if r.get("status") != "waiting"), key=lambda r: r["id"])
        return features.build(self.store.live_fields("mentor", features.MENTOR_FIELDS),
                              heapq.merge(waiting, others, key=lambda r: r["id"]),  # both by id
                              self._tandems.values(), self.reference, self.store.today(), mark)

    def _asked(self, ids: set[str], new: set[str]) -> dict[str, dict[str, Any]]:
        """Mentees asked for by id; NotFound (French message) when one just asked for is not in the
        profile (one asked for earlier and deleted since is simply left out)."""
        found = self.store.get_many("mentee", ids)
        for mentee_id in sorted(new - found.keys()):
            self.store.get("mentee", mentee_id)  # raises NotFound
        return found

    def _apply(self, data: features.MatchingData, written: dict[str, set[str]], asked: set[str],
               extra: set[str], mark: int) -> features.MatchingData:
        """The data with the rows of the records written changed (read now: their committed state)."""
        mentor_ids = written.get("mentor", set())
        mentee_ids = written.get("mentee", set()) | asked
        mentors = self.store.get_many("mentor", mentor_ids)
        mentees = self._asked(asked, asked) | self.store.get_many("mentee", mentee_ids - asked)
        pairs = None
        if tandem_ids := written.get("tandem"):
            now = self.store.get_many("tandem", tandem_ids)
            for tandem_id in tandem_ids:
                tandem = now.get(tandem_id)  # None: deleted
                if tandem is not None and tandem.get("status") in features.LIVE_TANDEM_STATUSES:
                    self._tandems[tandem_id] = (tandem["mentee_id"], tandem["mentor_id"])
                else:
                    self._tandems.pop(tandem_id, None)
            pairs = self._tandems.values()
        kept = {m: r for m, r in mentees.items() if r.get("status") == "waiting" or m in extra}
        return updated(data, mentors={m: mentors.get(m) for m in mentor_ids},
                       mentees={m: kept.get(m) for m in mentee_ids}, pairs=pairs, today=self.store.today(),
                       version=mark)

    def lookup(self, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole records, for the few pairs an explanation shows."""
        return self.store.get_many(kind, ids)

    def explainer(self, data: features.MatchingData) -> Explainer:
        return Explainer(data, self.reference, self.lookup)

    # -- suggestions and proposals -----------------------------------------------------------------

    def suggest_for_mentee(self, mentee_id: str, top: int = 10) -> Suggestions:
        data = self.data([mentee_id])
        return for_mentee(data, self.settings(), self.explainer(data), mentee_id, top)

    def suggest_for_mentor(self, mentor_id: str, top: int = 10) -> Suggestions:
        data = self.data()
        if mentor_id not in data.mentors.row:
            self.store.get("mentor", mentor_id)  # raises NotFound with the French message
        waiting = np.flatnonzero(data.waiting)
        return for_mentor(data, self.settings(), self.explainer(data), mentor_id, top, rows=waiting)

    def propose(self, mentee_ids: Sequence[str] | None = None, *, min_score: float | None = None,
                mode: Mode = "best", spread: bool | None = None, pinned: dict[str, str] | None = None,
                progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Proposal:
        """For `mentee_ids` (default: every waiting mentee). Writes nothing."""
        data = self.data(mentee_ids or ())
        if mentee_ids is None:
            rows = np.flatnonzero(data.waiting)
        else:
            rows = np.array([data.mentees.row[m] for m in dict.fromkeys(mentee_ids)], dtype=np.int64)
        with gc_paused():  # tens of thousands of pairs and reasons: objects, no cycles
            return propose(data, self.settings(), self.explainer(data), rows, min_score=min_score, mode=mode,
                           spread=spread, pinned=pinned, progress=progress, cancel=cancel)

    # -- decisions -----------------------------------------------------------------------------

    def accept(self, mentee_id: str, mentor_id: str) -> Changes:
        """Create the tandem as proposed (the counsellor said yes); `record_id` is the tandem."""
        return self.records.create("tandem", {"mentee_id": mentee_id, "mentor_id": mentor_id, "status": "proposed"})

    def accept_pairs(self, pairs: Iterable[tuple[str, str]]) -> Changes:
        """(mentee id, mentor id) pairs, all in one transaction: all are created or none."""
        changes = Changes()
        with self.store.transaction():
            for mentee_id, mentor_id in pairs:
                changes |= self.accept(mentee_id, mentor_id)
        return changes

    def undo_accept(self, tandem_id: str) -> Changes:
        """Take back a yes: the tandem goes, the mentee waits again."""
        return self.records.delete("tandem", tandem_id)

    def decline(self, mentee_id: str, mentor_id: str) -> Changes:
        """The counsellor said no: this mentor is not suggested again for this mentee."""
        return self._edit_declined(mentee_id, lambda ids: ids if mentor_id in ids else [*ids, mentor_id])

    def undo_decline(self, mentee_id: str, mentor_id: str) -> Changes:
        return self._edit_declined(mentee_id, lambda ids: [i for i in ids if i != mentor_id])

    def reset_declines(self, mentee_id: str) -> Changes:
        return self._edit_declined(mentee_id, lambda ids: [])

    def _edit_declined(self, mentee_id: str, change: Callable[[list[str]], list[str]]) -> Changes:
        with self.store.transaction():
            current = list(self.store.get("mentee", mentee_id).get("declined_mentors") or [])
            wanted = change(current)
            if wanted == current:
                return Changes(mentee_id)
            return self.records.update("mentee", mentee_id, {"declined_mentors": wanted})


def proposal_pairs(proposal: Proposal) -> list[tuple[str, str]]:
    return [(p.mentee_id, p.mentor_id) for p in proposal.pairs]


__all__: list[Any] = ["MatchingService", "proposal_pairs"]
