"""`tandem match propose` when there is nothing to propose: a French sentence saying why, never a
traceback (it crashed in score.py with nobody waiting), in-process through `cli.main`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem_desktop.cli import main
from tests.conftest import PASSPHRASE


def run(folder: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(folder), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_propose_says_why_there_is_nothing_to_propose(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "profil"
    assert main(["--data-dir", str(folder), "init"]) == 0
    nobody = "Aucun mentoré en attente\u00a0: il n’y a rien à proposer.\n"
    assert run(folder, capsys, "match", "propose") == (0, nobody, "")
    assert json.loads(run(folder, capsys, "match", "propose", "--json")[1])["notice"] == nobody.strip()

    assert run(folder, capsys, "add", "mentee", "first_name=Inès", "last_name=Benali", "consent_given=true")[0] == 0
    code, out, err = run(folder, capsys, "match", "propose")
    assert (code, out, err) == (0, "Aucun mentor enregistré\u00a0: ajoutez des mentors avant une proposition "
                                   "groupée.\n", "")

    code, out, _ = run(folder, capsys, "add", "mentor", "first_name=Hélène", "last_name=Durand", "capacity=0")
    assert code == 0, out
    code, out, err = run(folder, capsys, "match", "propose")
    assert (code, err) == (0, "")
    assert out == "Aucun mentor disponible\u00a0: tous les mentors sont complets ou inactifs.\n"

    assert run(folder, capsys, "set", "mentor", out_id := _mentor_id(folder, capsys), "capacity=2")[0] == 0, out_id
    code, out, err = run(folder, capsys, "match", "propose")
    assert code == 0 and "Traceback" not in out + err
    assert out.endswith("0\u00a0paire proposée\u00a0; 1\u00a0mentoré sans mentor.\n  Inès Benali\u00a0: Le seul mentor "
                        "n’est pas possible\u00a0: consentement non recueilli (1\u00a0mentor)\n"), out


def _mentor_id(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    return json.loads(run(folder, capsys, "list", "mentor", "--json")[1])[0]["id"]
