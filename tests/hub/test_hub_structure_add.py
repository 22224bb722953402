"""`tandem-hub structure add` takes what the charter prints (type, commune, e-mail), checked, in French,
in-process through `hub.cli.main`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select

from tandem_desktop.hub import cli as hub_cli
from tandem_desktop.hub.db import records

NBSP = "\u00a0"


def run(capsys: pytest.CaptureFixture[str], db_url: str, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = hub_cli.main([*args, "--db", db_url])
    out, err = capsys.readouterr()
    return code, out, err


def test_structure_add_publishes_type_commune_and_email(db_url: str, engine: Engine,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, db_url, "structure", "add", "Mission locale  de Marseille", "--type",
                         "mission_locale", "--commune", "MARSEILLE", "--postal-code", "13003", "--email",
                         "Accueil@ML-Marseille.example", "--phone", "04 91 00 00 00")
    assert code == 0 and err == "", err
    structure_id = out.strip()
    with engine.connect() as conn:
        fields = json.loads(conn.execute(select(records.c.fields).where(records.c.record_id == structure_id))
                            .scalar_one())
    assert fields["name"] == "Mission locale de Marseille" and fields["type"] == "mission_locale"
    assert fields["commune"] == "Marseille" and fields["postal_code"] == "13003"
    assert fields["email"] == "Accueil@ml-marseille.example" and fields["phone"]


@pytest.mark.parametrize(("args", "message"), [
    (["--type", "adie", "--commune", "Marseile", "--email", "a@adie.example"],
     f"Erreur{NBSP}: Commune{NBSP}: Commune inconnue{NBSP}: «{NBSP}Marseile{NBSP}». Vouliez-vous dire "
     f"«{NBSP}Marseille{NBSP}»{NBSP}?"),
    (["--type", "adie", "--commune", "Aubagne", "--email", "pas-une-adresse"], f"Erreur{NBSP}: E-mail{NBSP}: "),
    (["--type", "banque", "--commune", "Aubagne", "--email", "a@adie.example"],
     f"argument --type{NBSP}: choix invalide{NBSP}: 'banque' (possibles{NBSP}: 'mission_locale',"),
    (["--commune", "Aubagne"], f"arguments obligatoires manquants{NBSP}: --type, --email"),
])
def test_structure_add_refuses_what_the_charter_could_not_print(db_url: str, engine: Engine, args: list[str],
                                                                message: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, db_url, "structure", "add", "Adie", *args)
    assert code in (1, 2) and out == "" and message in err, err
    assert "Traceback" not in err
    with engine.connect() as conn:
        assert conn.execute(select(records.c.record_id)).first() is None  # nothing published


def test_structure_add_help_says_what_each_option_is(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, db_url, "structure", "add", "--help")
    assert code == 0
    for words in ("--type TYPE", "mission_locale (Mission locale)", "--commune COMMUNE", "imprimée sur la charte",
                  "--email E-MAIL", "--postal-code CODE"):
        assert words in " ".join(out.split()), words
