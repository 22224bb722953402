"""`tandem add/set/show/list` against hostile values (issue 9, points 3 and 9), in-process through
`cli.main`: control characters and oversized lists are refused in French and nothing is stored;
values an older hub let through are printed escaped, never raw, to the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from tandem_desktop.cli import main
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import open_profile
from tandem_desktop.store.schema import RECORD_TABLES

from .conftest import PASSPHRASE

RAW = ("\x1b", "\x07", "\u202e", "\x9b")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("TANDEM_DATA_DIR", raising=False)
    folder = tmp_path / "profil"
    assert main(["--data-dir", str(folder), "init"]) == 0
    return folder


def tandem(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("value", "problem"), [
    ("Ctl\x1b[31mRED\x07", "Caractère de contrôle interdit (U+001B en position 4)"),
    ("\u202egpj.exe", "Caractère d’inversion du sens d’écriture interdit (U+202E en position 1)"),
    ("Zoé\x9b2J", "Caractère de contrôle interdit (U+009B en position 4)"),
])
def test_add_refuses_control_characters_in_a_name(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                                  value: str, problem: str) -> None:
    code, _, err = tandem(data_dir, capsys, "add", "mentee", f"first_name={value}", "last_name=Benali")
    assert code == 1
    assert f"Prénom (first_name)\u00a0: {problem}" in err
    assert not any(ch in err for ch in RAW) and "Traceback" not in err
    assert tandem(data_dir, capsys, "list", "mentee", "--json")[1].strip() == "[]"


def test_add_refuses_seven_lists_of_130000_characters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lists = [f"{name}={'x' * 130_000}" for name in ("skills", "languages", "availability", "needs",
                                                     "excluded_employers", "excluded_mentors", "declined_mentors")]
    code, _, err = tandem(data_dir, capsys, "add", "mentee", "first_name=Inès", "last_name=Haddad", *lists)
    assert code == 1
    assert "Compétences (skills)\u00a0: Élément 1 trop long (130000 caractères, 120 au plus)." in err
    assert err.count("trop long") == 7 and len(err) < 3000
    assert tandem(data_dir, capsys, "list", "mentee", "--json")[1].strip() == "[]"
    code, _, err = tandem(data_dir, capsys, "add", "mentee", "first_name=Inès", "last_name=Haddad",
                          f"skills={', '.join(f's{i}' for i in range(51))}")
    assert code == 1 and "Liste trop longue (51 éléments, 50 au plus)." in err


def test_set_refuses_a_control_character_and_keeps_the_old_value(data_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = tandem(data_dir, capsys, "add", "mentor", "first_name=Hélène", "last_name=Durand")
    assert code == 0
    mentor_id = out.strip()
    code, _, err = tandem(data_dir, capsys, "set", "mentor", mentor_id, "employer=Air\x1b]0;pwned\x07bus")
    assert code == 1 and "U+001B" in err and not any(ch in err for ch in RAW)
    shown = json.loads(tandem(data_dir, capsys, "show", "mentor", mentor_id, "--json")[1])
    assert shown["employer"] is None


def test_show_and_list_escape_what_an_older_hub_let_through(data_dir: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = tandem(data_dir, capsys, "add", "mentee", "first_name=Sofiane", "last_name=Benali",
                          "notes=ligne 1\nligne 2")
    mentee_id = out.strip()
    profile = open_profile(load_settings(data_dir).with_passphrase(PASSPHRASE))
    try:  # stored raw, as a pull from a hub without these checks would have
        table = RECORD_TABLES["mentee"]
        with profile.store.transaction() as conn:
            conn.execute(update(table).where(table.c.id == mentee_id).values(
                first_name="Ctl\x1b[31mRED\x07", last_name="\u202egpj.exe", notes="ligne 1\nligne 2\x1b[2J"))
    finally:
        profile.close()
    for args in (("show", "mentee", mentee_id), ("list", "mentee"), ("show", "mentee", mentee_id, "--json"),
                 ("list", "mentee", "--json")):
        code, out, _ = tandem(data_dir, capsys, *args)
        assert code == 0, args
        assert not any(ch in out for ch in RAW), (args, out)
        assert "Ctl\\u001b[31mRED\\u0007" in out and "\\u202egpj.exe" in out, (args, out)
    # Every command prints through escaped streams, not only show and list: a batch proposal names the
    # mentees it leaves unmatched, and it printed them raw before.
    # (with one mentor: with none at all, the command only says so, without naming anyone)
    assert tandem(data_dir, capsys, "add", "mentor", "first_name=Hélène", "last_name=Durand", "capacity=1")[0] == 0
    code, out, err = tandem(data_dir, capsys, "match", "propose")
    assert code == 0, err
    assert not any(ch in out + err for ch in RAW), out + err
    assert "\\u202egpj.exe" in out + err, out + err
    out = tandem(data_dir, capsys, "show", "mentee", mentee_id)[1]
    assert "ligne 1\nligne 2\\u001b[2J" in out  # notes keep their line breaks
    assert json.loads(tandem(data_dir, capsys, "show", "mentee", mentee_id, "--json")[1])["first_name"] == \
        "Ctl\x1b[31mRED\x07"  # the JSON still says exactly what is stored
