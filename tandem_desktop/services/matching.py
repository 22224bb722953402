"""Matching use cases: load the matching data from the store, suggest, propose, accept, decline.

The data is built once and kept until the database changes (its last clock stamp or sync cursor
moves), so a suggestion in the app only scores one row. Writes (accept, decline) go through the
records service like any counsellor's edit (`services.records`): they reach the outbox and sync,
and return the `Changes` they made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..matching import features
from ..matching.criteria import MatchingSettings
from ..matching.explain import Explainer
from ..matching.propose import Mode, Progress, Proposal, propose
from ..matching.suggest import Suggestions, for_mentee, for_mentor
from ..reference import Reference, load_reference
from ..store.bulk import gc_paused
from ..store.repository import Store
from .records import Actor, Changes, Records

SETTINGS_KEY = "matching_settings"




class MatchingService:
    """One per open profile (the app keeps it); thread-safe enough for one worker at a time."""

    def __init__(self, store: Store, reference: Reference | None = None, records: Records | None = None):
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.reference = reference or load_reference()
        self._data: features.MatchingData | None = None
        self._extra: frozenset[str] = frozenset()

    # -- settings ------------------------------------------------------------------------------

    def settings(self) -> MatchingSettings:
        return MatchingSettings.from_json(self.store.meta_value(SETTINGS_KEY))

    def save_settings(self, settings: MatchingSettings) -> None:
        self.store.set_meta_value(SETTINGS_KEY, settings.checked().to_json())

    def reset_settings(self) -> MatchingSettings:
        self.store.set_meta_value(SETTINGS_KEY, None)
        return self.settings()

    # -- data ----------------------------------------------------------------------------------

    def _version(self) -> str:
        return f"{self.store.meta_value('hlc_last')}|{self.store.meta_value('sync_cursor')}"

    def data(self, include_mentees: Iterable[str] = ()) -> features.MatchingData:
        """Mentors, waiting mentees (plus `include_mentees`) and live tandems, as arrays."""
        extra = frozenset(include_mentees)
        version = self._version()
        cached = self._data
        if cached is not None and cached.version == version and extra <= set(cached.mentees.row):
            return cached
        extra |= self._extra if cached is not None and cached.version == version else frozenset()
        with gc_paused():
            self._data = self._load(extra, version)
        self._extra = extra
        return self._data

    def _load(self, extra: frozenset[str], version: str) -> features.MatchingData:
        mentors = sorted(self.store.live_records("mentor"), key=lambda r: r["id"])
        mentees = {r["id"]: r for r in self.store.live_records("mentee", status="waiting")}
        for mentee_id in extra - set(mentees):
            mentees[mentee_id] = self.store.get("mentee", mentee_id)
        tandems = [t for t in self.store.live_records("tandem") if t.get("status") in features.LIVE_TANDEM_STATUSES]
        return features.build(mentors, [mentees[k] for k in sorted(mentees)],
                              [(t["mentee_id"], t["mentor_id"]) for t in tandems],
                              self.reference, self.store.today(), version)

    def explainer(self, data: features.MatchingData) -> Explainer:
        return Explainer(data, self.reference)

    # -- suggestions and proposals -----------------------------------------------------------------

    def suggest_for_mentee(self, mentee_id: str, top: int = 10) -> Suggestions:
        data = self.data([mentee_id])
        return for_mentee(data, self.settings(), self.explainer(data), mentee_id, top)

    def suggest_for_mentor(self, mentor_id: str, top: int = 10) -> Suggestions:
        data = self.data()
        if mentor_id not in data.mentors.row:
            self.store.get("mentor", mentor_id)  # raises NotFound with the French message
        waiting = np.array([i for i, m in enumerate(data.mentees.records) if m.get("status") == "waiting"],
                           dtype=np.int64)
        return for_mentor(data, self.settings(), self.explainer(data), mentor_id, top, rows=waiting)

    def propose(self, mentee_ids: Sequence[str] | None = None, *, min_score: float | None = None,
                mode: Mode = "best", spread: bool | None = None, pinned: dict[str, str] | None = None,
                progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Proposal:
        """For `mentee_ids` (default: every waiting mentee). Writes nothing."""
        data = self.data(mentee_ids or ())
        if mentee_ids is None:
            rows = np.array([i for i, m in enumerate(data.mentees.records) if m.get("status") == "waiting"],
                            dtype=np.int64)
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
