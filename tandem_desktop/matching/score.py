"""Scores of mentee × mentor pairs, vectorised: per-criterion values, integer contributions, reasons.

A contribution is floor(value × 1000 × weight / total weight), in thousandths; a score is the sum of
its contributions, so an explanation always adds up to its score exactly, and the same data gives
the same integers everywhere. `plain.py` computes the same numbers one pair at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .criteria import CRITERIA, PROGRAMMES, MatchingSettings, bit
from .features import PROJECT_BITS, MatchingData

EPSILON = 1e-9  # guards floor() against 0.7 × 1000 = 699.9999…
UNKNOWN = 0.5  # value of a criterion one side did not fill in: neither for nor against
WAITING_FULL_DAYS = 180.0
TRADE_LEVELS = (1.0, 0.7, 0.4, 0.3)  # same ROME code, family, domain, sector


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
    common = _popcount(mentee_bits[:, None, :], mentor_bits[None, :, :]).astype(np.float64)
    own = _popcount(mentee_bits).astype(np.float64)[:, None]
    theirs = _popcount(mentor_bits)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = common / own
    return np.where((own == 0) | (theirs == 0), UNKNOWN, share)


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


def _distance(data: MatchingData, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    a, b = data.mentees.place[rows], data.mentors.place[cols]
    if not len(data.places):
        return np.full((len(rows), len(cols)), np.nan)
    km = data.distances[np.maximum(a, 0)[:, None], np.maximum(b, 0)[None, :]]
    return np.where((a[:, None] >= 0) & (b[None, :] >= 0), km, np.nan)


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


def contributions_of(data: MatchingData, settings: MatchingSettings, rows: np.ndarray,
                     values: Iterable[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    codes = data.mentees.projects[rows]
    per_programme = {PROJECT_BITS[p]: factors(settings, p) for p in PROGRAMMES}
    factor = np.array([per_programme[int(c).bit_length() - 1] for c in codes],
                      dtype=np.float64).reshape(len(rows), len(CRITERIA))  # (n, K); n may be 0
    # One criterion at a time into reused buffers: full-size temporaries cost 1 GB at 5,000 × 1,000.
    out = np.empty((len(CRITERIA), *shape), dtype=np.int16)
    scaled = np.empty(shape, dtype=np.float64)
    for k, value in enumerate(values):
        np.multiply(value, factor[:, k, None], out=scaled)
        scaled += EPSILON
        np.floor(scaled, out=scaled)
        out[k] = scaled
    return out


def hard_reasons(data: MatchingData, settings: MatchingSettings, rows: np.ndarray, cols: np.ndarray,
                 distance: np.ndarray) -> np.ndarray:
    e, t = data.mentees, data.mentors
    n, m = len(rows), len(cols)
    reasons = np.zeros((n, m), dtype=np.uint16)
    reasons |= np.where(~data.active[cols], bit("mentor_inactive"), 0).astype(np.uint16)[None, :]
    consent = e.consent[rows][:, None] & t.consent[cols][None, :]
    reasons |= np.where(consent, 0, bit("no_consent")).astype(np.uint16)
    reasons |= np.where(data.remaining[cols] <= 0, bit("no_capacity"), 0).astype(np.uint16)[None, :]
    mine, theirs = e.employer[rows][:, None], t.employer[cols][None, :]
    reasons |= np.where((mine >= 0) & (mine == theirs), bit("same_employer"), 0).astype(np.uint16)
    wanted = data.required_language[rows]
    speaks = np.ones((n, m), dtype=bool)
    for r in np.nonzero(wanted != -1)[0]:
        language = int(wanted[r])
        speaks[r] = False if language < 0 else (t.languages[cols, language >> 6] >> np.uint64(language & 63)) & 1 == 1
    reasons |= np.where(speaks, 0, bit("language")).astype(np.uint16)
    limit = e.reach_km[rows][:, None] + t.reach_km[cols][None, :] + settings.max_extra_km
    reasons |= np.where(distance > limit, bit("too_far"), 0).astype(np.uint16)  # nan compares False
    _sparse_reasons(data, rows, cols, reasons)
    return reasons


def _sparse_reasons(data: MatchingData, rows: np.ndarray, cols: np.ndarray, reasons: np.ndarray) -> None:
    """Per-pair lists (declined, declared conflicts, existing tandems): few entries, a loop is fine."""
    col_of = {int(j): c for c, j in enumerate(cols)} if len(cols) < len(data.mentors.ids) else None
    mentor_row, employer = data.mentors.row, data.mentors.employer
    partners = data.partners()

    def column(mentor_id: str) -> int | None:
        j = mentor_row.get(mentor_id)
        if j is None:
            return None
        return j if col_of is None else col_of.get(j)

    for r, i in enumerate(rows):
        i = int(i)
        mentee_id = data.mentees.ids[i]
        lists = (("declined", data.declined_mentors[i]), ("declared_conflict", data.excluded_mentors[i]),
                 ("already_paired", partners.get(mentee_id, ())))
        for code, mentor_ids in lists:
            for mentor_id in mentor_ids:
                if (c := column(mentor_id)) is not None:
                    reasons[r, c] |= bit(code)
        if data.excluded_employers[i]:
            excluded = np.isin(employer[cols], list(data.excluded_employers[i]))
            reasons[r, excluded] |= bit("declared_conflict")


def score_block(data: MatchingData, settings: MatchingSettings, rows: np.ndarray | None = None,
                cols: np.ndarray | None = None) -> Block:
    rows = np.arange(len(data.mentees.ids)) if rows is None else np.asarray(rows, dtype=np.int64)
    cols = np.arange(len(data.mentors.ids)) if cols is None else np.asarray(cols, dtype=np.int64)
    distance = _distance(data, rows, cols)
    contributions = contributions_of(data, settings, rows, criteria(data, rows, cols, distance),
                                     (len(rows), len(cols)))
    scores = contributions.sum(axis=0, dtype=np.int32)
    reasons = hard_reasons(data, settings, rows, cols, distance)
    return Block(rows, cols, contributions, scores, reasons, distance)
