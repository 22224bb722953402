"""Enrollment against a real hub: credentials where they belong, codes used once, probe."""

from __future__ import annotations

import pytest

from tandem_desktop.services import sync as sync_service
from tandem_desktop.sync.errors import EnrollmentRefused, HubUnreachable, NotEnrolled

from .conftest import outbox_rows


def test_enroll_keeps_the_token_in_the_keyring(world, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale de Marseille")
    profile = world.new_profile("accueil")
    info = sync_service.enroll(profile, world.url, world.code(structure), device_name="Portable accueil")
    assert info.token_storage == "keyring" and info.structure_id == structure
    state = profile.store.remote.state()
    assert "token" not in state and state["token_source"] == "keyring"
    tokens = [v for (service, user), v in memory_keyring.secrets.items() if user.startswith("hub-token-")]
    assert len(tokens) == 1 and len(tokens[0]) >= 40
    assert state["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
    device = sync_service.device_info(profile)
    assert device["device_id"] == info.device_id != profile.device_id
    assert "Portable accueil" in device["certificate"]["subject"]
    assert device["certificate"]["issuer"] and device["certificate"]["issuer"] != device["certificate"]["subject"]
    status = sync_service.sync_status(profile)
    assert status.enrolled and status.device_id == info.device_id and not status.revoked
    report = sync_service.sync_now(profile)  # the hub's structure and counsellor records come down
    assert report.pulled > 0 and report.mismatches == {} and report.checked
    assert profile.store.count("structure") == 1 and profile.store.count("counsellor") == 1
    assert sync_service.sync_status(profile).last_sync_at


def test_without_keyring_the_token_goes_to_the_encrypted_database(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Adie")
    profile = world.new_profile()
    info = sync_service.enroll(profile, world.url, world.code(structure))
    assert info.token_storage == "database"
    state = profile.store.remote.state()
    assert state["token_source"] == "database" and len(state["token"]) >= 40
    assert sync_service.sync_now(profile).mismatches == {}
    raw = profile.settings.database_path.read_bytes()
    assert state["token"].encode() not in raw and b"BEGIN PRIVATE KEY" not in raw


def test_a_code_serves_once_and_a_refusal_stores_nothing(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("CCI")
    code = world.code(structure)
    first = world.new_profile()
    sync_service.enroll(first, world.url, code.lower())  # typed in lower case: the hub normalises
    second = world.new_profile()
    with pytest.raises(EnrollmentRefused, match="déjà servi"):
        sync_service.enroll(second, world.url, code)
    with pytest.raises(EnrollmentRefused):
        sync_service.enroll(second, world.url, "AAAAAAAAAA")
    assert second.store.remote.state() == {}
    with pytest.raises(NotEnrolled):
        sync_service.sync_now(second)


def test_probe_and_an_unreachable_hub(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("France Travail")
    profile = world.device(structure)
    assert sync_service.probe(world.url) is True
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    url = world.url
    world.stop_hub()
    assert sync_service.probe(url, timeout=0.5) is False
    with pytest.raises(HubUnreachable) as info:
        sync_service.sync_now(profile)
    assert "injoignable" in str(info.value)
    assert outbox_rows(profile) == 1
    status = sync_service.sync_status(profile)
    assert status.last_error == str(info.value) and status.pending_changes > 0
    assert sync_service.probe("http://127.0.0.1:9", timeout=0.5) is False
    assert sync_service.probe("pas une adresse", timeout=0.5) is False
