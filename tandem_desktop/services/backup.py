"""Backing up and restoring a profile. Backups stay encrypted under the profile's own key.

A restore checks the file first (readable with this profile's key, same profile, known schema,
integrity), and only then swaps it in, keeping the previous database in the profile's backups/
folder. A refused or failed restore leaves the current database byte for byte as it was. The
profile must not be open while it is restored: the GUI closes its profile before calling
restore_profile, which takes the single-instance lock itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlcipher3

from ..settings import Settings
from ..store import migrations
from ..store.backup import backup_identity, check_backup, export_copy, replace_database
from ..store.check import full_check, latest_sound_backup
from ..store.engine import open_raw
from ..store.errors import CorruptDatabase, StoreError, restore_advice
from ..store.files import copy_private, create_private, ensure_private_dir, os_reason
from ..store.lock import ProfileLock
from ..store.profile import Profile, read_meta, unlock_key
from ..texts.french import NBSP


def known_revisions() -> set[str]:
    """Every schema revision this release knows (a backup from a later one is refused)."""
    return migrations.known_revisions()


def verify_backup(path: Path, key: bytes) -> None:
    """check_backup, with every kind of damage reported as one clear refusal."""
    unreadable = StoreError(
        f"{path} n’est pas une sauvegarde lisible de ce profil (fichier endommagé ou clé différente). "
        "Rien n’a été modifié."
    )
    try:
        check_backup(path, key, known_revisions())
        damage = full_check(path, key)  # every page's HMAC too: a backup is restored only whole
    except CorruptDatabase as exc:
        raise unreadable from exc
    except sqlcipher3.DatabaseError as exc:  # a damaged page further in the file (quick_check)
        raise unreadable from exc
    if damage.found:
        raise unreadable


def _profile_files(settings: Settings) -> set[Path]:
    db = settings.database_path
    return {db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), settings.profile_path}


def _is_profile_file(settings: Settings, target: Path) -> bool:
    """The database and its companions (-wal, -shm, -journal, .restoring…), profile.json, the lock."""
    if target in _profile_files(settings) or target == settings.lock_path:
        return True
    return target.parent == settings.data_dir and target.name.startswith(settings.database_path.name)


def _backup_target(settings: Settings, dest: str | os.PathLike[str]) -> Path:
    """Where the backup goes, refused (in French, before any work) if it cannot hold one."""
    target = Path(dest).expanduser().resolve()
    if _is_profile_file(settings, target):
        raise StoreError(f"{target} est un fichier du profil lui-même{NBSP}: choisissez un autre nom de sauvegarde.")
    if not target.parent.is_dir():
        raise StoreError(f"Dossier introuvable{NBSP}: {target.parent}. Aucune sauvegarde n’a été écrite.")
    if target.is_dir():
        raise StoreError(f"{target} est un dossier{NBSP}: donnez un nom de fichier pour la sauvegarde.")
    if target.exists() and not target.is_file():
        raise StoreError(f"{target} n’est pas un fichier ordinaire{NBSP}: choisissez un autre nom de sauvegarde.")
    return target


def refuse_if_damaged(profile: Profile) -> None:
    """StoreError if the open database fails the full check: a damaged copy must never replace good backups."""
    settings = profile.settings
    damage = full_check(settings.database_path, profile.key)
    if damage.found:
        found = latest_sound_backup(settings.backups_dir, profile.key, profile.meta.profile_id, known_revisions())
        advice = restore_advice(found.path, found.date_text) if found else restore_advice(None)
        raise StoreError(
            f"Sauvegarde refusée{NBSP}: la base du profil est endommagée. {' '.join(damage.lines())} "
            f"Aucune sauvegarde n’a été écrite, pour qu’une copie endommagée ne remplace pas une bonne. {advice}"
        )


def backup_profile(profile: Profile, dest: str | os.PathLike[str]) -> Path:
    """Write an encrypted, verified, private (0600) copy of the open profile's database to `dest`.

    The database is checked first (every page's HMAC, then SQLite's integrity_check).
    """
    target = _backup_target(profile.settings, dest)
    refuse_if_damaged(profile)
    staged = target.with_name(f".{target.name}.verifying")
    try:
        create_private(staged)
    except FileExistsError:
        staged.unlink()  # left by a backup killed half-way
        create_private(staged)
    except OSError as exc:
        raise StoreError(f"Impossible d’écrire dans {target.parent} ({os_reason(exc)}). "
                         "Aucune sauvegarde n’a été écrite.") from exc
    try:
        export_copy(profile.engine, profile.key, staged)
        verify_backup(staged, profile.key)
        os.replace(staged, target)
    except OSError as exc:
        raise StoreError(f"La sauvegarde {target} n’a pas pu être écrite ({os_reason(exc)}). "
                         "Aucune sauvegarde n’a été écrite.") from exc
    finally:
        staged.unlink(missing_ok=True)
    return target


AUTO_PREFIX = "auto-"


def automatic_backup(profile: Profile, *, keep: int = 3, every: timedelta = timedelta(days=1),
                     now: Callable[[], datetime] = datetime.now) -> Path | None:
    """The app's daily backup in backups/ (checked first, like every backup); keeps the `keep` newest.

    Returns the new file, or None when the newest automatic backup is younger than `every`.
    """
    folder = profile.settings.backups_dir
    autos = sorted(folder.glob(f"{AUTO_PREFIX}*.db")) if folder.is_dir() else []
    if autos and now() - datetime.fromtimestamp(autos[-1].stat().st_mtime) < every:
        return None
    ensure_private_dir(folder)
    target = backup_profile(profile, folder / f"{AUTO_PREFIX}{now():%Y%m%d-%H%M%S}.db")
    for old in sorted(folder.glob(f"{AUTO_PREFIX}*.db"))[:-keep]:
        old.unlink(missing_ok=True)
    return target


def _profile_id_of(path: Path, key: bytes) -> str | None:
    try:
        return backup_identity(path, key)[1]
    except sqlcipher3.DatabaseError:
        return None


def _checkpoint(database: Path, key: bytes) -> None:
    """Fold a WAL left by a crash into the database, so the copy kept aside is complete."""
    if not database.with_name(database.name + "-wal").exists():
        return
    with contextlib.suppress(sqlcipher3.DatabaseError):
        conn = open_raw(database, key)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def restore_profile(settings: Settings, src: str | os.PathLike[str]) -> Path:
    """Replace the profile's database by the backup `src`; returns where the previous one is kept."""
    backup = Path(src).expanduser().resolve()
    meta = read_meta(settings)
    database = settings.database_path
    if backup in _profile_files(settings):
        raise StoreError(f"{backup} est la base du profil elle-même, pas une sauvegarde. Rien n’a été modifié.")
    if not backup.is_file():
        raise StoreError(f"Fichier de sauvegarde introuvable\u00a0: {backup}. Rien n’a été modifié.")
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key, _ = unlock_key(meta, settings)  # the recovery code opens backups too: they share the key
        verify_backup(backup, key)
        if _profile_id_of(backup, key) != meta.profile_id:
            raise StoreError(f"{backup} est la sauvegarde d’un autre profil. Rien n’a été modifié.")
        if not database.exists():
            copy_private(backup, database.with_name(database.name + ".restoring"))
            os.replace(database.with_name(database.name + ".restoring"), database)
            return database
        _checkpoint(database, key)
        wal = database.with_name(database.name + "-wal")
        saved_wal = settings.backups_dir / ".wal-avant-restauration"
        if wal.exists() and wal.stat().st_size:
            ensure_private_dir(settings.backups_dir)
            copy_private(wal, saved_wal)
        try:
            kept = replace_database(database, backup, settings.backups_dir)
        except BaseException:
            database.with_name(database.name + ".restoring").unlink(missing_ok=True)
            if saved_wal.exists():  # put the WAL back if the swap stopped after removing it
                os.replace(saved_wal, wal) if not wal.exists() else saved_wal.unlink()
            raise
        if saved_wal.exists():
            os.replace(saved_wal, kept.with_name(kept.name + "-wal"))
        return kept
    finally:
        lock.release()
