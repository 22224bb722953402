"""Encrypted backups and restore. A backup is a SQLCipher copy under the profile's own key."""

from __future__ import annotations

import os
import time
from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine

from .engine import _raw_key, open_raw, translated_errors
from .errors import CorruptDatabase, NewerSchema, StoreError
from .files import copy_private, create_private, ensure_private_dir


def export_copy(engine: Engine, key: bytes, dest: Path) -> Path:
    """Write a consistent encrypted copy to `dest` via a temporary file, so a failure leaves no half file.

    The temporary file is created 0600 before SQLite sees it (SQLite would create it with the
    umask's mode, and its journal takes the same mode), so the copy is private from its first byte.
    """
    dest = dest.resolve()
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    create_private(tmp)
    try:
        try:
            with translated_errors(dest), engine.connect() as conn:
                raw = conn.connection.driver_connection
                raw.execute(f"ATTACH DATABASE ? AS backup KEY \"{_raw_key(key)}\"", (str(tmp),))
                try:
                    raw.execute("SELECT sqlcipher_export('backup')")
                finally:
                    raw.execute("DETACH DATABASE backup")
        except sqlcipher3.Error as exc:  # what translated_errors has no message for
            raise StoreError(f"La copie chiffrée {dest} n’a pas pu être écrite ({exc}). "
                             "Aucune copie n’a été écrite.") from exc
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def check_backup(path: Path, key: bytes, known_revisions: set[str]) -> None:
    """Refuse a file that is not a readable backup of this profile, before anything is replaced."""
    if not path.is_file():
        raise StoreError(f"Fichier de sauvegarde introuvable\u00a0: {path}.")
    conn = open_raw(path, key)
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise StoreError(
                f"{path} n’est pas une sauvegarde lisible de ce profil (fichier endommagé ou clé différente). "
                "Rien n’a été modifié."
            ) from exc
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlcipher3.DatabaseError as exc:  # a damaged page further in the file
            raise CorruptDatabase(path) from exc
        if ok != "ok":
            raise CorruptDatabase(path)
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise CorruptDatabase(path) from exc
        if revision is None:
            raise CorruptDatabase(path)
        if revision[0] not in known_revisions:
            raise NewerSchema(revision[0])
    finally:
        conn.close()


def backup_identity(path: Path, key: bytes) -> tuple[str | None, str | None]:
    """(schema revision, profile id) of a database file readable with `key`; None for what is missing."""
    conn = open_raw(path, key, readonly=True)
    try:
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlcipher3.DatabaseError:
            revision = None
        try:
            owner = conn.execute("SELECT value FROM meta WHERE key = 'profile_id'").fetchone()
        except sqlcipher3.DatabaseError:
            owner = None
    finally:
        conn.close()
    return (revision[0] if revision else None), (owner[0] if owner else None)


def replace_database(database: Path, backup: Path, keep_dir: Path) -> Path:
    """Swap the backup in; the previous database is kept in `keep_dir`, never deleted."""
    ensure_private_dir(keep_dir)
    staged = database.with_name(database.name + ".restoring")
    copy_private(backup, staged)
    stem = f"avant-restauration-{time.strftime('%Y%m%d-%H%M%S')}"
    kept = keep_dir / f"{stem}.db"
    n = 1
    while kept.exists():  # two restores within one second keep both copies
        n += 1
        kept = keep_dir / f"{stem}-{n}.db"
    copy_private(database, kept)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    os.replace(staged, database)
    return kept
