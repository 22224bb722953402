"""Tables of the hub database, the engine, migrations, and the one serialised write transaction.

The same tables run on PostgreSQL (production) and SQLite (a one-machine trial). JSON lives in Text
columns written with orjson, so both back ends store and return exactly the same bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import make_url

from .. import paths

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ID = 36  # a UUIDv7 string

# One row (id = 1): the hub's identity and the last feed seq. Every write transaction locks it first,
# so writes are serialised and seqs are handed out gap-free in commit order.
hub_state = Table(
    "hub_state", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("hub_id", String(ID), nullable=False),
    Column("last_seq", BigInteger, nullable=False),
)

# The hub's own certificate authority (one row, id = 1), made at the first enrollment.
hub_ca = Table(
    "hub_ca", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("key_pem", Text, nullable=False),
    Column("cert_pem", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

structures = Table(
    "structures", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

counsellors = Table(
    "counsellors", metadata,
    Column("id", String(ID), primary_key=True),
    Column("structure_id", String(ID), ForeignKey("structures.id"), nullable=False, index=True),
    Column("name", String(160), nullable=False),
    Column("email", String(254), nullable=False),
    Column("is_admin", Boolean(create_constraint=False), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

enroll_codes = Table(
    "enroll_codes", metadata,
    Column("id", String(ID), primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),  # SHA-256 hex of the normalised code
    Column("counsellor_id", String(ID), ForeignKey("counsellors.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Column("device_id", String(ID)),
)

devices = Table(
    "devices", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("counsellor_id", String(ID), ForeignKey("counsellors.id"), nullable=False),
    Column("structure_id", String(ID), ForeignKey("structures.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 hex of the bearer token
    Column("certificate_pem", Text, nullable=False),
    Column("cert_serial", String(40), nullable=False),
    Column("enrolled_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime),  # last push (pulls write nothing)
    Column("revoked_at", DateTime),
    Column("number", Integer),  # device_numbers number of the id it stamps with, once the hub knows it
)

# Current state of every synced record; `deleted` and `mentor_id` repeat fields for the scope and
# invariant queries. Versions and writers are stored compact (hub/numbers.py): `versions` is
# {compact stamp: [field, …]}, `writers` {device number: [field, …]}; the record's feed entry is built
# from this row when pulled (its feed row holds no copy of it).
records = Table(
    "records", metadata,
    Column("record_id", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("owner_structure_id", String(ID), ForeignKey("structures.id")),  # NULL for shared kinds
    Column("deleted", Boolean(create_constraint=False), nullable=False),
    Column("mentor_id", String(ID), index=True),  # tandems only
    Column("fields", Text, nullable=False),  # field -> value
    Column("versions", Text, nullable=False),  # HLC of the operation that last set a field -> its fields
    Column("writers", Text, nullable=False),  # number of the device that last set a field -> its fields
    Column("line_hash", String(64), nullable=False),  # SHA-256 of its summary line (protocol 5 summary)
    Column("updated_seq", BigInteger, nullable=False),
    Column("editor_structure_id", String(ID)),  # shared kinds: the structure that created it (hub/rights.py)
)
# line_hash: the protocol 5 summary reads the index alone (db/hub/versions/0005_summary_index.py)
Index("ix_records_scope", records.c.kind, records.c.owner_structure_id, records.c.deleted, records.c.line_hash)

# Every operation the hub applied (or kept as a conflict), so a batch sent twice is applied once.
applied_ops = Table(
    "applied_ops", metadata,
    Column("op_id", String(64), primary_key=True),
    Column("device_id", String(ID), nullable=False),
    Column("result", Text, nullable=False),  # the answer given, repeated verbatim
    Column("created_at", DateTime, nullable=False),
)

# The change feed devices pull. seq is assigned under the hub_state lock (strictly increasing in commit
# order). A record has one row, its current state: a change removes it and writes one with a new seq.
feed = Table(
    "feed", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(16), nullable=False),  # record | conflict | flag (field: older hubs)
    Column("owner_structure_id", String(ID)),  # NULL: every device sees it
    Column("kind", String(20)),
    Column("record_id", String(ID)),
    Column("payload", Text, nullable=False),  # the entry without its seq, as JSON ("" for a record: see records)
)
Index("ix_feed_owner_seq", feed.c.owner_structure_id, feed.c.seq)

# The hub's short number for every device id that appears in a stored stamp or as a writer, given on
# first use and never changed (hub/numbers.py): stamps are stored and served as `W.C.N`.
device_numbers = Table(
    "device_numbers", metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False, unique=True),
)

conflicts = Table(
    "conflicts", metadata,
    Column("id", String(ID), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("record_id", String(ID), nullable=False, index=True),
    Column("field", String(40), nullable=False),
    Column("conflict_type", String(40), nullable=False),
    Column("kept_value", Text),
    Column("kept_version", String(128)),
    Column("kept_device", String(ID)),
    Column("lost_value", Text),
    Column("lost_version", String(128)),
    Column("lost_device", String(ID)),
    Column("owner_structure_id", String(ID)),
    Column("op_id", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

flags = Table(
    "flags", metadata,
    Column("id", String(ID), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # seq of its first feed entry
    Column("type", String(40), nullable=False),
    Column("mentor_id", String(ID), nullable=False, index=True),
    Column("capacity", Integer, nullable=False),
    Column("tandems", Integer, nullable=False),
    Column("structures", Text, nullable=False),  # JSON list of the structures told
    Column("created_at", DateTime, nullable=False),
)

# Who pulled what (GDPR, hub/access_log.py): one row per sync of a device that delivered entries, kept
# 12 months. Ids, counts, times and cursors only, never a name or a value; no foreign key, so the log
# outlives nothing it names and costs no lock on the tables a pull reads.
access_log = Table(
    "access_log", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),  # UTC, the sync's first page
    Column("last_at", DateTime, nullable=False),  # UTC, its last page
    Column("device_id", String(ID), nullable=False),
    Column("counsellor_id", String(ID), nullable=False),
    Column("structure_id", String(ID), nullable=False),  # the device's structure
    Column("structures", Text, nullable=False),  # {owner structure id: entries of it delivered}, as JSON
    Column("records", Integer, nullable=False),  # record entries delivered (every kind)
    Column("entries", Integer, nullable=False),  # entries delivered (records, conflicts, flags)
    Column("pages", Integer, nullable=False),
    Column("cursor_from", BigInteger, nullable=False),
    Column("cursor_to", BigInteger, nullable=False),
    Column("more", Boolean(create_constraint=False), nullable=False),  # the last page said more were waiting
)
Index("ix_access_log_device_id_at", access_log.c.device_id, access_log.c.at)

# Erasures (hub/erasure.py): which person was erased, when, why, by which device, without anything
# personal. The record itself stays as a tombstone carrying the same marker (PROTOCOL.md, "Erasure").
erasures = Table(
    "erasures", metadata,
    Column("record_id", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("owner_structure_id", String(ID)),  # NULL for a mentor (the shared pool)
    Column("reason", String(40), nullable=False),
    Column("erased_on", String(10), nullable=False),  # ISO date of the marker
    Column("at", DateTime, nullable=False, index=True),  # UTC, when the hub applied it
    Column("device_id", String(ID), nullable=False),
    Column("counsellor_id", String(ID), nullable=False),
    Column("linked", Integer, nullable=False),  # tandems and meetings cleared with the person
)

# History of records (hub/history.py): one row per applied write but creations (a record's creation is
# its first stamp), {field: [old, new]}, who and when; emptied of values by an erasure. Served to the
# devices that may see the record (GET /v1/history), so every device shows the same history.
history = Table(
    "history", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("record_id", String(ID), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("op_id", String(128), nullable=False),
    Column("hlc", String(128), nullable=False),
    Column("action", String(12), nullable=False),
    Column("changes", Text, nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("counsellor_id", String(ID)),
    Column("at", DateTime, nullable=False),
)
Index("ix_history_record_id_id", history.c.record_id, history.c.id)

# Settings the hub's administrator sets and every device receives (GET /v1/rules): the retention
# rules (domain/retention.py) as JSON under the key "retention".
settings = Table(
    "settings", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Signed charters (hub/charters.py, PROTOCOL.md "Charters and attachments"): the metadata a device
# announced, never replaced, under the owner structure of its tandem. `seq` comes from the hub's one
# sequence (hub_state.last_seq) and is renewed when one of its files completes, so the devices of the
# structure learn it can be fetched. `seal` and the certificate come from the hub's own check of the
# sealed PDF (hub/blobs.py), NULL until it arrived.
charters = Table(
    "charters", metadata,
    # Keyed by structure: an id or a number taken by another structure (read off a PDF, a paper) never
    # blocks this structure's charter, and the verification page lists every charter of a number.
    Column("owner_structure_id", String(ID), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("tandem_id", String(ID), nullable=False, index=True),
    Column("number", String(9), nullable=False, index=True),  # « K7Q4-9XPM », as printed on every page
    Column("mode", String(10), nullable=False),  # screen | ink
    Column("template", String(80), nullable=False),
    Column("signed_on", String(10), nullable=False),
    Column("signed_place", String(200)),
    Column("created_at", String(40), nullable=False),  # ISO 8601 as the device sent it
    Column("self_signed", Boolean(create_constraint=False)),
    Column("device_id", String(ID), nullable=False),  # the device that announced it
    Column("received_at", DateTime, nullable=False),
    Column("seq", BigInteger, nullable=False, index=True),
    Column("attachments", Text, nullable=False),  # JSON list, as announced
    Column("seal", String(8)),  # hub | local, once the PDF's seal checked out at the hub
    Column("cert_serial", String(40)),  # hex, as devices.cert_serial
    Column("cert_sha256", String(64)),  # SHA-256 hex of the signer certificate (DER)
    Column("sealed_at", DateTime),  # the seal's signing time (UTC), from the PDF
)
Index("ix_charters_owner_seq", charters.c.owner_structure_id, charters.c.seq)
Index("uq_charters_owner_structure_id_number", charters.c.owner_structure_id, charters.c.number, unique=True)

# Files of charters, content-addressed per structure: the same digest under another structure is another
# blob, so knowing a digest gives no access to another structure's file (hub/blobs.py). Each device that
# announces a charter sends into an upload slot of its own (device_id): no other device can put a chunk
# into it, so a colleague's wrong chunks or claims never keep the real file off the hub. Once one slot
# is complete and checked, the file is at the hub: the others are emptied.
blobs = Table(
    "blobs", metadata,
    Column("owner_structure_id", String(ID), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("device_id", String(ID), primary_key=True),  # whose upload slot
    Column("size", BigInteger, nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("complete", Boolean(create_constraint=False), nullable=False),
    Column("completed_at", DateTime),
    Column("touched_at", DateTime, nullable=False),  # opened or last sent to: an idle slot stops counting
)

blob_chunks = Table(
    "blob_chunks", metadata,
    Column("owner_structure_id", String(ID), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("device_id", String(ID), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

HUB_TABLES = ("hub_state", "hub_ca", "structures", "counsellors", "enroll_codes", "devices", "records",
              "applied_ops", "feed", "conflicts", "flags", "device_numbers", "access_log",
              "erasures", "history", "settings", "charters", "blobs", "blob_chunks")


def utcnow() -> datetime:
    """Naive UTC: both back ends store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def normalize_url(db_url: str) -> str:
    """A bare file path means a SQLite file; its folder is created."""
    if "://" not in db_url:
        db_url = f"sqlite:///{Path(db_url).expanduser().resolve()}"
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("Le hub a besoin d’un fichier SQLite (pas d’une base en mémoire).")
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return db_url


def make_engine(db_url: str) -> Engine:
    url = normalize_url(db_url)
    engine = create_engine(url, pool_size=10, max_overflow=40, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; transactions begun by us, so a write can take BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver must not begin transactions on its own
        cursor = dbapi_conn.cursor()
        # secure_delete: what a write frees is overwritten, so an erased person's old values leave the file.
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL",
                       "secure_delete=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("hub_write") else "BEGIN")


# Alembic keeps its running migration in module-level proxies: two engines migrating at once in one
# process (a test starting a hub while another connects) would trample each other.
_migrate_lock = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Apply the hub's Alembic migrations (db/hub/) up to head."""
    from alembic import command
    from alembic.config import Config

    with _migrate_lock, engine.connect() as conn:
        conn.execution_options(hub_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":  # two hubs starting at once migrate one after the other
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7354221)")
            config = Config()
            config.set_main_option("script_location", str(paths.migrations_dir() / "hub"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


@contextmanager
def writing(engine: Engine) -> Iterator[tuple[Connection, int]]:
    """One write transaction holding the hub lock; yields (connection, last seq committed so far).

    PostgreSQL: SELECT … FOR UPDATE on the hub_state row; SQLite: BEGIN IMMEDIATE. Either way a
    second writer waits, so feed seqs are handed out strictly increasing in commit order (compaction
    removes superseded rows later): a puller never misses a seq that commits after a higher one.
    """
    with engine.connect() as conn:
        conn.execution_options(hub_write=True)
        with conn.begin():
            last_seq = conn.execute(
                select(hub_state.c.last_seq).where(hub_state.c.id == 1).with_for_update()
            ).scalar_one()
            yield conn, last_seq


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys). PostgreSQL gets COPY, five times faster than
    executemany for the thousands of feed entries of one push; elsewhere a plain executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


def last_seq(conn: Connection) -> int:
    return conn.execute(select(hub_state.c.last_seq).where(hub_state.c.id == 1)).scalar_one()


def hub_id(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(hub_state.c.hub_id).where(hub_state.c.id == 1)).scalar_one()
