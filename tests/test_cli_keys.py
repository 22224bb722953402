"""The `tandem` command when the keyring is locked or its entry is gone: the recovery code printed
once by init, `recover`, `recovery-code`, `restore` with the code, and `reset --keep-aside`.
In-process (cli.main) on real profiles, with the real keyring API over a lockable backend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tandem_desktop import cli
from tandem_desktop.store import recovery

from .conftest import PASSPHRASE

CODE_RE = re.compile(r"^    ([0-9A-Z]{5}(?:-[0-9A-Z]{5}){4})$", re.MULTILINE)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profil"
    monkeypatch.setenv("TANDEM_DATA_DIR", str(folder))
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    for name in ("TANDEM_PASSPHRASE", "TANDEM_RECOVERY_CODE", "TANDEM_NO_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def init_with_code(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = run(capsys, "init")
    assert code == 0 and "Code de secours (affiché une seule fois)" in out and "sur papier" in out
    [recovery_code] = CODE_RE.findall(out)
    return recovery_code


def test_init_prints_the_code_once_and_recover_brings_the_key_back(data_dir, memory_keyring, capsys,
                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = init_with_code(capsys)
    assert run(capsys, "add", "mentor", "first_name=Hélène", "last_name=Durand")[0] == 0
    assert code.replace("-", "") not in (data_dir / "profile.json").read_text()
    assert "Code de secours" not in run(capsys, "list", "mentor")[1]  # shown once, never again
    memory_keyring.clear()  # the keyring item was deleted
    status, _, err = run(capsys, "list", "mentor")
    assert status == 1 and "introuvable" in err and "tandem recover" in err
    status, _, err = run(capsys, "recover")
    assert status == 1 and "Code de secours manquant" in err
    sheet = tmp_path / "code.txt"
    sheet.write_text(code.lower().replace("-", " ") + "\n", encoding="utf-8")
    status, out, _ = run(capsys, "recover", "--recovery-code-file", str(sheet))
    assert status == 0 and "de nouveau dans le trousseau" in out
    status, out, _ = run(capsys, "list", "mentor")  # normal again, no code needed
    assert status == 0 and "Hélène" in out


def test_a_locked_keyring_at_init_offers_the_passphrase_and_leaves_nothing(data_dir, memory_keyring,
                                                                           capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.lock()
    status, _, err = run(capsys, "init")
    assert status == 1 and "verrouillé" in err and "TANDEM_PASSPHRASE" in err
    assert "Ce profil est protégé par une phrase de passe" not in err
    assert not data_dir.exists(), "no stray tandem.lock"
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    status, out, _ = run(capsys, "init")
    assert status == 0 and "phrase de passe" in out
    memory_keyring.unlock()
    status, _, err = run(capsys, "list", "mentor")
    assert status == 0


def test_a_locked_keyring_at_open_says_locked(data_dir, memory_keyring, capsys) -> None:  # type: ignore[no-untyped-def]
    init_with_code(capsys)
    memory_keyring.lock()
    status, _, err = run(capsys, "list", "mentor")
    assert status == 1 and "verrouillé" in err and "déverrouillez-le" in err and "introuvable" not in err
    memory_keyring.unlock()
    assert run(capsys, "list", "mentor")[0] == 0


def test_weak_passphrases_are_refused_by_init(data_dir, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TANDEM_PASSPHRASE", "12345678")
    status, _, err = run(capsys, "init")
    assert status == 1 and "trop facile à deviner" in err and "quatre mots" in err
    assert not data_dir.exists()


def test_restore_opens_a_backup_with_the_code(data_dir, memory_keyring, capsys, monkeypatch,
                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = init_with_code(capsys)
    run(capsys, "add", "mentor", "first_name=Lina", "last_name=Diallo")
    assert run(capsys, "backup", str(tmp_path / "sauvegarde.db"))[0] == 0
    run(capsys, "add", "mentor", "first_name=Karim", "last_name=Benali")
    memory_keyring.clear()
    monkeypatch.setenv("TANDEM_RECOVERY_CODE", code)
    status, out, _ = run(capsys, "restore", str(tmp_path / "sauvegarde.db"))
    assert status == 0 and "restaurée" in out
    status, out, _ = run(capsys, "list", "mentor")
    assert status == 0 and "Lina" in out and "Karim" not in out


def test_recover_with_a_new_passphrase(data_dir, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    code = init_with_code(capsys)  # no keyring here: a passphrase profile
    monkeypatch.setenv("TANDEM_PASSPHRASE", "une autre phrase oubliée depuis")
    assert "incorrecte" in run(capsys, "list", "mentor")[2]
    monkeypatch.setenv("TANDEM_RECOVERY_CODE", code)
    monkeypatch.setenv("TANDEM_PASSPHRASE", "12345678")
    status, _, err = run(capsys, "recover", "--new-passphrase")
    assert status == 1 and "trop facile" in err
    monkeypatch.setenv("TANDEM_PASSPHRASE", "girafe orange pendule et nuage")
    status, out, _ = run(capsys, "recover")  # no keyring on this laptop: the new passphrase is the way
    assert status == 0 and "nouvelle phrase de passe est enregistrée" in out
    monkeypatch.delenv("TANDEM_RECOVERY_CODE")
    assert run(capsys, "list", "mentor")[0] == 0


def test_recovery_code_replaces_the_old_one(data_dir, memory_keyring, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = init_with_code(capsys)
    status, out, _ = run(capsys, "recovery-code")
    assert status == 0 and "ne sert plus" in out
    [second] = CODE_RE.findall(out)
    assert recovery.normalize(second) != recovery.normalize(first)
    memory_keyring.clear()
    monkeypatch.setenv("TANDEM_RECOVERY_CODE", first)
    assert "n’est pas celui de ce profil" in run(capsys, "list", "mentor")[2]
    monkeypatch.setenv("TANDEM_RECOVERY_CODE", second)
    assert run(capsys, "list", "mentor")[0] == 0


def test_reset_keeps_the_lost_profile_aside_and_says_what_comes_back(data_dir, memory_keyring,
                                                                     capsys) -> None:  # type: ignore[no-untyped-def]
    init_with_code(capsys)
    run(capsys, "add", "mentor", "first_name=Hélène", "last_name=Durand")
    memory_keyring.clear()
    assert cli.main(["reset"]) == 2  # --keep-aside is required: nothing is ever deleted
    assert "--keep-aside" in capsys.readouterr().err
    status, out, _ = run(capsys, "reset", "--keep-aside")
    assert status == 0 and "rien n’a été effacé" in out
    assert "Reviennent" in out and "mentorés" in out and "Ne reviennent pas" in out and "chartes" in out
    assert "révoquer l’ancien appareil" in out
    [aside] = [p for p in data_dir.parent.iterdir() if p.name.startswith("profil-mis-de-cote-")]
    assert (aside / "tandem.db").is_file() and (aside / "profile.json").is_file()
    init_with_code(capsys)
    status, out, _ = run(capsys, "list", "mentor")
    assert status == 0 and "Hélène" not in out
