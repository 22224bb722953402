"""The matching data after a few writes, without building it again: the rows of the records written
are encoded and put in place (or dropped), the mentors' loads follow the live tandems.

`updated` returns a new MatchingData and leaves the one given as it was: a batch proposal running in
a worker may still be reading it. The result answers exactly as `features.build` over the same
records would (ids may differ inside the vocabularies; no score depends on them), which
tests/matching/test_update.py checks pair by pair.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import numpy as np

from ..reference import distance_km
from .features import (
    BITS_VOCABULARY,
    MENTEE_ARRAYS,
    MENTOR_ARRAYS,
    MatchingData,
    Side,
    count_load,
    distance_table,
    person_name,
    waiting_days,
)


def updated(data: MatchingData, *, mentors: Mapping[str, dict[str, Any] | None] | None = None,
            mentees: Mapping[str, dict[str, Any] | None] | None = None,
            pairs: Iterable[tuple[str, str]] | None = None, today: date | None = None,
            version: Any = None) -> MatchingData:
    """`mentors` / `mentees`: id -> the record now (put: replaced, or inserted in id order) or None
    (dropped); `pairs`: every live (mentee id, mentor id) pair now, when tandems changed."""
    new = data.copy()
    enc = new.encoder
    places_before = len(data.places)  # what its distance table covers
    # Encode first: new words widen the bitsets of both sides once, before any row is written.
    tutors = {k: None if r is None else (person_name(r), enc.mentor(r)) for k, r in (mentors or {}).items()}
    learners = {k: None if r is None else (person_name(r), enc.mentee(r, new.today), enc.mentee_lists(r))
                for k, r in (mentees or {}).items()}
    for side in (new.mentors, new.mentees):
        for name in BITS_VOCABULARY:
            array = side.arrays[name]
            if (wider := enc.words(name) - array.shape[1]) > 0:
                side.arrays[name] = np.pad(array, ((0, 0), (0, wider)))
    for record_id, tutor in tutors.items():
        if tutor is None:
            _drop(new.mentors, record_id)
        else:
            _put(new.mentors, record_id, *tutor, MENTOR_ARRAYS)
    lists = (new.excluded_employers, new.excluded_mentors, new.declined_mentors)
    for record_id, learner in learners.items():
        for found in lists:
            found.pop(record_id, None)
        if learner is None:
            _drop(new.mentees, record_id)
            continue
        name, values, own_lists = learner
        _put(new.mentees, record_id, name, values, MENTEE_ARRAYS)
        for found, items in zip(lists, own_lists, strict=True):
            if items:
                found[record_id] = items
    if len(enc.places) > places_before:
        new.places = list(enc.places)
        new.distances = _grown(data.distances, new.places, places_before)
    if pairs is not None:
        new.paired = set(pairs)
    new.mentors.arrays["load"] = count_load(new.mentors, new.paired)
    if today is not None and today != new.today:
        new.today = today
        new.mentees.arrays["waiting_days"] = waiting_days(new.mentees.arrays["waiting_since"], today)
    if version is not None:
        new.version = version
    return new


def _put(side: Side, record_id: str, name: str, values: list[Any], spec: tuple[tuple[str, Any], ...]) -> None:
    row = side.row.get(record_id)
    if row is None:
        row = bisect.bisect_left(side.ids, record_id)
        at_end = row == len(side.ids)
        side.ids.insert(row, record_id)
        side.names.insert(row, name)
        for array_name, _ in spec:
            array = side.arrays[array_name]
            blank = np.zeros((1, *array.shape[1:]), dtype=array.dtype)
            side.arrays[array_name] = np.concatenate([array[:row], blank, array[row:]])
        if at_end:
            side.row[record_id] = row
        else:
            side.row = dict(zip(side.ids, range(len(side.ids)), strict=True))
    side.names[row] = name
    for (array_name, dtype), value in zip(spec, values, strict=True):
        array = side.arrays[array_name]
        if dtype == "bits":
            bits = sum(1 << i for i in set(value))
            if bits.bit_length() > 64 * array.shape[1]:
                raise ValueError(f"{array_name}: bitset narrower than its vocabulary")
            array[row] = [(bits >> (64 * w)) & ((1 << 64) - 1) for w in range(array.shape[1])]
        else:
            array[row] = value


def _drop(side: Side, record_id: str) -> None:
    row = side.row.get(record_id)
    if row is None:
        return
    del side.ids[row], side.names[row]
    for name, array in side.arrays.items():
        side.arrays[name] = np.delete(array, row, axis=0)
    side.row = dict(zip(side.ids, range(len(side.ids)), strict=True))


def _grown(distances: np.ndarray, places: list[Any], before: int) -> np.ndarray:
    """The distance table with rows and columns for the places added after the first `before`."""
    if before == 0:
        return distance_table(places)
    table = np.zeros((len(places), len(places)), dtype=np.float64)
    table[:before, :before] = distances
    for i in range(before, len(places)):
        for j in range(len(places)):
            table[i, j] = round(distance_km(places[i], places[j]), 1)
            table[j, i] = round(distance_km(places[j], places[i]), 1)
    return table
