"""The OS keyring as it really behaves — locked, emptied, not answering — through the real `keyring`
API (keyring.set_keyring with a backend that can be locked and emptied), and the recovery code that
opens a profile and its backups when the key is gone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keyring
import keyring.errors
import pytest
import secretstorage.exceptions

from tandem_desktop.services import backup as backup_service
from tandem_desktop.settings import Settings
from tandem_desktop.store import keys, recovery
from tandem_desktop.store.errors import (
    KeyringUnreachable,
    KeyUnavailable,
    LockedKeyring,
    NoRecoveryCode,
    PassphraseRequired,
    ProfileLocked,
    RecoveryCodeInvalid,
    WeakPassphrase,
    WrongKey,
    WrongRecoveryCode,
)
from tandem_desktop.store.profile import (
    init_profile,
    new_recovery_code,
    open_profile,
    put_key_back,
    read_meta,
    set_new_passphrase,
    set_profile_aside,
)

from .conftest import PASSPHRASE


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file() and p.name != "tandem.lock"}


def _keyring_profile(settings: Settings) -> tuple[Settings, str]:
    """A keyring profile with one mentor; returns its settings (no passphrase) and recovery code."""
    bare = settings.with_passphrase(None)
    profile = init_profile(bare)
    code = profile.recovery_code
    assert code and profile.meta.key_source == "keyring"
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    profile.close()
    return bare, code


def test_the_backend_is_reached_through_the_real_keyring_api(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    keyring.set_password("s", "u", "secret")
    assert keyring.get_password("s", "u") == "secret"
    memory_keyring.lock()
    with pytest.raises(keyring.errors.KeyringLocked):
        keyring.get_password("s", "u")
    memory_keyring.unlock()
    memory_keyring.clear()
    assert keyring.get_password("s", "u") is None


@pytest.mark.parametrize("error", [keyring.errors.KeyringLocked, secretstorage.exceptions.LockedException,
                                   secretstorage.exceptions.PromptDismissedException])
def test_a_locked_keyring_is_told_as_locked_not_as_a_lost_key(settings, memory_keyring, error) -> None:  # type: ignore[no-untyped-def]
    bare, _ = _keyring_profile(settings)
    before = _files(settings.data_dir)
    memory_keyring.lock(error)
    with pytest.raises(LockedKeyring) as info:
        open_profile(bare)
    message = str(info.value)
    assert "verrouillé" in message and "déverrouillez-le" in message and "introuvable" not in message
    assert _files(settings.data_dir) == before
    memory_keyring.unlock()  # the counsellor unlocks it, then « Réessayer »
    with open_profile(bare) as profile:
        assert profile.store.count("mentor") == 1 and profile.opened_with == "keyring"


def test_a_keyring_that_does_not_answer_is_neither_locked_nor_lost(settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    bare, _ = _keyring_profile(settings)
    memory_keyring.break_down()
    with pytest.raises(KeyringUnreachable, match="ne répond pas"):
        open_profile(bare)
    memory_keyring.break_down(RuntimeError)  # what a D-Bus library raises past keyring: no traceback either
    with pytest.raises(KeyringUnreachable):
        open_profile(bare)
    memory_keyring.repair()
    open_profile(bare).close()


def test_creating_a_profile_with_the_keyring_locked(settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.lock()
    with pytest.raises(LockedKeyring, match="verrouillé"):
        init_profile(settings.with_passphrase(None))
    assert not settings.data_dir.exists(), "a failed init leaves nothing: no folder, no tandem.lock"
    with init_profile(settings) as profile:  # the passphrase path, as the dialog offers
        assert profile.meta.key_source == "passphrase" and memory_keyring.secrets == {}


@pytest.mark.parametrize("case", ["weak", "short", "no passphrase", "existing folder"])
def test_no_failure_of_init_leaves_a_lock_file(settings, case) -> None:  # type: ignore[no-untyped-def]
    if case == "existing folder":
        settings.data_dir.mkdir(parents=True)
        (settings.data_dir / "notes.txt").write_text("à garder", encoding="utf-8")
    bad = {"weak": settings.with_passphrase("12345678"), "short": settings.with_passphrase("court"),
           "no passphrase": settings.with_passphrase(None),
           "existing folder": settings.with_passphrase("Marseille2024")}[case]
    with pytest.raises(WeakPassphrase if case != "no passphrase" else PassphraseRequired):
        init_profile(bad)
    if case == "existing folder":
        assert sorted(p.name for p in settings.data_dir.iterdir()) == ["notes.txt"]
    else:
        assert not settings.data_dir.exists()


def test_weak_passphrases_are_refused_with_a_french_hint(settings) -> None:  # type: ignore[no-untyped-def]
    for weak in ("12345678", "azertyuiop", "motdepasse1", "Marseille2024", "Soleil13!", "mentorat2026"):
        with pytest.raises(WeakPassphrase) as info:
            init_profile(settings.with_passphrase(weak))
        assert "trop facile à deviner" in str(info.value)
        assert "au moins quatre mots" in str(info.value)
    with pytest.raises(WeakPassphrase, match="8 caractères"):
        init_profile(settings.with_passphrase("court"))
    with pytest.raises(WeakPassphrase):  # the profile folder's own name is a known word
        init_profile(settings.with_passphrase(f"{settings.data_dir.name}{settings.data_dir.name}"))
    with pytest.raises(WeakPassphrase, match="tout de suite"):
        init_profile(settings.with_passphrase("aaaaaaaaaaaa"))
    with init_profile(settings.with_passphrase(PASSPHRASE)) as profile:
        assert profile.meta.key_source == "passphrase"


def test_a_weak_passphrase_chosen_before_still_opens(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(keys, "check_new_passphrase", lambda *a, **k: None)  # as an older release did
    init_profile(settings.with_passphrase("12345678")).close()
    monkeypatch.undo()
    with open_profile(settings.with_passphrase("12345678")) as profile:
        assert profile.store.count("mentor") == 0


def test_the_recovery_code_opens_a_profile_whose_key_was_deleted(settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    bare, code = _keyring_profile(settings)
    assert len(recovery.normalize(code)) == 25 and code.count("-") == 4
    stored = settings.profile_path.read_text()
    assert recovery.normalize(code) not in stored.replace("-", "") and "recovery" in json.loads(stored)
    memory_keyring.clear()  # the item is deleted
    before = _files(settings.data_dir)
    with pytest.raises(KeyUnavailable, match="code de secours"):
        open_profile(bare)
    with pytest.raises(WrongRecoveryCode):
        open_profile(bare.with_recovery_code(recovery.new_code()))
    with pytest.raises(RecoveryCodeInvalid, match="25"):
        open_profile(bare.with_recovery_code("ABC"))
    assert _files(settings.data_dir) == before
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")  # as read from paper
    with open_profile(bare.with_recovery_code(typed)) as profile:
        assert profile.opened_with == "recovery" and profile.store.count("mentor") == 1
        put_key_back(profile)
    with open_profile(bare) as profile:  # the next opening is the usual one
        assert profile.opened_with == "keyring" and profile.store.count("mentor") == 1


def test_the_recovery_code_opens_the_backups_too(settings, memory_keyring, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bare, code = _keyring_profile(settings)
    with open_profile(bare) as profile:
        backup_service.backup_profile(profile, tmp_path / "sauvegarde.db")
        profile.store.create("mentor", {"first_name": "Karim", "last_name": "Benali"})
    memory_keyring.clear()
    with pytest.raises(KeyUnavailable):
        backup_service.restore_profile(bare, tmp_path / "sauvegarde.db")
    backup_service.restore_profile(bare.with_recovery_code(code), tmp_path / "sauvegarde.db")
    with open_profile(bare.with_recovery_code(code)) as profile:
        assert profile.store.count("mentor") == 1  # the backup's content


def test_a_forgotten_passphrase_is_replaced_after_a_recovery(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    profile = init_profile(settings)
    code = profile.recovery_code
    profile.store.create("mentor", {"first_name": "Lina", "last_name": "Diallo"})
    backup_service.backup_profile(profile, tmp_path / "avant.db")
    profile.close()
    with open_profile(settings.with_passphrase("je ne m’en souviens plus").with_recovery_code(code)) as opened:
        with pytest.raises(WeakPassphrase):
            set_new_passphrase(opened, "12345678")
        set_new_passphrase(opened, "trois pommes vertes dans un panier")
    with pytest.raises(WrongKey):
        open_profile(settings)  # the old passphrase no longer opens it
    fresh = settings.with_passphrase("trois pommes vertes dans un panier")
    with open_profile(fresh) as opened:
        assert opened.store.count("mentor") == 1
    backup_service.restore_profile(fresh, tmp_path / "avant.db")  # same database key: old backups still fit
    with open_profile(settings.with_recovery_code(code)) as opened:  # and the code still works
        assert opened.store.count("mentor") == 1


def test_an_old_profile_without_a_code_gets_one(settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    bare, first = _keyring_profile(settings)
    data = json.loads(settings.profile_path.read_text())
    del data["recovery"]  # as written by the previous release
    settings.profile_path.write_text(json.dumps(data))
    assert read_meta(settings).recovery is None
    with pytest.raises(NoRecoveryCode):
        open_profile(bare.with_recovery_code(first))
    with open_profile(bare) as profile:
        second = new_recovery_code(profile)
    memory_keyring.clear()
    with pytest.raises(WrongRecoveryCode):
        open_profile(bare.with_recovery_code(first))
    with open_profile(bare.with_recovery_code(second)) as profile:
        assert profile.store.count("mentor") == 1


def test_a_lost_profile_is_set_aside_whole(settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    bare, code = _keyring_profile(settings)
    before = _files(settings.data_dir)
    memory_keyring.clear()
    held = open_profile(bare.with_recovery_code(code))
    with pytest.raises(ProfileLocked):
        set_profile_aside(bare)  # never while it is open
    held.close()
    aside = set_profile_aside(bare)
    assert not settings.data_dir.exists() and aside.parent == settings.data_dir.parent
    assert _files(aside) == before
    with init_profile(bare) as fresh:
        assert fresh.store.count("mentor") == 0 and fresh.meta.profile_id != read_meta_of(aside)


def read_meta_of(folder: Path) -> str:
    return json.loads((folder / "profile.json").read_text())["profile_id"]


def test_creating_with_a_keyring_that_does_not_answer(settings, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.break_down()
    with pytest.raises(KeyringUnreachable):  # told as such (the app then offers a passphrase), not « required »
        init_profile(settings.with_passphrase(None))
    assert not settings.data_dir.exists()
    with init_profile(settings) as profile:
        assert profile.meta.key_source == "passphrase"
