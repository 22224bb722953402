"""Files stay private: every file the app writes in the profile is 0600 and every folder 0700.

The umask is set to the common 022 (what made backups, profile.json and a restored database 0644)
and the whole profile tree is walked after each path that writes: init, open (WAL and SHM), backup
inside the profile and in backups/, restore, the copy taken before a schema upgrade, exports and a
charter left in the profile folder, the proposal file, and the error log. A profile made by an
earlier release, with its 0644 files, is tightened when it opens.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from tandem_desktop import cli
from tandem_desktop.services import backup as backup_service
from tandem_desktop.services import export as export_service
from tandem_desktop.settings import Settings
from tandem_desktop.store import migrations
from tandem_desktop.store.profile import init_profile, open_profile

from .conftest import PASSPHRASE


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def loose_modes(folder: Path) -> dict[str, str]:
    """Every path under `folder` (itself included) whose mode is not 0700 (folders) or 0600 (files)."""
    loose = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            loose[str(path.relative_to(folder)) or "."] = oct(mode)
    return loose


def test_init_and_open_with_a_passphrase(settings: Settings) -> None:
    profile = init_profile(settings)
    try:
        assert loose_modes(settings.data_dir) == {}
        profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
        assert (settings.data_dir / "tandem.db-wal").exists() and (settings.data_dir / "tandem.db-shm").exists()
        assert loose_modes(settings.data_dir) == {}
    finally:
        profile.close()
    assert loose_modes(settings.data_dir) == {}


def test_init_with_the_keyring(settings: Settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    init_profile(settings.with_passphrase(None)).close()
    assert loose_modes(settings.data_dir) == {}


def test_backups_restore_and_the_kept_databases(settings: Settings, profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    settings.backups_dir.mkdir(mode=0o755)  # made by hand, as a counsellor would
    inside = backup_service.backup_profile(profile, settings.data_dir / "sauvegarde-du-jour.db")
    in_backups = backup_service.backup_profile(profile, settings.backups_dir / "lundi.db")
    elsewhere = backup_service.backup_profile(profile, tmp_path / "cle-usb.db")
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600  # encrypted, and private anyway
    profile.store.create("mentor", {"first_name": "Paul", "last_name": "Roux"})  # a WAL to keep aside
    profile.close()
    assert inside.exists() and in_backups.exists()
    assert set(loose_modes(settings.data_dir)) <= {"backups"}  # the folder the counsellor made
    kept = backup_service.restore_profile(settings, in_backups)  # the old code: tandem.db became 0644
    assert kept.parent == settings.backups_dir
    assert loose_modes(settings.data_dir) == {}
    assert sorted(p.name for p in settings.backups_dir.iterdir()) == sorted(
        ["lundi.db", kept.name] + ([kept.name + "-wal"] if Path(f"{kept}-wal").exists() else []))
    open_profile(settings).close()
    assert loose_modes(settings.data_dir) == {}


def test_restore_into_a_profile_whose_database_is_gone(settings: Settings, profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    backup = backup_service.backup_profile(profile, tmp_path / "b.db")
    profile.close()
    settings.database_path.unlink()
    backup_service.restore_profile(settings, backup)
    assert loose_modes(settings.data_dir) == {}


def test_the_copy_taken_before_a_schema_upgrade(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    with profile.engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "0003_matching")
    profile.close()
    open_profile(settings).close()  # upgrades, after an encrypted copy in backups/
    copies = list(settings.backups_dir.glob("avant-mise-a-jour-*.db"))
    assert [c.name for c in copies] == ["avant-mise-a-jour-0003_matching.db"]
    assert loose_modes(settings.data_dir) == {}


def test_exports_charters_and_proposals_left_in_the_profile_folder(settings: Settings, profile,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    from tandem_desktop.services.charters import CharterService, write_atomically

    from .charter.test_service import make_tandem

    tandem_id = make_tandem(profile.store)
    profile.store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "project_type": "job_search"})
    export_service.export_kind(profile.store, "mentor", "csv", settings.data_dir / "mentors.csv")
    export_service.export_kind(profile.store, "mentee", "xlsx", settings.data_dir / "mentores.xlsx")
    write_atomically(settings.data_dir / "charte.pdf", CharterService(profile.store).generate(tandem_id))
    profile.close()
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    assert cli.main(["match", "propose", "--out", str(settings.data_dir / "proposition.json")]) == 0
    assert cli.main(["export", "tandem", "--out", str(settings.data_dir / "tandems.csv")]) == 0
    assert {p.name for p in settings.data_dir.iterdir()} >= {"mentors.csv", "mentores.xlsx", "charte.pdf",
                                                             "proposition.json", "tandems.csv"}
    assert loose_modes(settings.data_dir) == {}


def test_a_profile_from_an_earlier_release_is_tightened_when_it_opens(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    settings.backups_dir.mkdir()
    backup_service.backup_profile(profile, settings.backups_dir / "ancienne.db")
    profile.close()
    for path, mode in ((settings.data_dir, 0o755), (settings.profile_path, 0o644), (settings.backups_dir, 0o755),
                       (settings.backups_dir / "ancienne.db", 0o644), (settings.lock_path, 0o644)):
        os.chmod(path, mode)
    assert loose_modes(settings.data_dir)
    before = settings.profile_path.read_bytes()
    open_profile(settings).close()
    assert loose_modes(settings.data_dir) == {}
    assert settings.profile_path.read_bytes() == before  # modes only: the bytes are untouched


def test_the_private_file_helpers_replace_a_loose_file(tmp_path: Path) -> None:
    from tandem_desktop.store.files import copy_private, write_private

    loose = tmp_path / "f"
    loose.write_bytes(b"old")
    os.chmod(loose, 0o644)
    write_private(loose, b"new")
    assert loose.read_bytes() == b"new" and stat.S_IMODE(loose.stat().st_mode) == 0o600
    other = tmp_path / "g"
    other.write_bytes(b"x")
    os.chmod(other, 0o666)
    copy_private(loose, other)
    assert other.read_bytes() == b"new" and stat.S_IMODE(other.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "g"]  # no temporary file left
