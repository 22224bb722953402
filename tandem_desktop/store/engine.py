"""The SQLCipher engine: keyed connections, safe pragmas, and driver errors turned into French ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from .errors import CorruptDatabase, DiskFull, StoreError
from .search import SQL_FOLD, fold


def quiet_sqlcipher_logs() -> None:
    """SQLCipher logs failed decryptions to stderr; our French messages say it better. Process-wide."""
    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
    finally:
        conn.close()


def _raw_key(key: bytes) -> str:
    # SQLCipher's raw-key syntax skips its own PBKDF2: the key is already random or scrypt-derived.
    return f"x'{key.hex()}'"


def open_raw(path: Path, key: bytes, *, readonly: bool = False) -> sqlcipher3.Connection:
    """A plain sqlcipher3 connection, for checks, backups and benchmarks; `readonly` never writes the file."""
    if readonly:
        # mode=ro: no schema, journal-mode change or WAL checkpoint can reach the file. With no WAL
        # beside it (the profile is not open) the file is also opened immutable, so SQLite does not
        # leave an empty -wal and -shm behind; with one, it reads through it.
        wal = path.with_name(path.name + "-wal").exists()
        uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if wal else "&immutable=1")
        conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
    else:
        conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f'PRAGMA key = "{_raw_key(key)}"')
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def verify_readable(path: Path, key: bytes) -> None:
    """Raise CorruptDatabase if the file cannot be read with a key already known to be right."""
    conn = open_raw(path, key)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        raise CorruptDatabase(path) from exc
    finally:
        conn.close()


READ_ONLY = "tandem_read_only"  # execution option of connections that only read
WAL_CHECKPOINT_PAGES = 10_000  # 40 MB of 4 KiB pages
# Page cache of a connection, taken only as pages are read: a profile of 100,000 mentees (190 MB)
# keeps its lists' tables in it. At 64 MiB, reading a list in its order (the whole list after
# Ctrl+End) fetched rows from table pages all over a 100 MB table, and a third of them were read
# and decrypted again each time (2.0 s at 100,000 against 0.3 s at 25,000; 1.1–1.5 s with this).
CACHE_KIB = 262_144


def make_engine(path: Path, key: bytes, *, max_page_count: int | None = None) -> Engine:
    """An engine whose every connection is keyed, in WAL mode, with temp data kept in memory."""
    url = URL.create("sqlite+pysqlcipher", password=_raw_key(key), database=str(path))
    # QueuePool, not the dialect's default SingletonThreadPool: that one keys connections on Python
    # thread-local state and, past 5 threads, closes connections other threads still use. Worker
    # threads (Qt's thread pool gets a fresh Python thread state per job) would hit exactly that.
    # LIFO: the connection just given back is the next one lent, so one connection's cache is warm
    # (FIFO would lend each in turn, and fill a cache per connection).
    engine = create_engine(url, poolclass=QueuePool, pool_use_lifo=True, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _begin below)
        dbapi_conn.execute("PRAGMA temp_store = MEMORY")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        dbapi_conn.execute("PRAGMA busy_timeout = 5000")
        # Big writes (imports, demo) spill and re-encrypt fewer pages; big lists read fewer again.
        dbapi_conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        # A checkpoint per WAL_CHECKPOINT_PAGES written, not SQLite's 1,000: a first sync commits
        # its pages into the same index pages again and again, and each checkpoint copied (and
        # synced) them once more (a tenth of a first sync at 100,000 mentees).
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        if max_page_count:
            dbapi_conn.execute(f"PRAGMA max_page_count = {int(max_page_count)}")
        dbapi_conn.create_function(SQL_FOLD, 1, _sql_fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front, so two writers never deadlock half-way. A read
        # (READ_ONLY, see Store.reading) begins DEFERRED: in WAL mode it then never waits for a
        # writer (the window's lists used to stall behind every pulled page being stored).
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def _sql_fold(value: object) -> str | None:
    return None if value is None else fold(value if isinstance(value, str) else str(value))


@contextmanager
def translated_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's disk-full and corruption codes into messages for the counsellor."""
    try:
        yield
    except DBAPIError as exc:
        raise _translate(exc.orig, path) from exc
    except sqlcipher3.DatabaseError as exc:
        raise _translate(exc, path) from exc


def _translate(error: BaseException | None, path: Path) -> Exception:
    text = str(error).lower()
    if "full" in text:
        return DiskFull()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return CorruptDatabase(path)
    if "readonly" in text or "read-only" in text:
        return StoreError(f"Le dossier du profil {path.parent} est en lecture seule\u00a0: rien n’a été enregistré.")
    if "locked" in text or "busy" in text:
        return StoreError("La base est occupée par une autre opération\u00a0; réessayez dans un instant.")
    return error if isinstance(error, Exception) else StoreError(text)
