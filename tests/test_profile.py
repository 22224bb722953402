"""Opening a profile: keyring or passphrase, and every way it can go wrong without losing anything."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keyring
import pytest
from sqlalchemy import text

from tandem_desktop.settings import Settings
from tandem_desktop.store import keys
from tandem_desktop.store.errors import (
    CorruptDatabase,
    DiskFull,
    KeyUnavailable,
    NewerSchema,
    PassphraseRequired,
    ProfileExists,
    ProfileLocked,
    WeakPassphrase,
    WrongKey,
)
from tandem_desktop.store.profile import init_profile, open_profile


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files_digest(folder: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != "tandem.lock"}


def _fill(profile) -> None:  # type: ignore[no-untyped-def]
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})


def test_keyring_profile_keeps_a_random_key_in_the_keyring(settings: Settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    profile = init_profile(settings.with_passphrase(None))
    _fill(profile)
    profile.close()
    meta = json.loads(settings.profile_path.read_text())
    assert meta["key_source"] == "keyring" and meta["kdf_salt"] is None
    [(service, user)] = memory_keyring.secrets
    assert service == keys.KEYRING_SERVICE and user == meta["profile_id"]
    assert len(bytes.fromhex(memory_keyring.secrets[(service, user)])) == 32
    assert memory_keyring.secrets[(service, user)] not in settings.profile_path.read_text()
    reopened = open_profile(settings.with_passphrase(None))
    assert reopened.store.count("mentor") == 1
    reopened.close()
    memory_keyring.secrets.clear()  # the entry is lost (other session, wiped keyring)
    before = _files_digest(settings.data_dir)
    with pytest.raises(KeyUnavailable):
        open_profile(settings)
    assert _files_digest(settings.data_dir) == before


def test_a_plaintext_keyring_counts_as_none(settings: Settings) -> None:
    class PlaintextKeyring(keyring.backend.KeyringBackend):
        priority = 5  # type: ignore[assignment]
        get_password = set_password = delete_password = lambda *a: None

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keyring.set_keyring(PlaintextKeyring())
    assert keys.usable_keyring() is None
    with pytest.raises(PassphraseRequired):
        init_profile(settings.with_passphrase(None))
    profile = init_profile(settings)
    assert profile.meta.key_source == "passphrase"
    profile.close()


def test_profile_files_are_private_to_the_user(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    _fill(profile)
    assert settings.data_dir.stat().st_mode & 0o777 == 0o700
    for name in ("tandem.db", "tandem.db-wal"):
        assert (settings.data_dir / name).stat().st_mode & 0o077 == 0, name


def test_passphrase_must_be_long_enough(settings: Settings) -> None:
    with pytest.raises(WeakPassphrase, match="8 caractères"):
        init_profile(settings.with_passphrase("court"))
    assert not settings.profile_path.exists() and not settings.database_path.exists()


def test_wrong_passphrase_is_refused_and_changes_nothing(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    _fill(profile)
    profile.close()
    before = _files_digest(settings.data_dir)
    with pytest.raises(WrongKey) as info:
        open_profile(settings.with_passphrase("ce n’est pas la bonne"))
    assert str(info.value) == "Phrase de passe incorrecte. La base n’a pas été modifiée\u00a0; réessayez."
    with pytest.raises(PassphraseRequired):
        open_profile(settings.with_passphrase(None))
    assert _files_digest(settings.data_dir) == before
    reopened = open_profile(settings)  # the lock was released after each refusal
    assert reopened.store.count("mentor") == 1
    reopened.close()


def test_init_refuses_to_overwrite_a_profile(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    _fill(profile)
    profile.close()
    before = _files_digest(settings.data_dir)
    with pytest.raises(ProfileExists):
        init_profile(settings)
    assert _files_digest(settings.data_dir) == before


def test_one_instance_per_profile(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileLocked, match="déjà ouvert"):
        open_profile(settings)
    profile.close()
    open_profile(settings).close()


def test_corrupt_database_gets_a_clear_message_and_is_not_touched(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    _fill(profile)
    profile.close()
    data = bytearray(settings.database_path.read_bytes())
    data[:4096] = b"\x00" * 4096  # the first page (salt, header) is destroyed
    settings.database_path.write_bytes(bytes(data))
    before = _files_digest(settings.data_dir)
    with pytest.raises(CorruptDatabase, match="endommagé"):
        open_profile(settings)
    assert _files_digest(settings.data_dir) == before


def test_garbage_file_is_reported_as_corrupt_not_as_wrong_passphrase(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    profile.close()
    settings.database_path.write_bytes(b"ceci n'est pas une base de donnees" * 200)
    with pytest.raises(CorruptDatabase):
        open_profile(settings)


def test_database_from_a_newer_release_is_refused_untouched(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    _fill(profile)
    with profile.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    profile.close()
    before = _files_digest(settings.data_dir)
    with pytest.raises(NewerSchema, match="0099_from_the_future"):
        open_profile(settings)
    assert _files_digest(settings.data_dir) == before


def test_full_disk_during_a_write_loses_nothing(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    _fill(profile)
    profile.close()
    with profile.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    # SQLite's page limit fails writes exactly as a full disk does (SQLITE_FULL).
    small = open_profile(settings, max_page_count=pages + 2)
    try:
        big = [{"first_name": f"Prénom{i}", "last_name": "Nom", "notes": "x" * 2000} for i in range(300)]
        with pytest.raises(DiskFull, match="Le disque est plein"):
            small.store.create_many("mentee", big)
        assert small.store.count("mentee") == 0
        assert small.store.count("mentor") == 1
        assert small.store.outbox_size() == len(small.store.outbox_ops())
        small.store.update("mentor", small.store.find("mentor", _q())[0]["id"], {"employer": "RTM"})
    finally:
        small.close()
    reopened = open_profile(settings)
    assert reopened.store.find("mentor", _q())[0]["employer"] == "RTM"
    reopened.close()


def _q():  # type: ignore[no-untyped-def]
    from tandem_desktop.store.queries import ListQuery

    return ListQuery()
