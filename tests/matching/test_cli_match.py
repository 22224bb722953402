"""`tandem match …` through the real command (in-process, tests/cli_run.py), on a throw-away demo profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import ok, refused


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import os

    folder = tmp_path_factory.mktemp("cli-match")
    env = dict(os.environ)
    env.update(TANDEM_DATA_DIR=str(folder / "profil"), TANDEM_PASSPHRASE="ceci est une phrase de passe",
               TANDEM_KDF_LOG2N="14", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    ok(env, "demo", "--mentors", "80", "--mentees", "400", "--seed", "5")
    return env


def _waiting(env: dict[str, str], n: int) -> list[str]:
    rows = json.loads(ok(env, "list", "mentee", "--limit", "0", "--json"))
    return [r["id"] for r in rows if r["status"] == "waiting"][:n]


def test_suggest_for_a_mentee_and_for_a_mentor_as_json(demo_env: dict[str, str]) -> None:
    mentee_id = _waiting(demo_env, 1)[0]
    found = json.loads(ok(demo_env, "match", "suggest", "--mentee", mentee_id, "--top", "3", "--json"))
    assert found["subject"] == {"kind": "mentee", "id": mentee_id}
    candidates = found["candidates"]
    assert 1 <= len(candidates) <= 3
    assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)
    for candidate in candidates:
        assert round(sum(c["points"] * 10 for c in candidate["contributions"])) == round(candidate["score"] * 10)
        assert len(candidate["contributions"]) == 8 and all(c["text"] for c in candidate["contributions"])
    mentor_id = candidates[0]["id"]
    reverse = json.loads(ok(demo_env, "match", "suggest", "--mentor", mentor_id, "--top", "5", "--json"))
    assert reverse["subject"]["kind"] == "mentor" and all(c["kind"] == "mentee" for c in reverse["candidates"])
    table = ok(demo_env, "match", "suggest", "--mentee", mentee_id, "--top", "2")
    assert "score" in table and candidates[0]["name"] in table


def test_propose_prints_pairs_total_unmatched_and_capacity_and_creates_nothing(demo_env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    before = len(json.loads(ok(demo_env, "list", "tandem", "--limit", "0", "--json")))
    chosen = _waiting(demo_env, 40)
    listing = tmp_path / "mentores.txt"
    listing.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    out = tmp_path / "proposition.json"
    document = json.loads(ok(demo_env, "match", "propose", "--mentees", str(listing), "--min-score", "30",
                             "--mode", "most", "--no-spread", "--out", str(out), "--json"))
    assert document["mode"] == "most" and document["spread"] is False and document["min_score"] == 0.3
    assert {p["mentee_id"] for p in document["pairs"]} | {u["mentee_id"] for u in document["unmatched"]} == set(chosen)
    assert all(p["score"] >= 30 for p in document["pairs"]) and all(u["reason"] for u in document["unmatched"])
    assert round(sum(p["score"] for p in document["pairs"]), 1) == document["total"]
    used = sum(row["proposed"] for row in document["mentor_capacity"])
    assert used == len(document["pairs"]) and all(row["remaining_after"] >= 0 for row in document["mentor_capacity"])
    assert len(json.loads(ok(demo_env, "list", "tandem", "--limit", "0", "--json"))) == before  # nothing created
    assert "tandems créés" in ok(demo_env, "match", "accept", str(out))
    after = json.loads(ok(demo_env, "list", "tandem", "--limit", "0", "--json"))
    assert len(after) == before + len(document["pairs"])


def test_settings_set_show_reset_and_refuse_bad_values(demo_env: dict[str, str], tmp_path: Path) -> None:
    changed = json.loads(ok(demo_env, "match", "settings", "--set", "business_creation.trade=0,5", "--json"))
    assert changed["weights"]["business_creation"]["trade"] == 0.5
    assert json.loads(ok(demo_env, "match", "settings", "--json"))["weights"]["business_creation"]["trade"] == 0.5
    assert "entre 0 et 10" in refused(demo_env, "match", "settings", "--set", "job_search.trade=12")
    assert "Critère inconnu" in refused(demo_env, "match", "settings", "--set", "job_search.origine=1")
    assert "Poids invalide" in refused(demo_env, "match", "settings", "--set", "job_search.trade=beaucoup")
    reset = json.loads(ok(demo_env, "match", "settings", "--reset", "--json"))
    assert reset["weights"]["business_creation"]["trade"] == 1.0
    broken = tmp_path / "casse.json"
    broken.write_text("{pas une proposition", encoding="utf-8")
    assert "illisible" in refused(demo_env, "match", "accept", str(broken))
    assert "introuvable" in refused(demo_env, "match", "suggest", "--mentee", "inconnu")
