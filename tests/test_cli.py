"""The real `tandem` command on throw-away profiles, in-process (tests/cli_run.py); a few real processes at the end."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tandem_desktop.domain.ids import is_record_id
from tandem_desktop.domain.validation import MSG_EMAIL, MSG_PHONE
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import open_profile

from .cli_run import add, ok, refused, show, tandem


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    ok(cli_env, "init")
    return cli_env


def test_help_and_usage_errors_exit_2_in_french(cli_env: dict[str, str]) -> None:
    assert "utilisation\u00a0: tandem" in ok(cli_env, "--help")
    assert "arguments obligatoires manquants" in refused(cli_env, code=2)
    assert "Type de fiche inconnu\u00a0: « mentr »" in refused(cli_env, "list", "mentr", code=2)
    assert "champ=valeur attendu" in refused(cli_env, "add", "mentor", "prenom", code=2)
    assert "nombre entier positif attendu" in refused(cli_env, "demo", "--mentors", "beaucoup", code=2)


def test_init_creates_a_profile_once(cli_env: dict[str, str]) -> None:
    out = ok(cli_env, "init")
    data_dir = Path(cli_env["TANDEM_DATA_DIR"])
    assert "Profil chiffré créé" in out and "phrase de passe" in out
    assert (data_dir / "tandem.db").is_file() and (data_dir / "profile.json").is_file()
    before = sha256(data_dir / "tandem.db")
    assert "existe déjà" in refused(cli_env, "init")
    assert sha256(data_dir / "tandem.db") == before


def test_add_prints_an_id_that_show_returns_with_the_fields(env: dict[str, str]) -> None:
    mentor_id = add(env, "mentor", first_name="Hélène", last_name="Durand", email="helene.durand@exemple.fr",
                    phone="06.12.34.56.78", capacity="2", skills="Relecture de CV, Réseau", postal_code="13002",
                    employer="CMA CGM", notes="Parle aussi arménien")
    record = show(env, "mentor", mentor_id)
    assert record["id"] == mentor_id
    assert record["first_name"] == "Hélène" and record["last_name"] == "Durand"
    assert record["email"] == "helene.durand@exemple.fr"
    assert record["phone"] == "06 12 34 56 78"
    assert record["capacity"] == 2
    assert record["skills"] == ["Relecture de CV", "Réseau"]
    assert record["postal_code"] == "13002" and record["employer"] == "CMA CGM"
    assert record["notes"] == "Parle aussi arménien"
    human = ok(env, "show", "mentor", mentor_id)
    assert "Prénom\u00a0: Hélène" in human and "Capacité (mentorés en même temps)\u00a0: 2" in human


def test_invalid_email_is_refused_with_the_domain_message(env: dict[str, str]) -> None:
    stderr = refused(env, "add", "mentor", "first_name=Léo", "last_name=Roux", "email=leo.roux@", "capacity=1")
    assert f"E-mail (email)\u00a0: {MSG_EMAIL}" in stderr
    assert json.loads(ok(env, "list", "mentor", "--json")) == []


def test_show_of_an_unknown_id_fails(env: dict[str, str]) -> None:
    unknown = "01900000-0000-7000-8000-000000000000"
    assert f"Mentor introuvable\u00a0: {unknown}." in refused(env, "show", "mentor", unknown, "--json")


def test_list_search_ignores_accents_and_case(env: dict[str, str]) -> None:
    helene = add(env, "mentee", first_name="Hélène", last_name="Giordano", postal_code="13003")
    add(env, "mentee", first_name="Marc", last_name="Hélin", postal_code="13015")
    add(env, "mentee", first_name="Inès", last_name="Benali", postal_code="13013")
    found = json.loads(ok(env, "list", "mentee", "--search", "helene", "--json"))
    assert [r["id"] for r in found] == [helene]
    assert found[0]["first_name"] == "Hélène"
    assert len(json.loads(ok(env, "list", "mentee", "--search", "HEL", "--json"))) == 2
    assert len(json.loads(ok(env, "list", "mentee", "--limit", "1", "--json"))) == 1
    table = tandem(env, "list", "mentee")
    assert "Giordano" in table.stdout and "3 fiche(s) sur 3." in table.stderr


def test_set_and_delete(env: dict[str, str]) -> None:
    mentee = add(env, "mentee", first_name="Yanis", last_name="Haddad", phone="0612345678")
    assert "Fiche modifiée" in ok(env, "set", "mentee", mentee, "phone=07 11 22 33 44", "commune=Aubagne")
    record = show(env, "mentee", mentee)
    assert record["phone"] == "07 11 22 33 44" and record["commune"] == "Aubagne"
    assert MSG_PHONE in refused(env, "set", "mentee", mentee, "phone=12")
    assert show(env, "mentee", mentee)["phone"] == "07 11 22 33 44"
    assert "Aucun changement" in ok(env, "set", "mentee", mentee, "commune=Aubagne")
    assert "supprimée" in ok(env, "delete", "mentee", mentee)
    assert "introuvable" in refused(env, "show", "mentee", mentee)
    assert "introuvable" in refused(env, "delete", "mentee", mentee)
    assert "introuvable" in refused(env, "set", "mentee", mentee, "commune=Cassis")


def test_tandems_go_through_the_tandem_use_cases(env: dict[str, str]) -> None:
    structure = add(env, "structure", name="Mission locale de Marseille", type="Mission locale")
    mentor = add(env, "mentor", first_name="Karim", last_name="Benali", capacity="1")
    mentee = add(env, "mentee", first_name="Lina", last_name="Diallo", structure_id=structure)
    tandem_id = add(env, "tandem", mentor_id=mentor, mentee_id=mentee)
    tandem_record = show(env, "tandem", tandem_id)
    assert tandem_record["status"] == "proposed" and tandem_record["structure_id"] == structure
    assert show(env, "mentee", mentee)["status"] == "in_tandem"
    ok(env, "set", "tandem", tandem_id, "status=accepted")
    assert show(env, "tandem", tandem_id)["accepted_on"] is not None
    assert "ne peut pas passer" in refused(env, "set", "tandem", tandem_id, "status=active")
    assert "Suppression impossible" in refused(env, "delete", "mentor", mentor)
    meeting = add(env, "meeting", tandem_id=tandem_id, date="21/06/2018", mode="Visio")
    assert show(env, "meeting", meeting)["date"] == "2018-06-21"
    assert "Lina Diallo – Karim Benali" in ok(env, "show", "meeting", meeting)


def test_wrong_passphrase_is_refused_and_changes_nothing(env: dict[str, str]) -> None:
    database = Path(env["TANDEM_DATA_DIR"]) / "tandem.db"
    before = sha256(database)
    stderr = refused({**env, "TANDEM_PASSPHRASE": "pas la bonne phrase"}, "list", "mentor")
    assert "Phrase de passe incorrecte" in stderr
    assert sha256(database) == before


def test_passphrase_file_and_missing_passphrase(env: dict[str, str], tmp_path: Path) -> None:
    without = {k: v for k, v in env.items() if k != "TANDEM_PASSPHRASE"}
    assert "phrase de passe" in refused(without, "list", "mentor")
    secret = tmp_path / "secret.txt"
    secret.write_text(env["TANDEM_PASSPHRASE"] + "\n", encoding="utf-8")
    ok(without, "--passphrase-file", str(secret), "list", "mentor")
    ok(without, "list", "mentor", "--passphrase-file", str(secret))
    assert "illisible" in refused(without, "list", "mentor", "--passphrase-file", str(tmp_path / "absent"))


def test_data_dir_option_wins_over_the_environment(env: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "autre-profil"
    ok(env, "init", "--data-dir", str(other))
    out = ok(env, "add", "structure", "name=Adie", "type=adie", "--data-dir", str(other))
    assert len(json.loads(ok(env, "list", "structure", "--json", "--data-dir", str(other)))) == 1
    assert json.loads(ok(env, "list", "structure", "--json")) == []
    assert is_record_id(out.strip())


def test_a_profile_open_elsewhere_is_refused(env: dict[str, str]) -> None:
    settings = load_settings(env["TANDEM_DATA_DIR"], environ=env).with_passphrase(env["TANDEM_PASSPHRASE"])
    profile = open_profile(settings)
    try:
        assert "déjà ouvert" in refused(env, "list", "mentor")
    finally:
        profile.close()
    ok(env, "list", "mentor")


def test_a_corrupt_database_is_reported_and_left_alone(env: dict[str, str]) -> None:
    database = Path(env["TANDEM_DATA_DIR"]) / "tandem.db"
    database.write_bytes(b"\x00garbage" * 4096)
    before = sha256(database)
    assert "endommagé" in refused(env, "list", "mentor")
    assert sha256(database) == before


def test_demo_fills_the_profile_and_creates_it_if_needed(cli_env: dict[str, str]) -> None:
    out = ok(cli_env, "demo", "--mentors", "8", "--mentees", "40", "--seed", "5")
    assert "8 mentors, 40 mentorés" in out
    mentees = json.loads(ok(cli_env, "list", "mentee", "--limit", "0", "--json"))
    assert len(mentees) == 40
    assert all(m["postal_code"].startswith("13") for m in mentees)
    ok(cli_env, "demo", "--mentors", "2", "--mentees", "10", "--seed", "6")
    assert len(json.loads(ok(cli_env, "list", "mentee", "--limit", "0", "--json"))) == 50


def test_export_csv_and_xlsx(env: dict[str, str], tmp_path: Path) -> None:
    add(env, "mentee", first_name="Hélène", last_name="Giordano", project_type="orientation",
        birth_date="21/06/2004", languages="français, arménien")
    out = ok(env, "export", "mentee", "--format", "csv", "--out", str(tmp_path / "mentores.csv"))
    assert "1 fiche(s)" in out
    with (tmp_path / "mentores.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows[0]["Prénom"] == "Hélène" and rows[0]["Type de projet"] == "Orientation"
    assert rows[0]["Date de naissance"] == "21/06/2004" and rows[0]["Langues"] == "français, arménien"
    ok(env, "export", "mentee", "--out", str(tmp_path / "mentores.xlsx"))  # format from the extension
    sheet = load_workbook(tmp_path / "mentores.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Identifiant", "Prénom", "Nom"]
    assert sheet.cell(2, header.index("Prénom") + 1).value == "Hélène"
    stderr = refused(env, "export", "mentee", "--out", str(tmp_path / "absent" / "x.csv"))
    assert "Opération impossible" in stderr


def test_backup_and_restore_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    data_dir = Path(env["TANDEM_DATA_DIR"])
    mentor = add(env, "mentor", first_name="Sylvie", last_name="Roubaud", employer="Onet", capacity="1")
    backup = tmp_path / "sauvegarde.tandem"
    assert "Sauvegarde chiffrée écrite" in ok(env, "backup", str(backup))
    assert b"Roubaud" not in backup.read_bytes()
    ok(env, "set", "mentor", mentor, "employer=La Poste")
    out = ok(env, "restore", str(backup))
    assert "conservée" in out
    assert show(env, "mentor", mentor)["employer"] == "Onet"
    assert len(list((data_dir / "backups").glob("avant-restauration-*.db"))) == 1
    garbage = tmp_path / "pas-une-sauvegarde.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x01" * 8000)
    before = sha256(data_dir / "tandem.db")
    assert "Rien n’a été modifié" in refused(env, "restore", str(garbage))
    assert sha256(data_dir / "tandem.db") == before


# -- real processes: the command as installed, a few smoke runs ----------------------------------


def _process(command: list[str], env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], env={**env, "PYTHONUTF8": "1"}, capture_output=True, text=True,
                          encoding="utf-8", stdin=subprocess.DEVNULL, timeout=180)


def test_smoke_python_dash_m_creates_a_profile_and_a_record(cli_env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "tandem_desktop"]
    assert _process(command, cli_env, "init").returncode == 0
    added = _process(command, cli_env, "add", "mentor", "first_name=Hélène", "last_name=Durand")
    assert added.returncode == 0 and is_record_id(added.stdout.strip()), added.stderr
    assert show(cli_env, "mentor", added.stdout.strip())["first_name"] == "Hélène"
    usage = _process(command, cli_env, "list", "mentr")
    assert usage.returncode == 2 and "Type de fiche inconnu" in usage.stderr and "Traceback" not in usage.stderr


def test_smoke_console_script_help(cli_env: dict[str, str]) -> None:
    script = Path(sys.executable).with_name("tandem")
    found = str(script) if script.exists() else shutil.which("tandem")
    if found is None:
        pytest.skip("the `tandem` console script is not installed (pip install -e .)")
    result = _process([found], {**cli_env, "PATH": os.environ.get("PATH", "")}, "--help")
    assert result.returncode == 0 and "utilisation\u00a0: tandem" in result.stdout, result.stderr


def test_an_in_process_run_leaves_the_process_as_it_found_it(tmp_path: Path) -> None:
    """What tests/cli_run.py puts back, so that no CLI test leaks into the next one."""
    import logging
    import threading

    import keyring

    from tandem_desktop.domain.errors import DomainError

    from .cli_run import run_main
    from .memory_keyring import MemoryKeyring

    before = (dict(os.environ), os.getcwd(), sys.stdout, sys.excepthook, threading.excepthook,
              list(logging.getLogger().handlers), logging.getLogger("tandem_desktop").level, keyring.get_keyring())
    handler = logging.StreamHandler()

    def untidy(argv: list[str]) -> int:
        os.chdir(tmp_path)
        os.environ["TANDEM_LEFT_BEHIND"] = "1"
        logging.getLogger().addHandler(handler)
        logging.getLogger("tandem_desktop").setLevel(logging.DEBUG)
        sys.excepthook = threading.excepthook = print  # type: ignore[assignment]
        keyring.set_keyring(MemoryKeyring())
        print("sortie", argv)
        print("erreur", file=sys.stderr)
        raise SystemExit(3)

    result = run_main(untidy, ["a"], {"TANDEM_ONLY": "1"})
    assert (result.returncode, result.stdout, result.stderr) == (3, "sortie ['a']\n", "erreur\n")
    after = (dict(os.environ), os.getcwd(), sys.stdout, sys.excepthook, threading.excepthook,
             list(logging.getLogger().handlers), logging.getLogger("tandem_desktop").level, keyring.get_keyring())
    assert after == before
    with pytest.raises(DomainError):  # an escaping exception is the test's failure, not an exit code
        run_main(lambda argv: (_ for _ in ()).throw(DomainError("x")), [], None)
