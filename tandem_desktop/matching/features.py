"""Mentors and mentees as numpy arrays: ids for codes, bitsets for lists, indexes for places.

Built once from plain record dicts (the service streams them from the store) and kept by the app, so
a suggestion only computes one row of scores; after a write, `update.py` changes the few rows
concerned. Only what scoring needs is kept, as arrays, plus each person's id and name: no record
dicts, no per-mentee sets (100,000 mentees would be hundreds of thousands of objects for the cycle
collector to walk). Explanations fetch the few whole records they show (explain.py). Pure Python +
numpy; no Qt, no database.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from ..domain.consent import renewal_of
from ..reference import Commune, Reference, distance_km, find_place

PROJECT_BITS = {"job_search": 0, "business_creation": 1, "orientation": 2}
MODE_BITS = {"in_person": 0, "phone": 1, "video": 2}
# How far a mentee can go, by mobility mode, whatever the kilometres typed.
MODE_CAP_KM = {"walk": 3.0, "bike": 12.0}
LIVE_TANDEM_STATUSES = ("proposed", "accepted", "charter_signed", "active")

# Fields of the records the arrays are made from (the service reads only these).
COMMON_FIELDS = ("first_name", "last_name", "trade_code", "sector", "languages", "availability", "meeting_modes",
                 "commune", "postal_code", "mobility_km", "employer", "consent_given", "consent_withdrawn_on",
                 "consent_renewal", "consent_date")
MENTOR_FIELDS = (*COMMON_FIELDS, "project_types", "skills", "active", "capacity")
MENTEE_FIELDS = (*COMMON_FIELDS, "mobility_mode", "project_type", "needs", "status", "waiting_since",
                 "required_language", "excluded_employers", "excluded_mentors", "declined_mentors")

# Arrays aligned with a side's rows: (name, dtype); "bits" ones are (rows, words) uint64 bitsets.
COMMON_ARRAYS = (("projects", np.uint8), ("trade", np.int32), ("family", np.int32), ("domain", np.int32),
                 ("sector", np.int32), ("skills", "bits"), ("languages", "bits"), ("availability", "bits"),
                 ("modes", np.uint8), ("place", np.int32), ("reach_km", np.float64), ("employer", np.int32),
                 ("consent_given", np.bool_), ("consent_withdrawn", np.int32), ("consent_until", np.int32))
MENTOR_ARRAYS = (*COMMON_ARRAYS, ("active", np.bool_), ("capacity", np.int32), ("load", np.int32))
MENTEE_ARRAYS = (*COMMON_ARRAYS, ("waiting", np.bool_), ("waiting_since", np.int32), ("waiting_days", np.float64),
                 ("required_language", np.int32))
BITS_VOCABULARY = {"skills": "skills", "languages": "languages", "availability": "slots"}


def norm(text: Any) -> str:
    """Case-, accent- and space-insensitive form of a free-text value ("CMA CGM " == "cma cgm")."""
    if not text:
        return ""
    return _norm(str(text))


@lru_cache(maxsize=65536)  # skills, languages, slots and employers repeat across thousands of records
def _norm(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def person_name(record: dict[str, Any]) -> str:
    return f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip()


class Vocabulary:
    """Words -> bit positions, shared by both sides (a mentor's skill matches a mentee's need).
    Only grows: a word keeps its id, so arrays built earlier stay valid."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.words: list[str] = []
        self._seen: dict[str, int] = {}  # text as typed -> id (-1: empty); the same few words fill 25,000 records

    def _id_of(self, value: Any) -> int:
        key = norm(value)
        if not key:
            return -1
        if key not in self.index:
            self.index[key] = len(self.words)
            self.words.append(str(value))
        return self.index[key]

    def ids(self, values: Iterable[Any]) -> list[int]:
        out = []
        seen = self._seen
        for value in values or ():
            if isinstance(value, str):
                found = seen.get(value)
                if found is None:
                    found = seen[value] = self._id_of(value)
            else:
                found = self._id_of(value)
            if found >= 0:
                out.append(found)
        return out

    def id(self, value: Any) -> int:
        if isinstance(value, str):
            found = self._seen.get(value)
            if found is None:
                found = self._seen[value] = self._id_of(value)
            return found
        return self._id_of(value)


def bit_words(size: int) -> int:
    return max(1, math.ceil(size / 64))


def bitsets(rows: Sequence[Sequence[int]], size: int) -> np.ndarray:
    """(n, words) uint64 bitsets; popcounts of ANDs give overlaps."""
    words = bit_words(size)
    out = np.zeros((len(rows), words), dtype=np.uint64)
    mask = (1 << 64) - 1
    for r, ids in enumerate(rows):
        if not ids:
            continue
        value = 0
        for i in ids:  # one Python integer per row, split into 64-bit words once: no numpy call per item
            value |= 1 << i
        for w in range(words):
            out[r, w] = (value >> (64 * w)) & mask
    return out


@dataclass
class Side:
    """One side (mentors or mentees): ids, names and aligned feature arrays (`arrays`, by name:
    COMMON_ARRAYS plus MENTOR_ARRAYS or MENTEE_ARRAYS); `row` maps an id to its row."""

    ids: list[str]
    names: list[str]
    arrays: dict[str, np.ndarray]
    row: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.row:
            self.row = dict(zip(self.ids, range(len(self.ids)), strict=True))

    def __getattr__(self, name: str) -> np.ndarray:  # side.place, side.skills…
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def copy(self) -> Side:
        return Side(list(self.ids), list(self.names), {k: v.copy() for k, v in self.arrays.items()}, dict(self.row))


class Encoder:
    """Record dicts -> array values, with the vocabularies and places met so far (kept with the data,
    so that a record written later is encoded with the same ids)."""

    def __init__(self, ref: Reference):
        self.ref = ref
        self.codes = Vocabulary()
        self.sectors = Vocabulary()
        self.skills = Vocabulary()
        self.languages = Vocabulary()
        self.slots = Vocabulary()
        self.employers = Vocabulary()
        self.places: list[Commune] = []
        self.place_index: dict[str, int] = {}
        self._place_of: dict[tuple[Any, Any], int] = {}  # (commune, postal code) as typed -> index

    def words(self, array: str) -> int:
        return bit_words(len(getattr(self, BITS_VOCABULARY[array]).words))

    def place(self, record: dict[str, Any]) -> int:
        typed = (record.get("commune"), record.get("postal_code"))
        if (known := self._place_of.get(typed)) is not None:
            return known
        commune = find_place(self.ref, *typed)
        if commune is None:
            index = -1
        elif commune.insee not in self.place_index:
            index = self.place_index[commune.insee] = len(self.places)
            self.places.append(commune)
        else:
            index = self.place_index[commune.insee]
        self._place_of[typed] = index
        return index

    def _common(self, r: dict[str, Any], projects: int, skills: str, default_reach: float) -> list[Any]:
        code = norm(r.get("trade_code")).upper()
        codes = self.codes
        km = r.get("mobility_km")
        reach = float(km) if isinstance(km, int) and km >= 0 else default_reach
        reach = min(reach, MODE_CAP_KM.get(r.get("mobility_mode") or "", reach))
        return [projects, codes.id(code), codes.id("f:" + code[:3]) if len(code) >= 3 else -1,
                codes.id("d:" + code[:1]) if code else -1, self.sectors.id(r.get("sector")),
                self.skills.ids(r.get(skills) or ()), self.languages.ids(r.get("languages") or ()),
                self.slots.ids(r.get("availability") or ()), _mask(r.get("meeting_modes"), MODE_BITS),
                self.place(r), reach, self.employers.id(r.get("employer")), bool(r.get("consent_given")),
                _ordinal(r.get("consent_withdrawn_on")), _ordinal(renewal_of(r))]

    def mentor(self, r: dict[str, Any]) -> list[Any]:
        """Values in MENTOR_ARRAYS order (load 0: it comes from the tandems)."""
        return [*self._common(r, _mask(r.get("project_types"), PROJECT_BITS), "skills", 15.0),
                r.get("active") is not False, int(r.get("capacity") or 0), 0]

    def mentee(self, r: dict[str, Any], today: date) -> list[Any]:
        """Values in MENTEE_ARRAYS order."""
        project = 1 << PROJECT_BITS.get(r.get("project_type") or "job_search", 0)
        since = _ordinal(r.get("waiting_since"))
        wanted = r.get("required_language")
        # A language nobody listed gets an id too (nobody speaks it), so a mentor adding it later counts.
        required = (self.languages.id(wanted) if norm(wanted) else -2) if wanted else -1
        days = float(max(today.toordinal() - since, 0)) if since >= 0 else 0.0
        return [*self._common(r, project, "needs", 10.0), r.get("status") == "waiting", since, days, required]

    def mentee_lists(self, r: dict[str, Any]) -> tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]]:
        """Excluded employers (ids), excluded mentors and declined mentors (ids): empty for most."""
        return (tuple(sorted(set(self.employers.ids(r.get("excluded_employers") or ())))),
                tuple(r.get("excluded_mentors") or ()), tuple(r.get("declined_mentors") or ()))


def _mask(values: Any, bits: dict[str, int]) -> int:
    return sum(1 << bits[v] for v in set(values or ()) if v in bits)


@lru_cache(maxsize=8192)  # a few hundred distinct days across 100,000 mentees
def _ordinal(since: Any) -> int:
    try:
        return date.fromisoformat(str(since)).toordinal()
    except ValueError:
        return -1


def waiting_days(since: int | np.ndarray, today: date) -> Any:
    """Days since `since` (a day ordinal; -1 unknown: 0 days), never negative."""
    days = np.maximum(today.toordinal() - np.asarray(since, dtype=np.int64), 0).astype(np.float64)
    result = np.where(np.asarray(since) < 0, 0.0, days)
    return float(result) if result.ndim == 0 else result


def columns(rows: list[list[Any]], spec: Sequence[tuple[str, Any]], encoder: Encoder) -> dict[str, np.ndarray]:
    """Arrays from encoded rows (bitsets as wide as their vocabulary now is)."""
    out: dict[str, np.ndarray] = {}
    for k, (name, dtype) in enumerate(spec):
        values = [row[k] for row in rows]
        if dtype == "bits":
            out[name] = bitsets(values, len(getattr(encoder, BITS_VOCABULARY[name]).words))
        else:
            out[name] = np.array(values, dtype=dtype).reshape(len(rows))
    return out


def distance_table(places: list[Commune]) -> np.ndarray:
    return np.array([[round(distance_km(a, c), 1) for c in places] for a in places],
                    dtype=np.float64).reshape(len(places), len(places))


@dataclass
class MatchingData:
    """Everything scoring needs, as arrays; `version` is the store's journal mark it reflects."""

    mentors: Side
    mentees: Side
    excluded_employers: dict[str, tuple[int, ...]]  # mentee id -> employer ids, only mentees with some
    excluded_mentors: dict[str, tuple[str, ...]]  # mentee id -> declared conflicts (mentor ids)
    declined_mentors: dict[str, tuple[str, ...]]  # mentee id -> mentors declined for them
    paired: set[tuple[str, str]]  # (mentee id, mentor id) with a live tandem
    places: list[Commune]
    distances: np.ndarray  # (places, places) km, rounded to 0.1
    encoder: Encoder
    today: date
    version: Any = ""

    _partners: dict[str, set[str]] | None = None
    _listed: np.ndarray | None = None

    @property
    def active(self) -> np.ndarray:  # mentors
        return self.mentors.arrays["active"]

    @property
    def capacity(self) -> np.ndarray:  # mentors: places in all
        return self.mentors.arrays["capacity"]

    @property
    def load(self) -> np.ndarray:  # mentors: live tandems
        return self.mentors.arrays["load"]

    @property
    def remaining(self) -> np.ndarray:
        return np.maximum(self.capacity - self.load, 0)

    @property
    def waiting(self) -> np.ndarray:  # mentees: on the waiting list (the others were asked for by id)
        return self.mentees.arrays["waiting"]

    @property
    def waiting_days(self) -> np.ndarray:  # mentees
        return self.mentees.arrays["waiting_days"]

    @property
    def required_language(self) -> np.ndarray:  # mentees: language id, -1 none, -2 unknown word
        return self.mentees.arrays["required_language"]

    @property
    def languages(self) -> Vocabulary:
        return self.encoder.languages

    def partners(self) -> dict[str, set[str]]:
        """Mentee id -> mentors they already have a live tandem with."""
        if self._partners is None:
            partners: dict[str, set[str]] = {}
            for mentee_id, mentor_id in self.paired:
                partners.setdefault(mentee_id, set()).add(mentor_id)
            self._partners = partners
        return self._partners

    def listed(self) -> np.ndarray:
        """(mentees,) bool: whose per-pair lists (declined, conflicts, tandems) rule some pair out."""
        if self._listed is None:
            listed = np.zeros(len(self.mentees.ids), dtype=bool)
            row = self.mentees.row
            for found in (self.excluded_employers, self.excluded_mentors, self.declined_mentors, self.partners()):
                listed[[i for i in map(row.get, found) if i is not None]] = True
            self._listed = listed
        return self._listed

    def copy(self) -> MatchingData:
        """Arrays and lists of its own (vocabularies shared: they only grow), for `update.py`."""
        return replace(self, mentors=self.mentors.copy(), mentees=self.mentees.copy(),
                       excluded_employers=dict(self.excluded_employers), excluded_mentors=dict(self.excluded_mentors),
                       declined_mentors=dict(self.declined_mentors), paired=set(self.paired),
                       places=list(self.places), _partners=None, _listed=None)


def count_load(mentors: Side, paired: Iterable[tuple[str, str]]) -> np.ndarray:
    load = np.zeros(len(mentors.ids), dtype=np.int32)
    for _, mentor_id in paired:
        if (j := mentors.row.get(mentor_id)) is not None:
            load[j] += 1
    return load


def build(mentors: Iterable[dict[str, Any]], mentees: Iterable[dict[str, Any]],
          live_pairs: Iterable[tuple[str, str]], ref: Reference, today: date, version: Any = "") -> MatchingData:
    """Arrays for `mentors` and `mentees` (record dicts as the store returns them, whole or only the
    MENTOR_FIELDS / MENTEE_FIELDS), in the order given; each record is read once and let go.

    `live_pairs` are (mentee id, mentor id) of tandems not ended: they give each mentor's load and
    rule out pairing the same two people twice.
    """
    enc = Encoder(ref)
    tutor_ids, tutor_names, tutor_rows = [], [], []
    for r in mentors:
        tutor_ids.append(r["id"])
        tutor_names.append(person_name(r))
        tutor_rows.append(enc.mentor(r))
    learner_ids, learner_names, learner_rows = [], [], []
    lists: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] = ({}, {}, {})
    for r in mentees:
        learner_ids.append(r["id"])
        learner_names.append(person_name(r))
        learner_rows.append(enc.mentee(r, today))
        for found, values in zip(lists, enc.mentee_lists(r), strict=True):
            if values:
                found[r["id"]] = values
    tutors = Side(tutor_ids, tutor_names, columns(tutor_rows, MENTOR_ARRAYS, enc))
    learners = Side(learner_ids, learner_names, columns(learner_rows, MENTEE_ARRAYS, enc))
    pairs = set(live_pairs)
    tutors.arrays["load"] = count_load(tutors, pairs)
    return MatchingData(tutors, learners, *lists, paired=pairs, places=list(enc.places),
                        distances=distance_table(enc.places), encoder=enc, today=today, version=version)
