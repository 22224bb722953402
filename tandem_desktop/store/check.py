"""Is this database file sound? Three depths, from every open to `tandem check`.

- `verify_tandem_database`, at every open, before anything may write: the file is not empty, its
  first page decrypts, and it holds a Tandem schema (an Alembic revision and this device's id). A
  file that fails is refused as it is: it is never migrated or "repaired" into an empty profile.
- `damaged_pages`: SQLCipher's `cipher_integrity_check`, the HMAC of every page of the file (a page
  changed by a disk fault or by hand fails it). It reads the whole file: about 0.3 s for a profile of
  25,000 mentees (77 MB); run at every open, by the command line and the app alike.
- `full_check`: the pages, then SQLite's `integrity_check` (b-trees, indexes that agree with their
  tables, the free list), about 0.65 s more on the same profile: `tandem check`, the app after
  opening, and before every backup.

Connections here are read-only (SQLite's mode=ro): checking never changes the file. Reports carry
page numbers and SQLite's structural messages (table and index names), never record content.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlcipher3

from .engine import open_raw
from .errors import CorruptDatabase

_HMAC_FAILURE = re.compile(r"HMAC verification failed for page (\d+)")
_MAX_MESSAGES = 20


@dataclass(frozen=True)
class Damage:
    """What a check found; empty means sound."""

    pages: tuple[int, ...] = ()  # pages whose HMAC fails
    structure: tuple[str, ...] = ()  # SQLite's integrity_check messages, or the error that stopped it
    other: tuple[str, ...] = field(default=())  # anything else cipher_integrity_check said (size…)
    unreadable: bool = False  # empty, first page undecipherable, or no Tandem schema

    @property
    def found(self) -> bool:
        return bool(self.unreadable or self.pages or self.structure or self.other)

    def lines(self) -> list[str]:
        """The damage in French, one line per kind, short enough for a message box."""
        out = []
        if self.unreadable:
            out.append("Le fichier n’est pas une base Tandem lisible (vide, absent, première page indéchiffrable "
                       "ou schéma manquant).")
        if self.pages:
            shown = ", ".join(str(p) for p in self.pages[:10]) + (" …" if len(self.pages) > 10 else "")
            out.append(f"{len(self.pages)} page(s) ne passent pas le contrôle d’authenticité de SQLCipher "
                       f"(HMAC)\u00a0: {shown}.")
        if self.other:
            out.append(f"Fichier incomplet ou de taille incohérente\u00a0: {self.other[0]}.")
        if self.structure:
            out.append(f"{len(self.structure)} incohérence(s) dans la structure de la base (integrity_check "
                       f"de SQLite), dont\u00a0: {self.structure[0]}.")
        return out


def verify_tandem_database(path: Path, key: bytes) -> None:
    """CorruptDatabase unless `path` is a readable Tandem database under `key` (already known right)."""
    try:
        if path.stat().st_size == 0:
            raise CorruptDatabase(path)
        conn = open_raw(path, key, readonly=True)
    except (OSError, sqlcipher3.DatabaseError) as exc:
        raise CorruptDatabase(path) from exc
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "meta"} <= tables:
            raise CorruptDatabase(path)
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        device = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
        if not revision or not revision[0] or not device or not device[0]:
            raise CorruptDatabase(path)
    except sqlcipher3.DatabaseError as exc:
        raise CorruptDatabase(path) from exc
    finally:
        conn.close()


def _cipher_check(path: Path, key: bytes) -> tuple[set[int], list[str]]:
    conn = open_raw(path, key, readonly=True)
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    finally:
        conn.close()
    pages = {int(m.group(1)) for row in rows if (m := _HMAC_FAILURE.search(row))}
    return pages, [row for row in rows if not _HMAC_FAILURE.search(row)]


def damaged_pages(path: Path, key: bytes) -> Damage:
    """Pages failing their HMAC. Failures are read twice: a page a checkpoint was rewriting while the
    first pass read it (torn read) passes the second time; real damage fails both."""
    try:
        pages, other = _cipher_check(path, key)
        if pages or other:
            again, other_again = _cipher_check(path, key)
            pages &= again
            other = [row for row in other if row in other_again]
    except sqlcipher3.DatabaseError as exc:
        return Damage(structure=(str(exc),))
    return Damage(pages=tuple(sorted(pages)), other=tuple(other[:_MAX_MESSAGES]))


def _structure_check(path: Path, key: bytes) -> tuple[str, ...]:
    conn = open_raw(path, key, readonly=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlcipher3.DatabaseError as exc:  # a page so damaged that the check itself stops
        return (str(exc),)
    finally:
        conn.close()
    messages = [line for (text,) in rows for line in str(text).splitlines() if line and line != "ok"]
    return tuple(line for line in messages if not line.startswith("*** in database"))[:_MAX_MESSAGES]


def full_check(path: Path, key: bytes) -> Damage:
    """Every page's HMAC, then (if they all pass) SQLite's structural check.

    After an HMAC failure the structural check is skipped: SQLCipher then fails every later read on
    that connection, so its report would only repeat the same damage at length.
    """
    pages = damaged_pages(path, key)
    if pages.found:
        return pages
    return Damage(structure=_structure_check(path, key))


@dataclass(frozen=True)
class SoundBackup:
    path: Path
    taken: datetime

    @property
    def date_text(self) -> str:
        return self.taken.strftime("%d/%m/%Y à %H:%M")


def latest_sound_backup(backups_dir: Path, key: bytes, profile_id: str,
                        known_revisions: set[str]) -> SoundBackup | None:
    """The newest backup in `backups_dir` that passes the full check and belongs to this profile."""
    from .backup import backup_identity

    try:
        candidates = [p for p in backups_dir.iterdir() if p.suffix == ".db" and p.is_file()]
    except OSError:
        return None
    for candidate in sorted(candidates, key=_mtime, reverse=True):
        try:
            if full_check(candidate, key).found:
                continue
            revision, owner = backup_identity(candidate, key)
        except (OSError, sqlcipher3.Error):
            continue
        if revision in known_revisions and owner == profile_id:
            return SoundBackup(candidate, datetime.fromtimestamp(_mtime(candidate)))
    return None


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def damaged_database_error(database: Path, backups_dir: Path, key: bytes, profile_id: str) -> CorruptDatabase:
    """The refusal to show for a damaged `database`, naming the latest sound backup to restore."""
    from .migrations import known_revisions

    found = latest_sound_backup(backups_dir, key, profile_id, known_revisions())
    if found is None:
        return CorruptDatabase(database)
    return CorruptDatabase(database, found.path, found.date_text)
