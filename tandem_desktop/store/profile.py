"""Opening and creating a profile: lock, key, integrity and schema checks, then the Store."""

from __future__ import annotations

import contextlib
import hmac
import json
import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from ..domain.hlc import HybridClock
from ..domain.ids import new_id
from ..settings import Settings
from . import deferred, migrations, recovery
from .check import damaged_database_error, damaged_pages, verify_tandem_database
from .engine import make_engine, quiet_sqlcipher_logs, translated_errors
from .errors import CorruptDatabase, NoRecoveryCode, ProfileExists, ProfileMissing, StoreError, WrongRecoveryCode
from .files import create_private, ensure_private_dir, make_private
from .keys import (
    InvalidKeyMeta,
    KeyMeta,
    create_key,
    forget_key,
    key_check,
    load_key,
    new_passphrase_meta,
    put_key_in_keyring,
)
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
    # Set only on the Profile init_profile returns: the code to show once (it is stored nowhere).
    recovery_code: str | None = field(default=None, repr=False)
    opened_with: str = ""  # "keyring", "passphrase" or "recovery" (the code: offer to put the key back)

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
    """Create a new encrypted profile; refuses to touch an existing one.

    The returned Profile carries `recovery_code`, to show once. A failure leaves nothing behind: no
    key in the keyring, no database, no lock file, and no folder if this call made it."""
    if settings.profile_path.exists() or settings.database_path.exists():
        raise ProfileExists(settings.data_dir)
    made_folder = not settings.data_dir.exists()
    ensure_private_dir(settings.data_dir, parents=True)
    lock = ProfileLock(settings.lock_path)
    try:
        lock.acquire()
    except BaseException:
        _remove_if_empty(settings, made_folder)
        raise
    try:
        key, meta = create_key(new_id(), settings.passphrase, settings.kdf_log2_n, settings.use_keyring,
                               context=(settings.data_dir.name,))
        code = recovery.new_code()
        meta = replace(meta, recovery=recovery.wrap(key, code, meta.profile_id, settings.kdf_log2_n))
    except BaseException:
        _abandon(settings, lock, made_folder)
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
        forget_key(meta)
        for leftover in (settings.database_path, settings.database_path.with_name("tandem.db-wal"),
                         settings.database_path.with_name("tandem.db-shm"), settings.profile_path):
            leftover.unlink(missing_ok=True)
        _abandon(settings, lock, made_folder)
        raise
    lock.release()
    profile = open_profile(settings.with_recovery_code(None), today=today)
    profile.recovery_code = code
    return profile


def _abandon(settings: Settings, lock: ProfileLock, made_folder: bool) -> None:
    """After a failed init: the lock file goes (nothing else may hold a profile that was never made)."""
    lock.release()
    settings.lock_path.unlink(missing_ok=True)
    _remove_if_empty(settings, made_folder)


def _remove_if_empty(settings: Settings, made_folder: bool) -> None:
    if made_folder:
        with contextlib.suppress(OSError):  # not empty: something else lives there, leave it
            settings.data_dir.rmdir()


def read_meta(settings: Settings) -> KeyMeta:
    if not settings.profile_path.exists():
        raise ProfileMissing(settings.data_dir)
    try:
        return KeyMeta.load(settings.profile_path)
    except InvalidKeyMeta as exc:
        raise StoreError(
            f"Le fichier {settings.profile_path} contient des valeurs de dérivation invalides ({exc})\u00a0: "
            "il a été modifié ou endommagé, et sans lui la clé ne peut pas être retrouvée. Il n’a pas été modifié."
        ) from exc
    except (ValueError, TypeError, OSError, json.JSONDecodeError) as exc:
        raise StoreError(
            f"Le fichier {settings.profile_path} est illisible\u00a0: sans lui la clé ne peut pas être retrouvée. "
            "Il n’a pas été modifié."
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
        key, how = unlock_key(meta, settings)
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
    return Profile(settings, meta, key, engine, store, lock, opened_with=how)


def unlock_key(meta: KeyMeta, settings: Settings) -> tuple[bytes, str]:
    """The profile's key and how it was found: the recovery code when one is given, else the key
    source (keyring or passphrase). Used for the profile and for its backups (same key)."""
    if settings.recovery_code:
        if not meta.recovery:
            raise NoRecoveryCode()
        key = recovery.unwrap(meta.recovery, settings.recovery_code, meta.profile_id)
        return load_key_checked(meta, key), "recovery"
    return load_key(meta, settings.passphrase), meta.key_source


def load_key_checked(meta: KeyMeta, key: bytes) -> bytes:
    """A key obtained another way (the recovery code) must match the profile's check value."""
    if not hmac.compare_digest(key_check(key), meta.key_check):
        raise WrongRecoveryCode()
    return key


def new_recovery_code(profile: Profile) -> str:
    """Make a new recovery code for an open profile (an old profile had none; or the sheet is lost):
    the previous code stops working. Returns the code, to show once."""
    code = recovery.new_code()
    meta = replace(profile.meta, recovery=recovery.wrap(profile.key, code, profile.meta.profile_id,
                                                        profile.settings.kdf_log2_n))
    meta.save(profile.settings.profile_path)
    profile.meta = meta
    return code


def put_key_back(profile: Profile) -> None:
    """After opening with the recovery code: the key goes back to the keyring, so the next opening
    is the usual one. A passphrase profile switches to the keyring (its passphrase was forgotten).
    Raises LockedKeyring / KeyringUnreachable when the keyring cannot take it."""
    put_key_in_keyring(profile.meta.profile_id, profile.key)
    if profile.meta.key_source != "keyring":
        meta = replace(profile.meta, key_source="keyring", kdf_salt=None, kdf_log2_n=None, key_wrap=None)
        meta.save(profile.settings.profile_path)
        profile.meta = meta


def set_new_passphrase(profile: Profile, passphrase: str) -> None:
    """After opening with the recovery code (passphrase forgotten, or no keyring on this laptop any
    more): from now on `passphrase` opens the profile. The database and its backups keep their key,
    so the recovery code and the backups stay valid. WeakPassphrase if it is too easy to guess."""
    meta = new_passphrase_meta(profile.meta, profile.key, passphrase, profile.settings.kdf_log2_n,
                               context=(profile.settings.data_dir.name,))
    meta.save(profile.settings.profile_path)
    profile.meta = meta


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
    if deferred.DEFERRED_KEY in values:  # a first sync cut half-way left its list indexes to build
        with translated_errors(path), engine.begin() as conn:
            deferred.rebuild(conn)
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




def set_profile_aside(settings: Settings) -> Path:
    """Move a profile that can no longer be opened (key and recovery code both lost) out of the way,
    whole and untouched, so a new profile can be made in its place and filled again from the hub.
    Nothing is deleted: if the key turns up again, the folder set aside opens as before."""
    if not settings.data_dir.exists() or not any(settings.data_dir.iterdir()):
        raise ProfileMissing(settings.data_dir)
    lock = ProfileLock(settings.lock_path)
    lock.acquire()  # refuses while the profile is open in a window or a command
    lock.release()  # released before the move: Windows cannot rename a folder with an open file
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = settings.data_dir.with_name(f"{settings.data_dir.name}-mis-de-cote-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = settings.data_dir.with_name(f"{settings.data_dir.name}-mis-de-cote-{stamp}-{n}")
    os.replace(settings.data_dir, aside)
    return aside


__all__ = ["Path", "Profile", "init_profile", "open_profile", "profile_exists", "read_meta"]
