"""Opening and creating a profile: lock, key, integrity and schema checks, then the Store."""

from __future__ import annotations

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
from .engine import make_engine, quiet_sqlcipher_logs, translated_errors, verify_readable
from .errors import CorruptDatabase, ProfileExists, ProfileMissing, StoreError
from .keys import KeyMeta, create_key, forget_key, load_key
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
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key, meta = create_key(new_id(), settings.passphrase, settings.kdf_log2_n, settings.use_keyring)
    except BaseException:
        lock.release()
        raise
    try:
        engine = make_engine(settings.database_path, key)
        with translated_errors(settings.database_path), engine.begin() as conn:
            migrations.upgrade(conn)
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
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise StoreError(
            f"Le fichier {settings.profile_path} est illisible\u00a0: sans lui la clé ne peut pas être retrouvée. "
            "Il n'a pas été modifié."
        ) from exc


def open_profile(settings: Settings, today=date.today, *, max_page_count: int | None = None) -> Profile:  # type: ignore[no-untyped-def]
    """Open an existing profile: nothing on disk changes unless every check passed."""
    quiet_sqlcipher_logs()
    meta = read_meta(settings)
    if not settings.database_path.exists():
        raise CorruptDatabase(settings.database_path)
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key = load_key(meta, settings.passphrase)
        verify_readable(settings.database_path, key)
        engine = make_engine(settings.database_path, key, max_page_count=max_page_count)
        try:
            store = _prepare(settings, engine, key, today)
        except BaseException:
            engine.dispose()
            raise
    except BaseException:
        lock.release()
        raise
    return Profile(settings, meta, key, engine, store, lock)


def _prepare(settings: Settings, engine: Engine, key: bytes, today) -> Store:  # type: ignore[no-untyped-def]
    path = settings.database_path
    with translated_errors(path), engine.connect() as conn:
        behind = migrations.pending(conn)
        revision = migrations.current_revision(conn)
    if behind:
        if revision is not None:
            from .backup import export_copy

            settings.backups_dir.mkdir(exist_ok=True, mode=0o700)
            export_copy(engine, key, settings.backups_dir / f"avant-mise-a-jour-{revision}.db")
        with translated_errors(path), engine.begin() as conn:
            migrations.upgrade(conn)
    with translated_errors(path), engine.connect() as conn:
        values = dict(conn.execute(select(meta_table.c.key, meta_table.c.value)).all())
        stamp = last_stamp(conn)
    device_id = values.get("device_id")
    if not device_id:
        raise CorruptDatabase(path)
    # The offset from the computer's clock to the hub's (set at each sync) and the saved clock;
    # a saved clock beyond the bound (poisoned by a hostile stamp) is dropped by HybridClock.
    offset = values.get("sync_clock_offset_ms") or "0"
    clock = HybridClock(device_id, last=stamp, offset_ms=int(offset) if offset.lstrip("-").isdigit() else 0)
    return Store(engine, path, device_id, clock, today)


def wipe_profile_files(settings: Settings) -> None:
    """Remove a profile's files (used only after an explicit confirmation)."""
    for name in os.listdir(settings.data_dir):
        if name.startswith("tandem.db") or name == "profile.json":
            (settings.data_dir / name).unlink()


__all__ = ["Path", "Profile", "init_profile", "open_profile", "profile_exists", "read_meta"]
