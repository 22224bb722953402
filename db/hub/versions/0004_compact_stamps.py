"""Compact stamps (protocol 5): every device id found in a stored stamp or writer gets a short number
(table `device_numbers`); records keep their versions as {`W.C.N`: [field, …]} and their writers as
{N: [field, …]}; a record keeps the SHA-256 of its summary line (`line_hash`, what the protocol 5
summary digests) instead of the line itself (`digest_line` dropped); a record's
feed row no longer copies the record (payload "", a pull joins the record row). A hub record shrinks
from about 10 KB to under 3 KB. Devices get the column `number` (the number of the id they stamp with,
once known).

Self-contained on purpose: a migration must not change with the code.

Revision ID: 0004_compact_stamps
Revises: 0003_repair_stamps
Create Date: 2026-12-02
"""

import hashlib
import re
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0004_compact_stamps"
down_revision = "0003_repair_stamps"
branch_labels = None
depends_on = None

STAMP = re.compile(r"(\d{13})-(\d{5})-([A-Za-z0-9][A-Za-z0-9._:-]{0,99})")
COMPACT = re.compile(r"(0|[1-9][0-9]{0,12})\.(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,8})")
PAGE = 2000


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _records(conn: sa.Connection, columns: str) -> Any:
    """Rows of records in keyset pages of record_id: no full load of a big hub."""
    after = ""
    while True:
        rows = conn.execute(sa.text(f"SELECT record_id, {columns} FROM records WHERE record_id > :after "
                                    "ORDER BY record_id LIMIT :limit"), {"after": after, "limit": PAGE}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


class _Numbers:
    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}

    def of(self, name: str) -> int:
        if name not in self.by_name:
            self.by_name[name] = len(self.by_name) + 1
        return self.by_name[name]


def upgrade() -> None:
    op.create_table(
        "device_numbers",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_device_numbers"),
        sa.UniqueConstraint("name", name="uq_device_numbers_name"),
    )
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.add_column("records", sa.Column("line_hash", sa.String(64), nullable=True))
    conn = op.get_bind()
    numbers = _Numbers()

    def compact(stamp: Any) -> str:
        match = STAMP.fullmatch(stamp) if isinstance(stamp, str) else None
        if match is None or len(match.group(3)) > 100:
            return str(stamp)
        return f"{int(match.group(1))}.{int(match.group(2))}.{numbers.of(match.group(3))}"

    for rows in _records(conn, "versions, writers"):
        updates = []
        for record_id, versions_text, writers_text in rows:
            versions: dict[str, list[str]] = {}
            full = orjson.loads(versions_text)
            line = record_id + "".join(f"|{name}={full[name]}" for name in sorted(full))
            for name, stamp in full.items():
                versions.setdefault(compact(stamp), []).append(name)
            writers: dict[str, list[str]] = {}
            for name, device in orjson.loads(writers_text).items():
                key = str(numbers.of(device)) if isinstance(device, str) and 0 < len(device) <= 100 else str(device)
                writers.setdefault(key, []).append(name)
            updates.append({"v": _dumps(versions), "w": _dumps(writers), "h": hashlib.sha256(line.encode()).hexdigest(),
                            "r": record_id})
        conn.execute(sa.text("UPDATE records SET versions = :v, writers = :w, line_hash = :h WHERE record_id = :r"),
                     updates)
    if numbers.by_name:
        conn.execute(sa.text("INSERT INTO device_numbers (number, name) VALUES (:n, :name)"),
                     [{"n": n, "name": name} for name, n in numbers.by_name.items()])
    conn.execute(sa.text("UPDATE feed SET payload = '' WHERE type = 'record'"))
    with op.batch_alter_table("records") as batch:
        batch.drop_column("digest_line")
        batch.alter_column("line_hash", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    conn = op.get_bind()
    names = dict(conn.execute(sa.text("SELECT number, name FROM device_numbers")).all())

    def full(stamp: str) -> str:
        match = COMPACT.fullmatch(stamp)
        if match is None or int(match.group(3)) not in names:
            return stamp
        return f"{int(match.group(1)):013d}-{int(match.group(2)):05d}-{names[int(match.group(3))]}"

    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("digest_line", sa.Text(), nullable=False, server_default=""))
    for rows in _records(conn, "kind, fields, versions, writers, updated_seq"):
        updates, payloads = [], []
        for record_id, kind, fields_text, versions_text, writers_text, seq in rows:
            versions = {name: full(stamp) for stamp, fields in orjson.loads(versions_text).items() for name in fields}
            writers = {name: names.get(int(key), key) if key.isdigit() else key
                       for key, fields in orjson.loads(writers_text).items() for name in fields}
            digest = record_id + "".join(f"|{name}={versions[name]}" for name in sorted(versions))
            updates.append({"v": _dumps(versions), "w": _dumps(writers), "d": digest, "r": record_id})
            fields = orjson.loads(fields_text)
            deleted = bool(fields.pop("deleted", False))
            payloads.append({"p": _dumps({"type": "record", "kind": kind, "record_id": record_id, "fields": fields,
                                          "versions": versions, "deleted": deleted}), "s": seq})
        conn.execute(sa.text("UPDATE records SET versions = :v, writers = :w, digest_line = :d "
                             "WHERE record_id = :r"), updates)
        conn.execute(sa.text("UPDATE feed SET payload = :p WHERE seq = :s AND type = 'record'"), payloads)
    with op.batch_alter_table("records") as batch:
        batch.alter_column("digest_line", existing_type=sa.Text(), server_default=None)
        batch.drop_column("line_hash")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("number")
    op.drop_table("device_numbers")
