"""The access log (GDPR): which device received which structures' records, when, and how many.

One row per sync, not per record: a pull page that delivered at least one entry is written right
after the page was read, in its own short transaction, and the next page of the same sync (the
previous page answered `more`, this one starts at its cursor, within 5 minutes) is added to that row.
Ids, counts, times and cursors only, never a name or a value. Rows older than 12 months are deleted:
a bounded batch at most once a minute by the pull path, all of them at the hub's start and before
`tandem-hub audit` reads. GET /v1/summary is not logged: it delivers counts and hashes, no record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, or_, select, update

from ..texts.french import NBSP
from . import db
from .db import access_log, devices, dumps, loads
from .errors import AdminError
from .merge import Actor

MERGE_WINDOW = timedelta(minutes=5)  # the next page of one sync comes within this of the previous
PRUNE_EVERY = timedelta(minutes=1)
PRUNE_BATCH = 1000  # rows deleted at most by one pull's prune: a write stays cheap

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The log's clock (naive UTC, as the hub stores times); tests replace it to age rows."""
    return db.utcnow()


def cutoff(now: datetime) -> datetime:
    """Twelve calendar months before `now`: older rows are deleted (29 February gives 28 February)."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:
        return now.replace(year=now.year - 1, day=28)


@dataclass
class Delivered:
    """What one pull page gave the device: its entries, its record entries, entries per owner."""

    entries: int = 0
    records: int = 0
    structures: dict[str, int] = field(default_factory=dict)  # owner structure id -> its entries

    def add(self, entry_type: str, owner: str | None) -> None:
        self.entries += 1
        self.records += entry_type in ("record", "field")
        if owner is not None:
            self.structures[owner] = self.structures.get(owner, 0) + 1


def prune(conn: Connection, now: datetime, limit: int | None = PRUNE_BATCH) -> int:
    """Delete rows older than 12 months (the oldest `limit` of them at most); how many went."""
    old = select(access_log.c.id).where(access_log.c.at < cutoff(now)).order_by(access_log.c.at)
    if limit is not None:
        old = old.limit(limit)
    return conn.execute(delete(access_log).where(access_log.c.id.in_(old.scalar_subquery()))).rowcount


def prune_all(engine: Engine, now: datetime | None = None) -> int:
    """Every expired row, in bounded batches (each its own short write transaction)."""
    now = now or utcnow()
    total = 0
    while True:
        with engine.connect() as conn:
            conn.execution_options(hub_write=True)
            with conn.begin():
                gone = prune(conn, now)
        total += gone
        if gone < PRUNE_BATCH:
            return total


class AccessLog:
    """The pull path's writer. Never fails a pull: a write that fails is reported in the hub's log
    (French, for its administrator) and the device gets its page all the same."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None):
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self._pruned_at: datetime | None = None

    def now(self) -> datetime:
        return (self._clock or utcnow)()

    def start(self) -> None:
        """At the hub's start: rows that expired while it was stopped go now."""
        try:
            prune_all(self._engine, self.now())
            self._pruned_at = self.now()
        except Exception:
            logger.exception(f"Journal des accès{NBSP}: purge des lignes de plus de 12 mois impossible.")

    def pulled(self, actor: Actor, cursor_from: int, cursor_to: int, more: bool, delivered: Delivered) -> None:
        """Log one pull page that delivered entries (an empty page is not an access)."""
        if delivered.entries == 0:
            return
        try:
            self._write(actor, cursor_from, cursor_to, more, delivered, self.now())
        except Exception:  # the log must never cost a device its page
            logger.exception(f"Journal des accès{NBSP}: écriture impossible (appareil {actor.device_id}).")

    def _prune_due(self, now: datetime) -> bool:
        with self._lock:
            if self._pruned_at is not None and timedelta(0) <= now - self._pruned_at < PRUNE_EVERY:
                return False
            self._pruned_at = now
            return True

    def _write(self, actor: Actor, cursor_from: int, cursor_to: int, more: bool, delivered: Delivered,
               now: datetime) -> None:
        with self._engine.connect() as conn:
            conn.execution_options(hub_write=True)  # SQLite: BEGIN IMMEDIATE, as it reads then writes
            with conn.begin():
                if not _merged(conn, actor, cursor_from, cursor_to, more, delivered, now):
                    conn.execute(access_log.insert().values(
                        at=now, last_at=now, device_id=actor.device_id, counsellor_id=actor.counsellor_id,
                        structure_id=actor.structure_id, structures=dumps(dict(sorted(delivered.structures.items()))),
                        records=delivered.records, entries=delivered.entries, pages=1, cursor_from=cursor_from,
                        cursor_to=cursor_to, more=more))
                if self._prune_due(now) and prune(conn, now) == PRUNE_BATCH:
                    self._pruned_at = None  # more are waiting: the next write prunes again


def _merged(conn: Connection, actor: Actor, cursor_from: int, cursor_to: int, more: bool, delivered: Delivered,
            now: datetime) -> bool:
    """Add this page to the device's last row when it is the next page of the same sync."""
    last = conn.execute(select(access_log).where(access_log.c.device_id == actor.device_id)
                        .order_by(access_log.c.at.desc(), access_log.c.id.desc()).limit(1)).first()
    if (last is None or not last.more or last.cursor_to != cursor_from
            or not timedelta(0) <= now - last.last_at <= MERGE_WINDOW):
        return False
    structures: dict[str, int] = loads(last.structures)
    for owner, count in delivered.structures.items():
        structures[owner] = structures.get(owner, 0) + count
    # The pages guard: a concurrent page of the same device that merged first wins, this one gets a row.
    done = conn.execute(update(access_log).where(access_log.c.id == last.id, access_log.c.pages == last.pages,
                                                 access_log.c.cursor_to == cursor_from).values(
        last_at=now, structures=dumps(dict(sorted(structures.items()))), records=last.records + delivered.records,
        entries=last.entries + delivered.entries, pages=last.pages + 1, cursor_to=cursor_to, more=more))
    return done.rowcount == 1


# -- reading (tandem-hub audit) -------------------------------------------------------------------------

MSG_DATE = "Date invalide{nbsp}: «{nbsp}{text}{nbsp}» (attendu AAAA-MM-JJ ou AAAA-MM-JJTHH:MM, en UTC)."


def parse_date(text: str, *, end: bool = False) -> datetime:
    """A date or a date and time, UTC unless it says otherwise, as naive UTC. A bare date as an end
    means the whole day (up to its last microsecond)."""
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            start = datetime(day.year, day.month, day.day)
            return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AdminError(MSG_DATE.format(nbsp=NBSP, text=text)) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def read(engine: Engine, since: datetime, until: datetime | None = None, device_id: str | None = None,
         structure_id: str | None = None) -> list[dict[str, Any]]:
    """The rows begun between `since` and `until` (inclusive), oldest first, after deleting the
    expired ones; `structure_id`: rows of its devices or that delivered its records."""
    if until is not None and until < since:
        raise AdminError("La fin de la période (--until) précède son début (--since).")
    prune_all(engine, utcnow())
    query = select(access_log).where(access_log.c.at >= since).order_by(access_log.c.at, access_log.c.id)
    if until is not None:
        query = query.where(access_log.c.at <= until)
    if device_id is not None:
        query = query.where(access_log.c.device_id == device_id)
    if structure_id is not None:
        pattern = '%"' + structure_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
        query = query.where(or_(access_log.c.structure_id == structure_id,
                                access_log.c.structures.like(pattern, escape="\\")))
    with engine.connect() as conn:
        if device_id is not None and conn.execute(
                select(devices.c.id).where(devices.c.id == device_id)).first() is None:
            raise AdminError(f"Appareil inconnu{NBSP}: «{NBSP}{device_id}{NBSP}».")
        rows = conn.execute(query).all()
    out = []
    for row in rows:
        structures = loads(row.structures)
        if structure_id is not None and row.structure_id != structure_id and structure_id not in structures:
            continue  # (LIKE matched inside another id: never for hub ids, kept exact all the same)
        out.append({"id": row.id, "at": iso(row.at), "last_at": iso(row.last_at), "device_id": row.device_id,
                    "counsellor_id": row.counsellor_id, "structure_id": row.structure_id, "structures": structures,
                    "records": row.records, "entries": row.entries, "pages": row.pages,
                    "cursor_from": row.cursor_from, "cursor_to": row.cursor_to})
    return out
