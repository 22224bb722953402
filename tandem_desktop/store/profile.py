"""Opening and creating a profile: lock, key, integrity and schema checks, then the Store."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from ..domain.hlc import HybridClock
from ..domain.ids import new_id
from ..settings import Settings
from . import migrations
from .check import damaged_database_error, damaged_pages, verify_tandem_database
from .engine import make_engine, quiet_sqlcipher_logs, translated_errors
from .errors import CorruptDatabase, ProfileExists, ProfileMissing, StoreError
from .files import create_private, ensure_private_dir, make_private
from .keys import InvalidKeyMeta, KeyMeta, create_key, forget_key, load_key
from .lock import ProfileLock
from .repository import Store, last_stamp
from .schema import meta_table


@dataclass
class Profile:
    """An open profile. Close it to release the database and the single-instance lock."""

    settings: Settings
    meta: KeyMeta
    key: bytes
    engine: Engine
    store: Store
    lock: ProfileLock

    @property
    def device_id(self) -> str:
        return self.store.device_id

    def close(self) -> None:
        self.engine.dispose()
        self.lock.release()

    def __enter__(self) -> Profile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def profile_exists(settings: Settings) -> bool:
    return settings.profile_path.exists()


def init_profile(settings: Settings, today=date.today) -> Profile:  # type: ignore[no-untyped-def]
    """Create a new encrypted profile; refuses to touch an existing one."""
    if settings.profile_path.exists() or settings.database_path.exists():
        raise ProfileExists(settings.data_dir)
    ensure_private_dir(settings.data_dir, parents=True)
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key, meta = create_key(new_id(), settings.passphrase, settings.kdf_log2_n, settings.use_keyring)
    except BaseException:
        lock.release()
        raise
    try:
        create_private(settings.database_path)  # 0600 before SQLite writes a page (its WAL takes the same mode)
        engine = make_engine(settings.database_path, key)
        with translated_errors(settings.database_path), engine.begin() as conn:
            migrations.upgrade(conn)  # the one place a schema is created: never over an existing file
        os.chmod(settings.database_path, 0o600)  # SQLite gives its -wal and -shm files the same mode
        with translated_errors(settings.database_path), engine.begin() as conn:
            conn.execute(meta_table.insert(), [
                {"key": "device_id", "value": new_id()},
                {"key": "profile_id", "value": meta.profile_id},
                {"key": "created_on", "value": today().isoformat()},
            ])
        engine.dispose()
        meta.save(settings.profile_path)
    except BaseException:
        lock.release()
        forget_key(meta)
        for leftover in (settings.database_path, settings.database_path.with_name("tandem.db-wal"),
                         settings.database_path.with_name("tandem.db-shm")):
            leftover.unlink(missing_ok=True)
        raise
    lock.release()
    return open_profile(settings, today=today)


def read_meta(settings: Settings) -> KeyMeta:
    if not settings.profile_path.exists():
        raise ProfileMissing(settings.data_dir)
    try:
        return KeyMeta.load(settings.profile_path)
    except InvalidKeyMeta as exc:
        raise StoreError(
            f"Le fichier {settings.profile_path} contient des valeurs de dérivation invalides ({exc})\u00a0: "
            "il a été modifié ou endommagé, et sans lui la clé ne peut pas être retrouvée. Il n'a pas été modifié."
        ) from exc
    except (ValueError, TypeError, OSError, json.JSONDecodeError) as exc:
        raise StoreError(
            f"Le fichier {settings.profile_path} est illisible\u00a0: sans lui la clé ne peut pas être retrouvée. "
            "Il n'a pas été modifié."
        ) from exc


def open_profile(settings: Settings, today=date.today, *, max_page_count: int | None = None) -> Profile:  # type: ignore[no-untyped-def]
    """Open an existing profile: nothing on disk changes unless every check passed.

    The checks include the HMAC of every page (0.3 s for 25,000 mentees, see store/check.py); the
    app runs SQLite's structural check in the background once its window is up.
    """
    quiet_sqlcipher_logs()
    meta = read_meta(settings)
    if not settings.database_path.exists():
        raise CorruptDatabase(settings.database_path)
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key = load_key(meta, settings.passphrase)
        _verify_database(settings, meta, key)
        engine = make_engine(settings.database_path, key, max_page_count=max_page_count)
        try:
            store = _prepare(settings, engine, key, today)
        except BaseException:
            engine.dispose()
            raise
    except BaseException:
        lock.release()
        raise
    _keep_private(settings)
    return Profile(settings, meta, key, engine, store, lock)


def _verify_database(settings: Settings, meta: KeyMeta, key: bytes) -> None:
    """CorruptDatabase, naming the latest sound backup, for a file that is not a sound Tandem database."""
    path = settings.database_path
    try:
        verify_tandem_database(path, key)
        if damaged_pages(path, key).found:
            raise CorruptDatabase(path)
    except CorruptDatabase:
        raise damaged_database_error(path, settings.backups_dir, key, meta.profile_id) from None


def _keep_private(settings: Settings) -> None:
    """Profiles made by earlier releases have 0644 backups and profile.json: tighten them (modes only)."""
    db = settings.database_path
    paths = [settings.data_dir, db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
             settings.profile_path, settings.lock_path, settings.backups_dir]
    if settings.backups_dir.is_dir():
        paths += [p for p in settings.backups_dir.iterdir() if p.is_file()]
    for path in paths:
        with contextlib.suppress(OSError):  # another owner, a read-only disk: not a reason to refuse
            make_private(path)


def _prepare(settings: Settings, engine: Engine, key: bytes, today) -> Store:  # type: ignore[no-untyped-def]
    path = settings.database_path
    with translated_errors(path), engine.connect() as conn:
        behind = migrations.pending(conn)
        revision = migrations.current_revision(conn)
    if revision is None:  # schema-less: migrating would build an empty profile over the file
        raise CorruptDatabase(path)
    if behind:
        from .backup import export_copy

        ensure_private_dir(settings.backups_dir)
        export_copy(engine, key, settings.backups_dir / f"avant-mise-a-jour-{revision}.db")
        with translated_errors(path), engine.begin() as conn:
            migrations.upgrade(conn)
    with translated_errors(path), engine.connect() as conn:
        values = dict(conn.execute(select(meta_table.c.key, meta_table.c.value)).all())
        stamp = last_stamp(conn)
    device_id = values.get("device_id")
    if not device_id:
        raise CorruptDatabase(path)
    return Store(engine, path, device_id, HybridClock(device_id, last=stamp), today)


def wipe_profile_files(settings: Settings) -> None:
    """Remove a profile's files (used only after an explicit confirmation)."""
    for name in os.listdir(settings.data_dir):
        if name.startswith("tandem.db") or name == "profile.json":
            (settings.data_dir / name).unlink()


__all__ = ["Path", "Profile", "init_profile", "open_profile", "profile_exists", "read_meta"]
