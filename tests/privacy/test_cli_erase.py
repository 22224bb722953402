"""`tandem privacy erase` and `tandem privacy log`, in-process on a throw-away profile."""

from __future__ import annotations

import json

import pytest

from ..cli_run import add, ok, refused, show


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    ok(cli_env, "init")
    return cli_env


def test_erase_asks_for_confirmation_then_clears_and_logs(env: dict[str, str]) -> None:
    mentee = add(env, "mentee", first_name="Zéphyrine", last_name="Quaglia", phone="0611223344",
                 postal_code="13003", birth_date="2005-03-14")
    mentor = add(env, "mentor", first_name="Hélène", last_name="Durand")
    tandem = add(env, "tandem", mentor_id=mentor, mentee_id=mentee, notes="Zéphyrine, suivie ASE")
    told = refused(env, "privacy", "erase", "mentee", mentee, code=2)  # stdin is not a terminal: no « yes »
    assert "Rien n’a été effacé" in told and "--yes" in told
    assert show(env, "mentee", mentee)["first_name"] == "Zéphyrine"
    out = ok(env, "privacy", "erase", "mentee", mentee, "--reason", "consent_withdrawn", "--yes")
    assert "effacé·e (retrait du consentement)" in out
    assert "1\u00a0tandem, 0\u00a0rencontre" in out
    assert show(env, "tandem", tandem)["notes"] is None
    assert "introuvable" in refused(env, "show", "mentee", mentee)  # a tombstone now
    log = json.loads(ok(env, "privacy", "log", "--json"))
    assert [(e["record_id"], e["kind"], e["reason"], e["linked"]) for e in log] == [
        (mentee, "mentee", "consent_withdrawn", 1)]
    assert "Retrait du consentement" in ok(env, "privacy", "log")
    assert "déjà été effacée" in refused(env, "privacy", "erase", "mentee", mentee, "--yes")


def test_erase_json_and_refusals(env: dict[str, str]) -> None:
    mentor = add(env, "mentor", first_name="Hélène", last_name="Durand", postal_code="13001")
    done = json.loads(ok(env, "privacy", "erase", "mentor", mentor, "--yes", "--json"))
    assert done["marker"]["department"] == "13" and done["kind"] == "mentor"
    assert "mentorés et de mentors" in refused(env, "privacy", "erase", "structure", mentor, "--yes", code=2)
    assert "Action inconnue" in refused(env, "privacy", "oublier", code=2)
    assert "Aucun effacement" not in ok(env, "privacy", "log")
