"""Local damage: refused at open and never rebuilt, found by `tandem check`, never copied into a backup.

(The new modules are imported inside the tests that use them, so that the others run, and fail, on
the code before this change.)

Every case works on a real SQLCipher file made by the app and damaged as a disk or a person would:
truncated to 0 bytes, stripped of its schema, one page changed deep in the file, an index that no
longer matches its table. The files are compared by SHA-256 after every refusal.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tandem_desktop import cli
from tandem_desktop.services import backup as backup_service
from tandem_desktop.settings import Settings
from tandem_desktop.store.engine import open_raw
from tandem_desktop.store.errors import CorruptDatabase, StoreError
from tandem_desktop.store.lock import ProfileLock
from tandem_desktop.store.profile import open_profile

PAGE = 4096


def digests(folder: Path) -> dict[str, str]:
    """Every file of the profile (backups included) but the lock and the field log, by SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "tandem.lock" and p.parent.name != "logs"}


def fill(settings: Settings, mentors: int = 60) -> None:
    with open_profile(settings) as profile:
        profile.store.create_many("mentor", [{"first_name": f"Prénom{i}", "last_name": "Durand",
                                              "notes": "n" * 300} for i in range(mentors)])


def damage_page(path: Path, page: int | None = None) -> int:
    """Overwrite 16 bytes in the middle of one page far from page 1 (the header); returns its number."""
    pages = path.stat().st_size // PAGE
    number = page or pages // 2 + 1
    assert 3 < number <= pages
    with open(path, "r+b") as handle:
        handle.seek((number - 1) * PAGE + PAGE // 2)
        handle.write(bytes(range(16)))
    return number


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def lock_is_free(settings: Settings) -> bool:
    lock = ProfileLock(settings.lock_path)
    try:
        lock.acquire()
    except StoreError:
        return False
    lock.release()
    return True


@pytest.fixture
def cli_profile(settings: Settings, profile, monkeypatch: pytest.MonkeyPatch) -> Settings:  # type: ignore[no-untyped-def]
    """A closed profile with 60 mentors and one backup in backups/, driven by the in-process CLI."""
    profile.close()
    fill(settings)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_PASSPHRASE", settings.passphrase or "")
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    return settings


def backup_now(settings: Settings) -> Path:
    settings.backups_dir.mkdir(exist_ok=True)
    with open_profile(settings) as opened:
        return backup_service.backup_profile(opened, settings.backups_dir / "sauvegarde-1.db")


# -- never rebuilt ------------------------------------------------------------------------------


def test_a_zero_byte_database_is_refused_and_stays_zero_bytes(cli_profile: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = cli_profile
    settings.database_path.write_bytes(b"")
    before = digests(settings.data_dir)
    with pytest.raises(CorruptDatabase, match="Il n’a pas été modifié"):
        open_profile(settings)
    code, _, err = run(capsys, "list", "mentor")
    assert code == 1 and "endommagé" in err
    code, _, err = run(capsys, "add", "mentor", "first_name=Léa", "last_name=Roux")
    assert code == 1 and "endommagé" in err
    assert settings.database_path.stat().st_size == 0  # the old code rebuilt an empty schema here
    assert digests(settings.data_dir) == before
    assert sorted(p.name for p in settings.data_dir.iterdir()) == ["logs", "profile.json", "tandem.db", "tandem.lock"]
    assert lock_is_free(settings)


def test_a_database_without_a_tandem_schema_is_refused_untouched(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    key = profile.key
    profile.close()
    settings.database_path.unlink()
    conn = open_raw(settings.database_path, key)  # right key, but someone else's tables
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('garder')")
    conn.close()
    before = digests(settings.data_dir)
    with pytest.raises(CorruptDatabase):
        open_profile(settings)
    assert digests(settings.data_dir) == before
    conn = open_raw(settings.database_path, key)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert tables == {"notes"}  # no migration ran over it


def test_a_database_that_lost_its_device_id_is_refused_untouched(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    with profile.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM meta WHERE key = 'device_id'")
    profile.close()
    before = digests(settings.data_dir)
    with pytest.raises(CorruptDatabase):
        open_profile(settings)
    assert digests(settings.data_dir) == before


# -- a damaged page -----------------------------------------------------------------------------


def test_a_damaged_page_is_noticed_at_open_and_check_names_the_latest_backup(cli_profile: Settings,
                                                                             capsys) -> None:  # type: ignore[no-untyped-def]
    settings = cli_profile
    backup = backup_now(settings)
    page = damage_page(settings.database_path)
    before = digests(settings.data_dir)
    for argv in (["list", "mentor"], ["add", "mentor", "first_name=Léa", "last_name=Roux"]):
        code, _, err = run(capsys, *argv)
        assert code == 1, argv  # the old code listed and added as if nothing were wrong
        assert "endommagé" in err and str(backup) in err and f'tandem restore "{backup}"' in err
    code, out, err = run(capsys, "check")
    assert code == 1 and out == ""
    assert f"HMAC){chr(0xa0)}: {page}." in err
    assert "Dernière sauvegarde saine du" in err and f'tandem restore "{backup}"' in err
    code, out, _ = run(capsys, "check", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False and report["damaged_pages"] == [page]
    assert report["latest_backup"]["path"] == str(backup)
    assert digests(settings.data_dir) == before
    assert lock_is_free(settings)


def test_restoring_the_named_backup_cures_the_profile(cli_profile: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.store.check import full_check, latest_sound_backup
    from tandem_desktop.store.migrations import known_revisions

    settings = cli_profile
    backup = backup_now(settings)
    damage_page(settings.database_path)
    code, _, _ = run(capsys, "restore", str(backup))
    assert code == 0
    code, out, _ = run(capsys, "check")
    assert code == 0 and "intacte" in out and "sauvegarde-1.db" in out
    code, _, err = run(capsys, "list", "mentor", "--limit", "0")
    assert code == 0 and "60 fiche(s) sur 60" in err
    kept = list(settings.backups_dir.glob("avant-restauration-*.db"))
    assert len(kept) == 1 and full_check(kept[0], _key(settings)).pages  # the damaged file is kept as it was
    found = latest_sound_backup(settings.backups_dir, _key(settings), _profile_id(settings), known_revisions())
    assert found is not None and found.path == backup  # the newer, damaged copy is never offered


def test_check_without_any_backup_says_where_else_to_look(cli_profile: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    damage_page(cli_profile.database_path)
    code, _, err = run(capsys, "check")
    assert code == 1
    assert "Aucune sauvegarde saine dans le dossier backups/" in err and "tandem restore FICHIER" in err


def test_check_of_a_zero_byte_database(cli_profile: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    cli_profile.database_path.write_bytes(b"")
    code, _, err = run(capsys, "check")
    assert code == 1 and "n’est pas une base Tandem lisible" in err
    assert cli_profile.database_path.stat().st_size == 0


def test_an_index_that_no_longer_matches_its_table_is_found_by_sqlites_check(cli_profile: Settings,
                                                                             capsys) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.store.check import full_check

    settings = cli_profile
    key = _key(settings)
    conn = open_raw(settings.database_path, key)  # every page's HMAC stays valid: only SQLite can tell
    conn.execute("CREATE INDEX empty_one ON meta(value)")
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'empty_one'").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = 'ix_mentor_active'", (root,))
    conn.close()
    assert not full_check(settings.database_path, key).pages
    code, _, err = run(capsys, "check")
    assert code == 1 and "incohérence(s) dans la structure de la base" in err
    code, out, _ = run(capsys, "check", "--json")
    assert code == 1 and any("ix_mentor_active" in line for line in json.loads(out)["structure"])


# -- backups ------------------------------------------------------------------------------------


def test_backup_refuses_a_damaged_database_and_keeps_the_good_backups(cli_profile: Settings, tmp_path: Path) -> None:
    settings = cli_profile
    good = backup_now(settings)
    good_digest = hashlib.sha256(good.read_bytes()).hexdigest()
    with open_profile(settings) as opened:
        damage_page(settings.database_path)  # the disk fails while the profile is open
        for target in (good, tmp_path / "nouvelle.db"):
            with pytest.raises(StoreError, match="Sauvegarde refusée") as info:
                backup_service.backup_profile(opened, target)
            assert "Aucune sauvegarde n’a été écrite" in str(info.value) and str(good) in str(info.value)
    assert hashlib.sha256(good.read_bytes()).hexdigest() == good_digest  # the old code replaced it
    assert not (tmp_path / "nouvelle.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_check_of_an_open_profile_is_read_only(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.services import check as check_service

    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    report = check_service.check_open_profile(profile)
    assert report.ok and "intacte" in report.message() and report.backup is None
    profile.store.create("mentor", {"first_name": "Paul", "last_name": "Roux"})  # the profile still works


def _key(settings: Settings) -> bytes:
    from tandem_desktop.store.keys import KeyMeta, load_key

    return load_key(KeyMeta.load(settings.profile_path), settings.passphrase)


def _profile_id(settings: Settings) -> str:
    return json.loads(settings.profile_path.read_text())["profile_id"]


def test_damage_helper_changes_one_page_only(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\x00" * PAGE * 10)
    number = damage_page(path)
    data = path.read_bytes()
    changed = {i // PAGE + 1 for i, b in enumerate(data) if b}
    assert changed == {number} and os.path.getsize(path) == PAGE * 10
