"""`tandem enroll / sync / conflicts / device`, run in-process (tests/cli_run.py) against a real hub."""

from __future__ import annotations

import json

from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service

from ..cli_run import ok, refused, tandem


def test_enroll_sync_conflicts_device_and_refusals(world, cli_env) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    ok(cli_env, "init")
    out = ok(cli_env, "enroll", "--hub", world.url, "--code", world.code(structure), "--name", "Poste CLI")
    assert "Poste relié au hub" in out and "base chiffrée" in out
    mentor_id = ok(cli_env, "add", "mentor", "first_name=Hélène", "last_name=Durand").strip()
    report = json.loads(ok(cli_env, "sync", "--json"))
    assert report["pushed"] == 1 and report["refused"] == 0 and report["mismatches"] == {}
    assert report["pending_changes"] == 0 and report["pulled"] > 0
    text = ok(cli_env, "sync")
    assert "Envoyées\u00a0: 0" in text and "Reçues\u00a0:" in text and "Alertes\u00a0: 0" in text
    assert json.loads(ok(cli_env, "conflicts", "--json")) == []
    device = json.loads(ok(cli_env, "device", "--json"))
    assert list(device) == [  # the JSON printed before the service's answer was typed
        "enrolled", "device_id", "local_device_id", "device_name", "hub_url", "structure_id", "counsellor_id",
        "is_admin", "enrolled_at", "token_storage", "certificate", "revoked", "last_sync_at"]
    assert (device["device_name"], device["is_admin"], device["token_storage"], device["revoked"]) == (
        "Poste CLI", False, "database", False)
    assert list(device["certificate"]) == ["subject", "issuer", "serial", "not_before", "not_after"]
    assert device["enrolled"] and device["hub_url"] == world.url and device["structure_id"] == structure
    assert "Poste CLI" in device["certificate"]["subject"] and device["certificate"]["issuer"]
    assert "token" not in json.dumps(device).replace("token_storage", "")
    shown = ok(cli_env, "device")
    assert f"Appareil\u00a0: {device['device_id']}" in shown and "Émis par" in shown
    assert ok(cli_env, "show", "mentor", mentor_id)

    enrolled_again = tandem(cli_env, "enroll", "--hub", "http://127.0.0.1:9", "--code", "ABCDEFGHJK")
    assert enrolled_again.returncode == 1 and "déjà relié" in enrolled_again.stderr

    ok(cli_env, "set", "mentor", mentor_id, "employer=Airbus")
    admin.revoke_device(world.engine, device["device_id"])
    message = refused(cli_env, "sync", code=3)
    assert "révoqué" in message
    assert json.loads(ok(cli_env, "device", "--json"))["revoked"] is True
    world.stop_hub()
    assert "injoignable" in refused(cli_env, "sync", code=4)


def test_sync_without_enrollment_is_refused_in_french(cli_env) -> None:  # type: ignore[no-untyped-def]
    ok(cli_env, "init")
    assert "n’est pas encore relié" in refused(cli_env, "sync")
    assert "relié à aucun hub" in ok(cli_env, "device")
    assert ok(cli_env, "conflicts", "--json").strip() == "[]"
    assert sync_service.probe("http://127.0.0.1:9", timeout=0.2) is False
