"""Encrypted backups and restore: verified before anything is replaced, the previous base kept."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tandem_desktop.services.backup import backup_profile, known_revisions, restore_profile
from tandem_desktop.store import migrations
from tandem_desktop.store.engine import open_raw
from tandem_desktop.store.errors import NewerSchema, ProfileLocked, StoreError, WrongKey
from tandem_desktop.store.profile import init_profile, open_profile

SECRETS = ("Khatchadourian", "anahide.k@exemple.fr", "Parle arménien et anglais")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def mentor(store) -> str:  # type: ignore[no-untyped-def]
    return store.create("mentor", {"first_name": "Anahide", "last_name": SECRETS[0], "email": SECRETS[1],
                                   "employer": "CMA CGM", "capacity": "1", "notes": SECRETS[2]})


def _employer(path: Path, key: bytes, mentor_id: str) -> str:
    conn = open_raw(path, key)
    try:
        return conn.execute("SELECT employer FROM mentor WHERE id = ?", (mentor_id,)).fetchone()[0]
    finally:
        conn.close()


def test_known_revisions_include_head() -> None:
    assert migrations.head_revision() in known_revisions()


def test_backup_is_encrypted_and_readable_with_the_key(profile, mentor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sauvegardes"
    out.mkdir()
    dest = backup_profile(profile, out / "tandem-2026-11-26.tandem")
    data = dest.read_bytes()
    assert len(data) > 4096
    for secret in SECRETS:
        assert secret.encode("utf-8") not in data and secret.encode("utf-16-le") not in data
    assert not data.startswith(b"SQLite format 3")
    assert _employer(dest, profile.key, mentor) == "CMA CGM"
    assert [p.name for p in out.iterdir()] == ["tandem-2026-11-26.tandem"]  # no temporary file left


def test_backup_refuses_the_profile_files_and_missing_folders(profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database = profile.settings.database_path
    before = sha256(database)
    with pytest.raises(StoreError, match="fichier du profil"):
        backup_profile(profile, database)
    with pytest.raises(StoreError, match="Dossier introuvable"):
        backup_profile(profile, tmp_path / "absent" / "b.tandem")
    assert sha256(database) == before


def test_restore_round_trip_keeps_the_previous_database(profile, settings, mentor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    backup = backup_profile(profile, tmp_path / "b.tandem")
    profile.store.update("mentor", mentor, {"employer": "Airbus Helicopters"})
    profile.close()
    current = sha256(settings.database_path)
    kept = restore_profile(settings, backup)
    assert kept.parent == settings.backups_dir and kept.name.startswith("avant-restauration-")
    assert sha256(kept) == current  # the previous database, byte for byte
    assert _employer(kept, profile.key, mentor) == "Airbus Helicopters"
    assert sha256(settings.database_path) == sha256(backup)
    reopened = open_profile(settings)
    try:
        assert reopened.store.get("mentor", mentor)["employer"] == "CMA CGM"
    finally:
        reopened.close()
    assert not list(settings.data_dir.glob("*.restoring"))


def _refused(settings, backup: Path, error: type[Exception], match: str) -> None:  # type: ignore[no-untyped-def]
    database = settings.database_path
    before = sha256(database)
    kept_before = sorted(settings.backups_dir.glob("*")) if settings.backups_dir.exists() else []
    with pytest.raises(error, match=match):
        restore_profile(settings, backup)
    assert sha256(database) == before
    assert (sorted(settings.backups_dir.glob("*")) if settings.backups_dir.exists() else []) == kept_before
    assert not list(settings.data_dir.glob("*.restoring"))


def test_corrupt_or_foreign_backups_are_refused(profile, settings, mentor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = backup_profile(profile, tmp_path / "b.tandem")
    profile.close()
    garbage = tmp_path / "garbage.tandem"
    garbage.write_bytes(b"\x42" * 10_000)
    _refused(settings, garbage, StoreError, "pas une sauvegarde lisible")
    truncated = tmp_path / "truncated.tandem"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    _refused(settings, truncated, StoreError, "endommagé")
    flipped = bytearray(good.read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF
    (tmp_path / "flipped.tandem").write_bytes(bytes(flipped))
    _refused(settings, tmp_path / "flipped.tandem", StoreError, "endommagé")
    _refused(settings, tmp_path / "absent.tandem", StoreError, "introuvable")
    _refused(settings, settings.database_path, StoreError, "base du profil elle-même")

    other_settings = settings.__class__(tmp_path / "autre", settings.passphrase, settings.kdf_log2_n, False)
    other = init_profile(other_settings)  # same passphrase, but its own salt, hence its own key
    foreign = backup_profile(other, tmp_path / "foreign.tandem")
    other.close()
    _refused(settings, foreign, StoreError, "pas une sauvegarde lisible")


def test_backup_of_a_newer_schema_or_another_profile_is_refused(profile, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    newer = backup_profile(profile, tmp_path / "newer.tandem")
    renamed = backup_profile(profile, tmp_path / "renamed.tandem")
    key = profile.key
    profile.close()
    for path, sql in ((newer, "UPDATE alembic_version SET version_num = '9999_from_the_future'"),
                      (renamed, "UPDATE meta SET value = 'un-autre-profil' WHERE key = 'profile_id'")):
        conn = open_raw(path, key)
        conn.execute(sql)
        conn.close()
    _refused(settings, newer, NewerSchema, "version plus récente")
    _refused(settings, renamed, StoreError, "autre profil")


def test_restore_needs_the_right_key_and_a_closed_profile(profile, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    backup = backup_profile(profile, tmp_path / "b.tandem")
    _refused(settings, backup, ProfileLocked, "déjà ouvert")  # the profile fixture still holds it
    profile.close()
    _refused(settings.with_passphrase("pas la bonne phrase"), backup, WrongKey, "incorrecte")
    copy = tmp_path / "copie.tandem"
    shutil.copyfile(backup, copy)
    restore_profile(settings, copy)
    assert len(list(settings.backups_dir.glob("avant-restauration-*.db"))) == 1


def test_restore_recovers_a_profile_whose_database_is_gone(profile, settings, mentor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    backup = backup_profile(profile, tmp_path / "b.tandem")
    profile.close()
    settings.database_path.unlink()
    restore_profile(settings, backup)
    reopened = open_profile(settings)
    try:
        assert reopened.store.get("mentor", mentor)["last_name"] == SECRETS[0]
    finally:
        reopened.close()
