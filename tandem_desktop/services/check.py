"""Checking a profile's database: `tandem check`, the app's check after opening, and before backups.

The checks themselves live in store/check.py; this module adds what the counsellor needs to act:
the latest sound backup in the profile's backups/ folder and how to restore it, in French.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import Settings
from ..store import migrations
from ..store.check import Damage, SoundBackup, full_check, latest_sound_backup, verify_tandem_database
from ..store.errors import CorruptDatabase, restore_advice
from ..store.keys import KeyMeta, load_key
from ..store.lock import ProfileLock
from ..store.profile import Profile, read_meta
from ..texts.french import NBSP


@dataclass(frozen=True)
class CheckReport:
    database: Path
    damage: Damage
    backup: SoundBackup | None  # the newest backup in backups/ that passes the same checks

    @property
    def ok(self) -> bool:
        return not self.damage.found

    def message(self) -> str:
        """What to tell the counsellor, in French: the verdict, the damage, and the way back."""
        if self.ok:
            latest = (f" Dernière sauvegarde saine dans backups/{NBSP}: {self.backup.path.name} du "
                      f"{self.backup.date_text}." if self.backup else "")
            return (f"La base {self.database} est intacte (contrôle des pages par SQLCipher et de la structure "
                    f"par SQLite).{latest}")
        advice = restore_advice(self.backup.path, self.backup.date_text) if self.backup else (
            "Aucune sauvegarde saine dans le dossier backups/ du profil. Restaurez une sauvegarde faite "
            "ailleurs (tandem restore FICHIER), ou repartez des données du hub si ce poste y est relié.")
        return (f"La base {self.database} est endommagée. {' '.join(self.damage.lines())} "
                f"Elle n’a pas été modifiée. {advice}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "database": str(self.database), "problems": self.damage.lines(),
            "damaged_pages": list(self.damage.pages), "structure": list(self.damage.structure),
            "latest_backup": ({"path": str(self.backup.path), "date": self.backup.taken.isoformat(timespec="seconds")}
                              if self.backup else None),
            "message": self.message(),
        }


def _report(settings: Settings, meta: KeyMeta, key: bytes, damage: Damage, *, find_backup: bool = True) -> CheckReport:
    backup = (latest_sound_backup(settings.backups_dir, key, meta.profile_id, migrations.known_revisions())
              if find_backup else None)
    return CheckReport(settings.database_path, damage, backup)


def check_open_profile(profile: Profile) -> CheckReport:
    """The full check of an open profile (read-only, on its own connection: safe beside the app's work).

    Backups are checked only when the database is damaged: the app asks this at every start.
    """
    damage = full_check(profile.settings.database_path, profile.key)
    return _report(profile.settings, profile.meta, profile.key, damage, find_backup=damage.found)


def check_profile(settings: Settings) -> CheckReport:
    """The full check of a profile that is not open, damaged or not: nothing is migrated or written."""
    meta = read_meta(settings)
    lock = ProfileLock(settings.lock_path)
    lock.acquire()
    try:
        key = load_key(meta, settings.passphrase)
        try:
            verify_tandem_database(settings.database_path, key)
        except CorruptDatabase:
            return _report(settings, meta, key, Damage(unreadable=True))
        return _report(settings, meta, key, full_check(settings.database_path, key))
    finally:
        lock.release()
