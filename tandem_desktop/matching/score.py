"""Scores of mentee × mentor pairs, vectorised: per-criterion values, integer contributions, reasons.

A contribution is floor(value × 1000 × weight / total weight), in thousandths; a score is the sum of
its contributions, so an explanation always adds up to its score exactly, and the same data gives
the same integers everywhere. `plain.py` computes the same numbers one pair at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .assign import Cancelled
from .consent import consent_current
from .criteria import CRITERIA, HARD_CONSTRAINTS, PROGRAMMES, MatchingSettings, bit
from .features import PROJECT_BITS, MatchingData

EPSILON = 1e-9  # guards floor() against 0.7 × 1000 = 699.9999…
UNKNOWN = 0.5  # value of a criterion one side did not fill in: neither for nor against
WAITING_FULL_DAYS = 180.0
TRADE_LEVELS = (1.0, 0.7, 0.4, 0.3)  # same ROME code, family, domain, sector
CHUNK_CELLS = 1 << 17  # pairs scored at a time: temporaries stay in the CPU cache, progress moves, stop is quick

Step = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass
class Block:
    """Scores of mentees `rows` × mentors `cols` (indexes into data.mentees / data.mentors)."""

    rows: np.ndarray
    cols: np.ndarray
    contributions: np.ndarray  # (criteria, n, m) int16, thousandths
    scores: np.ndarray  # (n, m) int32, thousandths
    reasons: np.ndarray  # (n, m) uint16 bitmask of broken hard constraints; 0 = possible pair
    distance: np.ndarray  # (n, m) km, nan when a commune is unknown


def factors(settings: MatchingSettings, programme: str) -> tuple[float, ...]:
    """1000 × weight / total weight per criterion (all zero when every weight is zero)."""
    weights = settings.weight_vector(programme)
    total = sum(weights)
    return tuple(1000.0 * w / total if total > 0 else 0.0 for w in weights)


def _popcount(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    return np.bitwise_count(a if b is None else a & b).sum(axis=-1, dtype=np.int32)


def _overlap(mentee_bits: np.ndarray, mentor_bits: np.ndarray) -> np.ndarray:
    """Share of the mentee's items the mentor also has; UNKNOWN when either side listed none."""
    words = mentee_bits.shape[1]
    common = np.bitwise_count(mentee_bits[:, None, 0] & mentor_bits[None, :, 0])  # (n, m) uint8, word by word
    if words > 1:
        common = common.astype(np.uint16)
        for w in range(1, words):
            common += np.bitwise_count(mentee_bits[:, None, w] & mentor_bits[None, :, w])
    own = _popcount(mentee_bits).astype(np.float64)[:, None]
    theirs = _popcount(mentor_bits)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = common / own
    share[np.broadcast_to((own == 0) | (theirs == 0), share.shape)] = UNKNOWN
    return share


def _trade(data: MatchingData, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    e, t = data.mentees, data.mentors
    value = np.zeros((len(rows), len(cols)), dtype=np.float64)
    # Lowest level first, so a closer match overwrites it.
    for level, attribute in zip(reversed(TRADE_LEVELS), ("sector", "domain", "family", "trade"), strict=True):
        mine, theirs = getattr(e, attribute)[rows][:, None], getattr(t, attribute)[cols][None, :]
        value = np.where((mine >= 0) & (mine == theirs), level, value)
    unknown = (e.trade[rows] < 0) & (e.sector[rows] < 0)
    value[unknown, :] = UNKNOWN
    return value


def _place_table(data: MatchingData, cols: np.ndarray) -> np.ndarray:
    """(places + 1, m) km from each place to each mentor; the last row (place -1) and unknown mentor
    places are nan. Gathering whole rows of it is much faster than 2-D fancy indexing per pair."""
    b = data.mentors.place[cols]
    table = np.full((len(data.places) + 1, len(cols)), np.nan)
    if len(data.places):
        table[:-1] = data.distances[:, np.maximum(b, 0)]
        table[:-1, b < 0] = np.nan
    return table


def _distance(data: MatchingData, rows: np.ndarray, cols: np.ndarray, table: np.ndarray | None = None) -> np.ndarray:
    table = _place_table(data, cols) if table is None else table
    return table[data.mentees.place[rows]]  # place -1 picks the last row, all nan


def criteria(data: MatchingData, rows: np.ndarray, cols: np.ndarray, distance: np.ndarray) -> Iterator[np.ndarray]:
    """Each criterion's (n, m) values in [0, 1], one at a time (a big block never holds all eight)."""
    e, t = data.mentees, data.mentors
    n, m = len(rows), len(cols)
    offered = t.projects[cols][None, :]
    yield np.where(offered == 0, UNKNOWN, ((offered & e.projects[rows][:, None]) != 0).astype(np.float64))
    yield _trade(data, rows, cols)
    yield _overlap(e.skills[rows], t.skills[cols])
    reach = np.maximum(e.reach_km[rows], 0.5)[:, None]
    yield np.where(np.isnan(distance), UNKNOWN, np.clip(1.0 - distance / (2.0 * reach), 0.0, 1.0))
    yield _overlap(e.availability[rows], t.availability[cols])
    yield _overlap(e.languages[rows], t.languages[cols])
    yield _overlap(e.modes[rows][:, None].astype(np.uint64), t.modes[cols][:, None].astype(np.uint64))
    waiting = np.minimum(data.waiting_days[rows] / WAITING_FULL_DAYS, 1.0)[:, None]
    yield np.broadcast_to(waiting, (n, m))


def criterion_values(data: MatchingData, rows: np.ndarray, cols: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """(criteria, n, m): for the few pairs an explanation shows."""
    return np.stack(list(criteria(data, rows, cols, distance)))


def _factor_rows(data: MatchingData, settings: MatchingSettings, rows: np.ndarray) -> np.ndarray:
    """(n, criteria) factors of each mentee's programme."""
    per_programme = {PROJECT_BITS[p]: factors(settings, p) for p in PROGRAMMES}
    table = np.zeros((8, len(CRITERIA)), dtype=np.float64)  # indexed by the mentee's project bitmask
    for code in range(1, 8):
        table[code] = per_programme[code.bit_length() - 1]
    return table[data.mentees.projects[rows]].reshape(len(rows), len(CRITERIA))  # n may be 0


def contributions_of(data: MatchingData, settings: MatchingSettings, rows: np.ndarray,
                     values: Iterable[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    factor = _factor_rows(data, settings, rows)
    # One criterion at a time into reused buffers: full-size temporaries cost 1 GB at 5,000 × 1,000.
    out = np.empty((len(CRITERIA), *shape), dtype=np.int16)
    scaled = np.empty(shape, dtype=np.float64)
    for k, value in enumerate(values):
        np.multiply(value, factor[:, k, None], out=scaled)
        scaled += EPSILON
        np.floor(scaled, out=scaled)
        out[k] = scaled
    return out


def score_sums(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, cols: np.ndarray,
               distance: np.ndarray) -> np.ndarray:
    """(n, m) int32 scores, the sums of `contributions_of` without keeping the contributions (a batch
    keeps only the best candidates, explained later)."""
    factor = _factor_rows(data, settings, rows)
    total = np.zeros(distance.shape, dtype=np.float64)  # sums of whole thousandths: exact in float64
    scaled = np.empty(distance.shape, dtype=np.float64)
    for k, value in enumerate(criteria(data, rows, cols, distance)):
        np.multiply(value, factor[:, k, None], out=scaled)
        scaled += EPSILON
        np.floor(scaled, out=scaled)
        total += scaled
    return total.astype(np.int32)


def hard_reasons(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, cols: np.ndarray,
                 distance: np.ndarray) -> np.ndarray:
    e, t = data.mentees, data.mentors
    # Bits of one side only: a row vector OR a column vector (no consent = either side's consent is
    # not current today: never given, withdrawn or past its renewal day).
    per_mentor = (np.where(~data.active[cols], bit("mentor_inactive"), 0)
                  | np.where(data.remaining[cols] <= 0, bit("no_capacity"), 0)
                  | np.where(consent_current(t, cols, data.today), 0, bit("no_consent"))).astype(np.uint16)
    per_mentee = np.where(consent_current(e, rows, data.today), 0, bit("no_consent")).astype(np.uint16)
    reasons = per_mentee[:, None] | per_mentor[None, :]
    mine = e.employer[rows]
    if (with_employer := np.flatnonzero(mine >= 0)).size:
        same = mine[with_employer, None] == t.employer[cols][None, :]
        reasons[with_employer] |= np.where(same, bit("same_employer"), 0).astype(np.uint16)
    wanted = data.required_language[rows]
    if (asking := np.flatnonzero(wanted != -1)).size:
        language = np.maximum(wanted[asking], 0)
        words = t.languages[cols].T[language >> 6]  # (asking, m): the word holding each wanted language
        speaks = (words >> (language & 63).astype(np.uint64)[:, None]) & np.uint64(1) == 1
        speaks &= (wanted[asking] >= 0)[:, None]  # a language nobody listed: nobody speaks it
        reasons[asking] |= np.where(speaks, 0, bit("language")).astype(np.uint16)
    limit = e.reach_km[rows][:, None] + t.reach_km[cols][None, :]
    limit += settings.max_extra_km
    np.bitwise_or(reasons, np.uint16(bit("too_far")), out=reasons, where=distance > limit)  # nan compares False
    _sparse_reasons(data, rows, cols, reasons)
    return reasons


def _sparse_reasons(data: MatchingData, rows: np.ndarray, cols: np.ndarray, reasons: np.ndarray) -> None:
    """Per-pair lists (declined, declared conflicts, existing tandems): few mentees have any, so only
    theirs are looked at."""
    hits = np.flatnonzero(data.listed()[rows])
    if not hits.size:
        return
    mentor_row, employer, mentee_ids = data.mentors.row, data.mentors.employer, data.mentees.ids
    lists = (("declined", data.declined_mentors), ("declared_conflict", data.excluded_mentors),
             ("already_paired", data.partners()))
    col_of = {int(j): c for c, j in enumerate(cols)} if len(cols) < len(data.mentors.ids) else None
    theirs = employer[cols]

    def column(mentor_id: str) -> int | None:
        j = mentor_row.get(mentor_id)
        if j is None:
            return None
        return j if col_of is None else col_of.get(j)

    for r in hits.tolist():
        mentee_id = mentee_ids[int(rows[r])]
        for code, lists_of in lists:
            for mentor_id in lists_of.get(mentee_id, ()):
                if (c := column(mentor_id)) is not None:
                    reasons[r, c] |= bit(code)
        if excluded_employers := data.excluded_employers.get(mentee_id):
            excluded = theirs == excluded_employers[0]
            for other in excluded_employers[1:]:
                excluded |= theirs == other
            reasons[r, excluded] |= bit("declared_conflict")


def _chunks(n: int, m: int, cancel: Callable[[], bool] | None, step: Step | None) -> Iterator[slice]:
    """Row slices of about CHUNK_CELLS pairs; checks `cancel` before each and reports after each."""
    size = max(1, CHUNK_CELLS // max(m, 1))
    for start in range(0, n, size):
        if cancel is not None and cancel():
            raise Cancelled()
        yield slice(start, min(start + size, n))
        if step is not None:
            step(min(start + size, n), n)


def score_block(data: MatchingData, settings: MatchingSettings, rows: np.ndarray | None = None,
                cols: np.ndarray | None = None, *, step: Step | None = None,
                cancel: Callable[[], bool] | None = None) -> Block:
    """Every pair of `rows` × `cols`, a chunk of rows at a time (same integers as one big pass)."""
    rows = np.arange(len(data.mentees.ids)) if rows is None else np.asarray(rows, dtype=np.int64)
    cols = np.arange(len(data.mentors.ids)) if cols is None else np.asarray(cols, dtype=np.int64)
    n, m = len(rows), len(cols)
    table = _place_table(data, cols)
    block = Block(rows, cols, np.empty((len(CRITERIA), n, m), dtype=np.int16), np.empty((n, m), dtype=np.int32),
                  np.empty((n, m), dtype=np.uint16), np.empty((n, m), dtype=np.float64))
    for part in _chunks(n, m, cancel, step):
        these = rows[part]
        distance = block.distance[part] = _distance(data, these, cols, table)
        contributions = contributions_of(data, settings, these, criteria(data, these, cols, distance), distance.shape)
        block.contributions[:, part] = contributions
        contributions.sum(axis=0, dtype=np.int32, out=block.scores[part])
        block.reasons[part] = hard_reasons(data, settings, these, cols, distance)
    return block


def score_matrix(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, cols: np.ndarray, *,
                 cancel: Callable[[], bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores int32, possible bool), both (n, m): what the solver needs, 5 bytes a pair."""
    rows = np.asarray(rows, dtype=np.int64)
    scores = np.empty((len(rows), len(cols)), dtype=np.int32)
    possible = np.empty((len(rows), len(cols)), dtype=bool)
    table = _place_table(data, cols)
    for part in _chunks(len(rows), len(cols), cancel, None):
        distance = _distance(data, rows[part], cols, table)
        possible[part] = hard_reasons(data, settings, rows[part], cols, distance) == 0
        scores[part] = score_sums(data, settings, rows[part], cols, distance)
    return scores, possible


@dataclass
class Scan:
    """What a batch needs to know of every pair before scoring any: which can happen at all."""

    rows: np.ndarray  # positions (in the scanned rows) of mentees with at least one possible mentor
    cols: np.ndarray  # mentor indexes possible for at least one of them, ascending
    broken: np.ndarray  # (n, constraints) int32: for mentees with no possible mentor, how many break each


def open_mentors(data: MatchingData) -> np.ndarray:
    """Mentors whose own side allows a pair (active, a place left, consent): the others never can."""
    everyone = np.arange(len(data.mentors.ids))
    return np.flatnonzero(data.active & (data.remaining > 0) & consent_current(data.mentors, everyone, data.today))


def scan(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, *, step: Step | None = None,
         cancel: Callable[[], bool] | None = None) -> Scan:
    """Hard constraints of `rows` × the open mentors, a chunk at a time: the batch then scores only
    the possible mentees against the possible mentors, a small fraction of all pairs when most
    mentors are full. Mentees left with no possible mentor are checked against every mentor, to say
    which constraints rule them out."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = open_mentors(data)
    n, every = len(rows), len(data.mentors.ids)
    any_row = np.zeros(n, dtype=bool)
    any_col = np.zeros(len(cols), dtype=bool)
    if len(cols):
        table = _place_table(data, cols)
        # Chunks sized for every mentor, as the counts below: progress and stop checks come as often.
        for part in _chunks(n, every, cancel, _share(step, 0, 600)):
            these = rows[part]
            possible = hard_reasons(data, settings, these, cols, _distance(data, these, cols, table)) == 0
            any_row[part] = possible.any(axis=1)
            any_col |= possible.any(axis=0)
    broken = np.zeros((n, len(HARD_CONSTRAINTS)), dtype=np.int32)
    alone = np.flatnonzero(~any_row)
    everyone = np.arange(every)
    table = _place_table(data, everyone)
    for part in _chunks(len(alone), every, cancel, _share(step, 600, 1000)):
        these = alone[part]
        reasons = hard_reasons(data, settings, rows[these], everyone, _distance(data, rows[these], everyone, table))
        for k, constraint in enumerate(HARD_CONSTRAINTS):
            broken[these, k] = np.count_nonzero(reasons & np.uint16(1 << constraint.bit), axis=1)
    return Scan(np.flatnonzero(any_row), cols[any_col], broken)


def _share(step: Step | None, low: int, high: int) -> Step | None:
    """`step` for one part of a stage: its (done, total) mapped into low–high thousandths."""
    if step is None:
        return None
    return lambda done, total: step(low + (high - low) * done // max(total, 1), 1000)
