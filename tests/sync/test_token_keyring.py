"""The hub token in a keyring that locks, stops answering or loses the item: the sync says what is
really wrong, here, without asking the hub and without blaming it (real hub over HTTP)."""

from __future__ import annotations

import pytest

from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service
from tandem_desktop.sync.errors import (
    AuthenticationFailed,
    HubUnreachable,
    TokenLocked,
    TokenMissing,
    TokenUnreachable,
)

from .conftest import outbox_rows


def _enrolled(world, memory_keyring):  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale de Marseille")
    profile = world.device(structure, "accueil")
    assert profile.store.remote.state()["token_source"] == "keyring"
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    return structure, profile


def _last_seen(world, device_id: str) -> str | None:  # type: ignore[no-untyped-def]
    return next(d for d in admin.list_devices(world.engine) if d["id"] == device_id)["last_seen_at"]


def test_a_locked_keyring_is_a_local_problem_and_the_hub_is_not_asked(world, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    _, profile = _enrolled(world, memory_keyring)
    device_id = profile.store.remote.state()["device_id"]
    seen = _last_seen(world, device_id)
    memory_keyring.lock()
    with pytest.raises(TokenLocked) as info:
        sync_service.sync_now(profile)
    message = str(info.value)
    assert "verrouillé" in message and "Inutile de relier" in message and "ne reconnaît pas" not in message
    assert not isinstance(info.value, AuthenticationFailed)
    assert _last_seen(world, device_id) == seen, "the hub was not asked"
    assert sync_service.sync_status(profile).last_error == message
    assert outbox_rows(profile) == 1
    world.stop_hub()  # with the hub gone too, the locked keyring is still what is reported first
    with pytest.raises(TokenLocked):
        sync_service.sync_now(profile)
    world.start_hub()
    profile.store.remote.set_state(hub_url=world.url)
    memory_keyring.unlock()
    report = sync_service.sync_now(profile)
    assert report.pushed == 1 and outbox_rows(profile) == 0


def test_a_keyring_that_does_not_answer(world, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    _, profile = _enrolled(world, memory_keyring)
    memory_keyring.break_down()
    with pytest.raises(TokenUnreachable, match="ne répond pas"):
        sync_service.sync_now(profile)
    memory_keyring.repair()
    assert sync_service.sync_now(profile).pushed == 1


def test_a_missing_token_says_re_enrolling_makes_a_new_device(world, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    structure, profile = _enrolled(world, memory_keyring)
    old = profile.store.remote.state()["device_id"]
    memory_keyring.clear()
    with pytest.raises(TokenMissing) as info:
        sync_service.sync_now(profile)
    message = str(info.value)
    assert "introuvable" in message and "nouvel appareil" in message and old in message
    assert "révoquer" in message and "ne reconnaît pas" not in message
    info_new = sync_service.enroll(profile, world.url, world.code(structure))
    assert info_new.previous_device_id == old != info_new.device_id
    assert not next(d for d in admin.list_devices(world.engine) if d["id"] == old)["revoked"]
    assert sync_service.sync_now(profile).pushed == 1  # the edit made meanwhile is not lost
    admin.revoke_device(world.engine, old)  # what the administrator is asked to do


def test_a_hub_that_is_down_is_still_told_as_unreachable(world, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    _, profile = _enrolled(world, memory_keyring)
    world.stop_hub()
    with pytest.raises(HubUnreachable):
        sync_service.sync_now(profile)
