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
import shutil
from pathlib import Path

import sqlcipher3
from alembic.script import ScriptDirectory

from ..settings import Settings
from ..store import migrations
from ..store.backup import check_backup, export_copy, replace_database
from ..store.engine import open_raw
from ..store.errors import CorruptDatabase, StoreError
from ..store.lock import ProfileLock
from ..store.profile import Profile, read_meta, unlock_key


def known_revisions() -> set[str]:
    """Every schema revision this release knows (a backup from a later one is refused)."""
    script = ScriptDirectory.from_config(migrations.alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def verify_backup(path: Path, key: bytes) -> None:
    """check_backup, with every kind of damage reported as one clear refusal."""
    unreadable = StoreError(
        f"{path} n'est pas une sauvegarde lisible de ce profil (fichier endommagé ou clé différente). "
        "Rien n'a été modifié."
    )
    try:
        check_backup(path, key, known_revisions())
    except CorruptDatabase as exc:
        raise unreadable from exc
    except sqlcipher3.DatabaseError as exc:  # a damaged page further in the file (quick_check)
        raise unreadable from exc


def _profile_files(settings: Settings) -> set[Path]:
    db = settings.database_path
    return {db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), settings.profile_path}


def backup_profile(profile: Profile, dest: str | os.PathLike[str]) -> Path:
    """Write an encrypted, verified copy of the open profile's database to `dest`."""
    target = Path(dest).expanduser().resolve()
    if target in _profile_files(profile.settings):
        raise StoreError(f"{target} est un fichier du profil lui-même\u00a0: choisissez un autre nom de sauvegarde.")
    if not target.parent.is_dir():
        raise StoreError(f"Dossier introuvable\u00a0: {target.parent}. Aucune sauvegarde n'a été écrite.")
    if target.is_dir():
        raise StoreError(f"{target} est un dossier\u00a0: donnez un nom de fichier pour la sauvegarde.")
    staged = target.with_name(f".{target.name}.verifying")
    try:
        export_copy(profile.engine, profile.key, staged)
        verify_backup(staged, profile.key)
        os.replace(staged, target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return target


def _profile_id_of(path: Path, key: bytes) -> str | None:
    conn = open_raw(path, key)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'profile_id'").fetchone()
    except sqlcipher3.DatabaseError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


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
        raise StoreError(f"{backup} est la base du profil elle-même, pas une sauvegarde. Rien n'a été modifié.")
    if not backup.is_file():
        raise StoreError(f"Fichier de sauvegarde introuvable\u00a0: {backup}. Rien n'a été modifié.")
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key, _ = unlock_key(meta, settings)  # the recovery code opens backups too: they share the key
        verify_backup(backup, key)
        if _profile_id_of(backup, key) != meta.profile_id:
            raise StoreError(f"{backup} est la sauvegarde d'un autre profil. Rien n'a été modifié.")
        if not database.exists():
            shutil.copyfile(backup, database.with_name(database.name + ".restoring"))
            os.replace(database.with_name(database.name + ".restoring"), database)
            return database
        _checkpoint(database, key)
        wal = database.with_name(database.name + "-wal")
        saved_wal = settings.backups_dir / ".wal-avant-restauration"
        if wal.exists() and wal.stat().st_size:
            settings.backups_dir.mkdir(exist_ok=True, mode=0o700)
            shutil.copyfile(wal, saved_wal)
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
