"""Mentors and mentees as numpy arrays: ids for codes, bitsets for lists, indexes for places.

Built once from plain record dicts (the service loads them from the store) and kept by the app, so a
suggestion only computes one row of scores. Pure Python + numpy; no Qt, no database.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from ..reference import Commune, Reference, distance_km, find_place

PROJECT_BITS = {"job_search": 0, "business_creation": 1, "orientation": 2}
MODE_BITS = {"in_person": 0, "phone": 1, "video": 2}
# How far a mentee can go, by mobility mode, whatever the kilometres typed.
MODE_CAP_KM = {"walk": 3.0, "bike": 12.0}
LIVE_TANDEM_STATUSES = ("proposed", "accepted", "charter_signed", "active")


def norm(text: Any) -> str:
    """Case-, accent- and space-insensitive form of a free-text value ("CMA CGM " == "cma cgm")."""
    if not text:
        return ""
    return _norm(str(text))


@lru_cache(maxsize=65536)  # skills, languages, slots and employers repeat across thousands of records
def _norm(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


class Vocabulary:
    """Words -> bit positions, shared by both sides (a mentor's skill matches a mentee's need)."""

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
        found = self.ids([value])
        return found[0] if found else -1


def bitsets(rows: Sequence[Sequence[int]], size: int) -> np.ndarray:
    """(n, words) uint64 bitsets; popcounts of ANDs give overlaps."""
    words = max(1, math.ceil(size / 64))
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
    """One side (mentors or mentees): record ids and aligned feature arrays."""

    ids: list[str]
    records: list[dict[str, Any]]
    projects: np.ndarray  # mentor: bitmask of accepted project types; mentee: its type's bit
    trade: np.ndarray  # ids of the ROME code, its family (3 chars), its domain (1 letter), the sector
    family: np.ndarray
    domain: np.ndarray
    sector: np.ndarray
    skills: np.ndarray  # mentor: skills offered; mentee: needs
    languages: np.ndarray
    availability: np.ndarray
    modes: np.ndarray  # meeting modes bitmask
    place: np.ndarray  # index into MatchingData.places, -1 when the commune is unknown
    reach_km: np.ndarray  # how far this side travels
    employer: np.ndarray  # vocabulary id, -1 for none
    consent: np.ndarray
    row: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row = {rid: i for i, rid in enumerate(self.ids)}


@dataclass
class MatchingData:
    """Everything scoring needs, as arrays; `version` lets the app know when to rebuild it."""

    mentors: Side
    mentees: Side
    active: np.ndarray  # mentors
    capacity: np.ndarray  # mentors: places in all
    load: np.ndarray  # mentors: live tandems
    waiting_days: np.ndarray  # mentees
    required_language: np.ndarray  # mentees: language id or -1
    excluded_employers: list[frozenset[int]]  # mentees
    excluded_mentors: list[frozenset[str]]  # mentees: declared conflicts (mentor ids)
    declined_mentors: list[frozenset[str]]  # mentees
    paired: set[tuple[str, str]]  # (mentee id, mentor id) with a live tandem
    places: list[Commune]
    distances: np.ndarray  # (places, places) km, rounded to 0.1
    languages: Vocabulary
    today: date
    version: str = ""

    _partners: dict[str, set[str]] | None = None

    @property
    def remaining(self) -> np.ndarray:
        return np.maximum(self.capacity - self.load, 0)

    def partners(self) -> dict[str, set[str]]:
        """Mentee id -> mentors they already have a live tandem with."""
        if self._partners is None:
            self._partners = {}
            for mentee_id, mentor_id in self.paired:
                self._partners.setdefault(mentee_id, set()).add(mentor_id)
        return self._partners


def _text_ids(vocab: Vocabulary, records: Sequence[dict[str, Any]], key: Any) -> np.ndarray:
    return np.array([vocab.id(key(r)) for r in records], dtype=np.int32)


def _mask(records: Sequence[dict[str, Any]], name: str, bits: dict[str, int]) -> np.ndarray:
    return np.array([sum(1 << bits[v] for v in set(r.get(name) or ()) if v in bits) for r in records],
                    dtype=np.uint8)


def _reach(record: dict[str, Any], default: float) -> float:
    km = record.get("mobility_km")
    reach = float(km) if isinstance(km, int) and km >= 0 else default
    return min(reach, MODE_CAP_KM.get(record.get("mobility_mode") or "", reach))


class _Builder:
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

    def side(self, records: Sequence[dict[str, Any]], skills_field: str, projects: np.ndarray,
             default_reach: float) -> tuple[Side, list[list[int]], list[list[int]], list[list[int]]]:
        code = [norm(r.get("trade_code")).upper() for r in records]
        skills = [self.skills.ids(r.get(skills_field) or ()) for r in records]
        languages = [self.languages.ids(r.get("languages") or ()) for r in records]
        slots = [self.slots.ids(r.get("availability") or ()) for r in records]
        side = Side(
            ids=[r["id"] for r in records], records=list(records), projects=projects,
            trade=np.array([self.codes.id(c) for c in code], dtype=np.int32),
            family=np.array([self.codes.id("f:" + c[:3]) if len(c) >= 3 else -1 for c in code], dtype=np.int32),
            domain=np.array([self.codes.id("d:" + c[:1]) if c else -1 for c in code], dtype=np.int32),
            sector=_text_ids(self.sectors, records, lambda r: r.get("sector")),
            skills=np.zeros((0, 1), np.uint64), languages=np.zeros((0, 1), np.uint64),
            availability=np.zeros((0, 1), np.uint64), modes=_mask(records, "meeting_modes", MODE_BITS),
            place=np.array([self.place(r) for r in records], dtype=np.int32),
            reach_km=np.array([_reach(r, default_reach) for r in records], dtype=np.float64),
            employer=_text_ids(self.employers, records, lambda r: r.get("employer")),
            consent=np.array([bool(r.get("consent_given")) for r in records], dtype=bool),
        )
        return side, skills, languages, slots


def build(mentors: Sequence[dict[str, Any]], mentees: Sequence[dict[str, Any]],
          live_pairs: Iterable[tuple[str, str]], ref: Reference, today: date, version: str = "") -> MatchingData:
    """Arrays for `mentors` and `mentees` (record dicts as the store returns them).

    `live_pairs` are (mentee id, mentor id) of tandems not ended: they give each mentor's load and
    rule out pairing the same two people twice.
    """
    b = _Builder(ref)
    mentor_projects = _mask(mentors, "project_types", PROJECT_BITS)
    mentee_projects = np.array([1 << PROJECT_BITS.get(m.get("project_type") or "job_search", 0) for m in mentees],
                               dtype=np.uint8)
    tutors, t_skills, t_lang, t_slots = b.side(mentors, "skills", mentor_projects, 15.0)
    learners, l_skills, l_lang, l_slots = b.side(mentees, "needs", mentee_projects, 10.0)
    for side, skills, langs, slots in ((tutors, t_skills, t_lang, t_slots), (learners, l_skills, l_lang, l_slots)):
        side.skills = bitsets(skills, len(b.skills.words))
        side.languages = bitsets(langs, len(b.languages.words))
        side.availability = bitsets(slots, len(b.slots.words))
    pairs = set(live_pairs)
    load = np.zeros(len(mentors), dtype=np.int32)
    for _, mentor_id in pairs:
        if (j := tutors.row.get(mentor_id)) is not None:
            load[j] += 1
    required = [b.languages.index.get(norm(m.get("required_language")), -2) if m.get("required_language") else -1
                for m in mentees]
    places = b.places
    distances = np.array([[round(distance_km(a, c), 1) for c in places] for a in places], dtype=np.float64)
    return MatchingData(
        mentors=tutors, mentees=learners,
        active=np.array([m.get("active") is not False for m in mentors], dtype=bool),
        capacity=np.array([int(m.get("capacity") or 0) for m in mentors], dtype=np.int32),
        load=load,
        waiting_days=np.array([_waiting_days(m.get("waiting_since"), today) for m in mentees], dtype=np.float64),
        required_language=np.array(required, dtype=np.int32),
        excluded_employers=[frozenset(b.employers.ids(m.get("excluded_employers") or ())) for m in mentees],
        excluded_mentors=[frozenset(m.get("excluded_mentors") or ()) for m in mentees],
        declined_mentors=[frozenset(m.get("declined_mentors") or ()) for m in mentees],
        paired=pairs, places=places, distances=distances.reshape(len(places), len(places)),
        languages=b.languages, today=today, version=version,
    )


def _waiting_days(since: Any, today: date) -> float:
    try:
        return float(max((today - date.fromisoformat(str(since))).days, 0))
    except ValueError:
        return 0.0
