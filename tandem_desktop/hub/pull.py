"""GET /v1/pull and GET /v1/summary: what a device may read, scoped to its structure.

A record's feed entry is its record row, joined at pull time (the feed keeps no second copy).
Protocol 5 answers splice the stored JSON as it is (fields, versions grouped by compact stamp) with
the table of the device numbers the page names; older protocols get full stamps, as before.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import Engine, Select, and_, select, union_all

from ..domain.digest import digest_line, digest_of, hashed_digest
from ..domain.kinds import KINDS
from .access_log import AccessLog, Delivered
from .db import dumps, feed, last_seq, loads, records
from .errors import bad_request
from .merge import DELETED, OWNED_KINDS, Actor
from .numbers import full_versions, numbers_of, stored_numbers

MAX_LIMIT = 1000
MSG_CURSOR = ("Curseur de synchronisation invalide (négatif, non numérique ou au-delà du dernier changement "
              "du hub).")


COMPACT = 5  # the first protocol served compact stamps and grouped versions
_COMPACT_KEY = re.compile(r'"[0-9]+\.[0-9]+\.([0-9]+)":')  # a compact stamp as a key of stored versions


def pull(engine: Engine, actor: Actor, cursor: int, limit: int, protocol: int,
         access: AccessLog | None = None) -> bytes:
    """The JSON answer: entries after `cursor` in seq order, the new cursor, and whether more wait.

    The last seq is read first and bounds the page: every seq up to it is committed (seqs are handed
    out under the write lock), so answering `cursor = last seq` when the page is not full skips
    nothing, and a device with nothing in scope still moves on. `access` logs what the page delivered,
    right after it was read (hub/access_log.py).
    """
    with engine.connect() as conn:
        last = last_seq(conn)
        if cursor > last:
            raise bad_request(MSG_CURSOR)
        rows = conn.execute(_page_query(actor, cursor, last, limit + 1, protocol)).all()
        page = _Page(rows[:limit])
        names = numbers_of(conn).names(conn, page.numbers)
    more = len(rows) > limit
    new_cursor = page.rows[-1].seq if more else last
    if access is not None:
        access.pulled(actor, cursor, new_cursor, more, page.delivered())
    if protocol >= COMPACT:
        entries = ",".join(page.compact())
        table = dumps({str(n): names[n] for n in sorted(page.numbers) if n in names})
        return (f'{{"entries":[{entries}],"cursor":{new_cursor},"more":{"true" if more else "false"},'
                f'"devices":{table}}}').encode()
    if protocol < 3:
        entries = ",".join(_field_entries(seq, payload) for seq, payload in page.full(names))
    else:
        entries = ",".join(f'{{"seq":{seq},{payload[1:]}' for seq, payload in page.full(names))
    return f'{{"entries":[{entries}],"cursor":{new_cursor},"more":{"true" if more else "false"}}}'.encode()


class _Page:
    """One page of feed rows; record entries come from their record row (the feed keeps no copy)."""

    def __init__(self, rows: list[Any]):
        self.rows = rows
        # The device numbers the page's stamps name, for its table: read from the stored JSON's keys
        # in one pass (parsing every record's versions took a third of a page's time).
        texts = "".join(row.versions for row in rows if row.type == "record" and row.versions is not None)
        self.numbers: set[int] = {int(n) for n in set(_COMPACT_KEY.findall(texts))}

    def delivered(self) -> Delivered:
        """What the page gives the device, for the access log (a record whose row is gone gives nothing)."""
        out = Delivered()
        for row in self.rows:
            if row.type != "record" or row.versions is not None:
                out.add(row.type, row.owner_structure_id)
        return out

    def compact(self) -> list[str]:
        """Protocol 5: the stored JSON spliced as it is (fields, grouped compact versions)."""
        out = []
        for row in self.rows:
            if row.type != "record":
                out.append(f'{{"seq":{row.seq},{row.payload[1:]}')
            elif row.versions is not None:
                out.append(f'{{"seq":{row.seq},"type":"record","kind":"{row.kind}","record_id":"{row.record_id}",'
                           f'"fields":{row.fields},"versions":{row.versions},'
                           f'"deleted":{"true" if row.deleted else "false"}}}')
        return out

    def full(self, names: dict[int, str]) -> list[tuple[int, str]]:
        """Protocols 1 to 4: (seq, entry JSON without its seq) with full stamps, as before protocol 5."""
        out = []
        for row in self.rows:
            if row.type != "record":
                out.append((row.seq, row.payload))
            elif row.versions is not None:
                fields = loads(row.fields)
                deleted = bool(fields.pop(DELETED, False))
                out.append((row.seq, dumps({"type": "record", "kind": row.kind, "record_id": row.record_id,
                                            "fields": fields,
                                            "versions": full_versions(loads(row.versions), names),
                                            "deleted": deleted})))
        return out


def _field_entries(seq: int, payload: str) -> str:
    """Protocols 1 and 2 know one entry per field: a record entry becomes one per field, same seq."""
    if not payload.startswith('{"type":"record"'):
        return f'{{"seq":{seq},{payload[1:]}'
    entry = loads(payload)
    fields, deleted = entry["fields"], entry["deleted"]
    return ",".join(dumps({"seq": seq, "type": "field", "kind": entry["kind"], "record_id": entry["record_id"],
                           "field": name, "value": deleted if name == DELETED else fields.get(name),
                           "version": version}) for name, version in entry["versions"].items())


def _page_query(actor: Actor, cursor: int, last: int, count: int, protocol: int) -> Select[Any]:
    """The next `count` entries in scope, each record entry with its record row. Shared and own
    entries are two index range scans merged (UNION ALL): an OR of the two would make the database
    sort everything after the cursor."""
    query = select(feed.c.seq, feed.c.type, feed.c.payload, feed.c.record_id, feed.c.owner_structure_id).where(
        feed.c.seq > cursor, feed.c.seq <= last)
    if protocol < 2:  # protocol 1 does not know flags
        query = query.where(feed.c.type != "flag")
    if actor.is_admin:
        merged = query.order_by(feed.c.seq).limit(count).subquery()
    else:
        parts = [query.where(owner).order_by(feed.c.seq).limit(count).subquery().select()
                 for owner in (feed.c.owner_structure_id.is_(None), feed.c.owner_structure_id == actor.structure_id)]
        merged = union_all(*parts).subquery()
    joined = merged.outerjoin(records, and_(merged.c.type == "record", records.c.record_id == merged.c.record_id))
    return (select(merged.c.seq, merged.c.type, merged.c.payload, merged.c.owner_structure_id, records.c.kind,
                   records.c.record_id, records.c.fields, records.c.versions, records.c.deleted)
            .select_from(joined).order_by(merged.c.seq).limit(count))


def parse_cursor(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise bad_request(MSG_CURSOR)
    return int(raw)


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_LIMIT
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_LIMIT):
        raise bad_request(f"Paramètre «\u00a0limit\u00a0» invalide\u00a0: un entier de 1 à {MAX_LIMIT}.")
    return int(raw)


class SummaryCache:
    """Summaries by (scope, last seq): every change moves the seq, so an entry never goes stale."""

    def __init__(self, size: int = 64):  # keys: (scope, seq), the scope marked "#" for protocol 5
        self._size = size
        self._items: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def summary(self, engine: Engine, actor: Actor, protocol: int = COMPACT) -> dict[str, Any]:
        """The device's scope as of feed position `seq`: the last seq and the records are read in one
        snapshot (one transaction, REPEATABLE READ on PostgreSQL), so a device compares it only
        once its cursor is that seq, never with a state the feed has already moved past. From
        protocol 5 the digests are over the records' stored line hashes (domain/digest.py); older
        protocols get the digest of the lines themselves, built from the records' versions."""
        hashed = protocol >= COMPACT
        scope = ("*" if actor.is_admin else actor.structure_id) + ("#" if hashed else "")
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                last = last_seq(conn)
                with self._lock:
                    if (scope, last) in self._items:
                        return self._items[(scope, last)]
                counts: dict[str, int] = {}
                digests: dict[str, str] = {}
                for kind in KINDS:
                    columns = (records.c.line_hash,) if hashed else (records.c.record_id, records.c.versions)
                    query = select(*columns).where(records.c.kind == kind, records.c.deleted.is_(False))
                    if kind in OWNED_KINDS and not actor.is_admin:
                        query = query.where(records.c.owner_structure_id == actor.structure_id)
                    if hashed:
                        hashes = [row[0] for row in conn.execute(query).all()]  # all(): not a fetch per row
                        counts[kind] = len(hashes)
                        digests[kind] = hashed_digest(hashes)
                        continue
                    lines = _digest_lines(conn, conn.execute(query).all())
                    counts[kind] = len(lines)
                    digests[kind] = digest_of(lines)
        answer = {"seq": last, "counts": counts, "digests": digests}
        with self._lock:
            self._items[(scope, last)] = answer
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return answer


def _digest_lines(conn: Any, rows: list[Any]) -> list[str]:
    """The sorted summary lines `record_id|field=version|…` (full stamps) of the records `rows`."""
    parsed = []
    numbers: set[int] = set()
    for record_id, versions_text in rows:
        versions, _, named = stored_numbers(versions_text, "{}")
        numbers |= named
        parsed.append((record_id, versions))
    names = numbers_of(conn).names(conn, numbers)
    lines = [digest_line(record_id, full_versions(versions, names)) for record_id, versions in parsed]
    lines.sort()
    return lines
