"""Repair the stamps an older hub accepted without bound (issue 9): a device could push a version
stamped `9999999999999-99999-x`, and every device pulling it moved its clock there for good.

Every stored version that is malformed or more than 48 h ahead of the hub's clock is replaced by a
fresh hub stamp (one per distinct bad stamp, so a conflict still names the same version as its
record): in the records, their feed entries (the record gets a new entry and seq, so devices pull
the repaired versions), older `field` entries (dropped: the new record entry supersedes them), the
conflicts and their feed entries (rewritten in place). Self-contained on purpose: a migration must
not change with the code.

Revision ID: 0003_repair_stamps
Revises: 0002_record_editors
Create Date: 2026-11-27
"""

import re
import time
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0003_repair_stamps"
down_revision = "0002_record_editors"
branch_labels = None
depends_on = None

MAX_AHEAD_MS = 48 * 3_600_000
STAMP = re.compile(r"(\d{13})-(\d{5})-([A-Za-z0-9][A-Za-z0-9._:-]{0,99})")
PAGE = 2000


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class _Stamps:
    """Old bad stamp -> its replacement: `{now}-{counter}-repair`, increasing, never used by anyone."""

    def __init__(self, now_ms: int):
        self.now_ms = now_ms
        self.limit = now_ms + MAX_AHEAD_MS
        self.replaced: dict[str, str] = {}

    def sane(self, stamp: Any) -> bool:
        match = STAMP.fullmatch(stamp) if isinstance(stamp, str) else None
        return match is not None and int(match.group(1)) <= self.limit

    def fixed(self, stamp: Any) -> Any:
        if stamp is None or self.sane(stamp):
            return stamp
        key = str(stamp)
        if key not in self.replaced:
            n = len(self.replaced)
            self.replaced[key] = f"{self.now_ms + n // 100_000:013d}-{n % 100_000:05d}-repair"
        return self.replaced[key]


def _pages(conn: sa.Connection, sql: str, key: str, after: Any = "") -> Any:
    """Rows of `sql` (which filters on `:after` and orders by `key`) in keyset pages: no full load."""
    while True:
        rows = conn.execute(sa.text(sql), {"after": after, "limit": PAGE}).mappings().all()
        if not rows:
            return
        yield from rows
        after = rows[-1][key]


def upgrade() -> None:
    conn = op.get_bind()
    stamps = _Stamps(time.time_ns() // 1_000_000)
    last_seq = conn.execute(sa.text("SELECT last_seq FROM hub_state WHERE id = 1")).scalar_one()
    bad_records = [row for row in _pages(conn, "SELECT record_id, kind, owner_structure_id, fields, versions, "
                                               "updated_seq FROM records WHERE record_id > :after "
                                               "ORDER BY record_id LIMIT :limit", "record_id")
                   if not all(stamps.sane(v) for v in orjson.loads(row["versions"]).values())]
    for row in bad_records:
        versions = {name: stamps.fixed(version) for name, version in orjson.loads(row["versions"]).items()}
        fields = orjson.loads(row["fields"])
        last_seq += 1
        payload = _dumps({"type": "record", "kind": row["kind"], "record_id": row["record_id"],
                          "fields": {k: v for k, v in fields.items() if k != "deleted"}, "versions": versions,
                          "deleted": bool(fields.get("deleted"))})
        conn.execute(sa.text("DELETE FROM feed WHERE seq = :seq AND type = 'record'"), {"seq": row["updated_seq"]})
        conn.execute(sa.text("INSERT INTO feed (seq, type, owner_structure_id, kind, record_id, payload) "
                             "VALUES (:seq, 'record', :owner, :kind, :record_id, :payload)"),
                     {"seq": last_seq, "owner": row["owner_structure_id"], "kind": row["kind"],
                      "record_id": row["record_id"], "payload": payload})
        digest = row["record_id"] + "".join(f"|{name}={versions[name]}" for name in sorted(versions))
        conn.execute(sa.text("UPDATE records SET versions = :versions, digest_line = :digest, updated_seq = :seq "
                             "WHERE record_id = :record_id"),
                     {"versions": _dumps(versions), "digest": digest, "seq": last_seq, "record_id": row["record_id"]})
    stale_fields = [row["seq"] for row in _pages(conn, "SELECT seq, payload FROM feed WHERE type = 'field' AND "
                                                       "seq > :after ORDER BY seq LIMIT :limit", "seq", -1)
                    if not stamps.sane(orjson.loads(row["payload"]).get("version"))]
    for seq in stale_fields:
        conn.execute(sa.text("DELETE FROM feed WHERE seq = :seq"), {"seq": seq})
    _repair_conflicts(conn, stamps)
    conn.execute(sa.text("UPDATE hub_state SET last_seq = :seq WHERE id = 1"), {"seq": last_seq})


def _repair_conflicts(conn: sa.Connection, stamps: _Stamps) -> None:
    rows = [row for row in _pages(conn, "SELECT id, seq, kept_version, lost_version FROM conflicts WHERE id > :after "
                                        "ORDER BY id LIMIT :limit", "id")
            if not (stamps.sane(row["kept_version"] or "0000000000000-00000-x")
                    and stamps.sane(row["lost_version"] or "0000000000000-00000-x"))]
    for row in rows:
        kept, lost = stamps.fixed(row["kept_version"]), stamps.fixed(row["lost_version"])
        conn.execute(sa.text("UPDATE conflicts SET kept_version = :kept, lost_version = :lost WHERE id = :id"),
                     {"kept": kept, "lost": lost, "id": row["id"]})
        entry = conn.execute(sa.text("SELECT payload FROM feed WHERE seq = :seq AND type = 'conflict'"),
                             {"seq": row["seq"]}).scalar()
        if entry is None:
            continue
        payload = orjson.loads(entry)
        conflict = payload.get("conflict") or {}
        conflict["kept_version"], conflict["lost_version"] = kept, lost
        conn.execute(sa.text("UPDATE feed SET payload = :payload WHERE seq = :seq"),
                     {"payload": _dumps(payload), "seq": row["seq"]})


def downgrade() -> None:
    """Nothing to undo: the repaired stamps are valid ones."""
