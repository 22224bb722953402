"""Failures: revoked device, client too old, syncs cut in the middle of a pull or a push, hub stopped."""

from __future__ import annotations

import threading

import pytest

from tandem_desktop.services import sync as sync_service
from tandem_desktop.store.remote import RemoteChanges
from tandem_desktop.sync import engine
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import load_token
from tandem_desktop.sync.errors import DeviceRevoked, HubUnreachable, SyncCancelled, UpdateRequired

from .conftest import outbox_rows, snapshot


class Cut(Exception):
    """The process 'dies' here."""


def _mentors(profile, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    return profile.store.create_many("mentor", [{"first_name": f"Prénom{i}", "last_name": f"Nom{i}"}
                                                for i in range(n)])


pytestmark = pytest.mark.usefixtures("page_by_page")  # counts pages stored one by one

MENTORS = 2600  # several pages of 1,000 feed entries (one entry per record)


def _feed_size(profile) -> int:  # type: ignore[no-untyped-def]
    """Feed entries of the device's scope: one per record (the hub's feed is compacted)."""
    return sum(len(records) for records in snapshot(profile).values())


def _entries_for(world, structure: str, n: int) -> tuple:  # type: ignore[no-untyped-def]
    """A writer device that pushed n mentors, and a fresh reader of the same structure."""
    writer = world.device(structure, "redacteur")
    _mentors(writer, n)
    sync_service.sync_now(writer)
    return writer, world.device(structure, "lecteur", first_sync=False)


def test_a_revoked_device_keeps_its_outbox_and_can_wipe_its_copy(world) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.hub import admin

    structure = world.structure("Mission locale")
    profile = world.device(structure)
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    admin.revoke_device(world.engine, sync_service.sync_status(profile).device_id)
    with pytest.raises(DeviceRevoked, match="révoqué"):
        sync_service.sync_now(profile)
    assert outbox_rows(profile) == 1
    status = sync_service.sync_status(profile)
    assert status.revoked and "révoqué" in (status.last_error or "")
    settings = profile.settings
    removed = sync_service.wipe_local_copy(profile)
    assert not profile.lock.held and str(settings.database_path) in removed
    assert not settings.database_path.exists() and not settings.profile_path.exists()
    assert not any(p.name.startswith("tandem.db") for p in settings.data_dir.iterdir())


def test_a_client_too_old_is_told_to_update_and_keeps_its_outbox(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Adie")
    profile = world.device(structure)
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    token = load_token(profile)
    with HubClient(world.url, token, protocol=0) as old, pytest.raises(UpdateRequired, match="mise à jour"):
        sync_service.sync_now(profile, client=old)
    with HubClient(world.url, token, protocol=0) as old, pytest.raises(UpdateRequired):
        old.push([op for _, op in profile.store.remote.outbox_batch(0, 10)])  # the hub's own 426
    assert outbox_rows(profile) == 1
    assert "mise à jour" in (sync_service.sync_status(profile).last_error or "")
    with HubClient(world.url, token, protocol=1) as previous:  # one version behind: still served
        report = sync_service.sync_now(profile, client=previous)
    assert report.pushed == 1 and outbox_rows(profile) == 0


def test_a_pull_cut_mid_page_resumes_and_downloads_at_most_that_page_again(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("CCI")
    writer, reader = _entries_for(world, structure, MENTORS)
    calls = {"n": 0}
    original = RemoteChanges.apply_read_page

    def dies_on_third_page(self, page, cursor):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise Cut("coupure pendant l’écriture de la page 3")
        return original(self, page, cursor)

    monkeypatch.setattr(RemoteChanges, "apply_read_page", dies_on_third_page)
    with pytest.raises(Cut):
        sync_service.sync_now(reader)
    stored = int(reader.store.remote.state()["cursor"])
    assert stored > 0 and reader.store.count("mentor") > 0
    monkeypatch.setattr(RemoteChanges, "apply_read_page", original)
    resumed = sync_service.sync_now(reader)
    # Two pages were stored before the cut: only the cut page (and what follows) came again.
    assert resumed.pulled == _feed_size(reader) - 2 * engine.PAGE_ENTRIES
    assert reader.store.count("mentor") == MENTORS and resumed.mismatches == {}
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]


def test_a_pull_cancelled_after_two_pages_resumes_without_downloading_them_again(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    writer, reader = _entries_for(world, structure, MENTORS)
    cancel = threading.Event()

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == "pull" and done >= 2 * engine.PAGE_ENTRIES:
            cancel.set()

    with pytest.raises(SyncCancelled):
        sync_service.sync_now(reader, progress=progress, cancel=cancel)
    first_count = reader.store.count("mentor")
    assert 0 < first_count < MENTORS
    resumed = sync_service.sync_now(reader)
    assert resumed.pulled == _feed_size(reader) - 2 * engine.PAGE_ENTRIES
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]


def test_a_hub_stopped_mid_sync_then_restarted(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("France Travail")
    writer, reader = _entries_for(world, structure, MENTORS)

    def stop_after_first_page(phase: str, done: int, total: int | None) -> None:
        if phase == "pull" and done and world.hub is not None:
            world.stop_hub()

    with pytest.raises(HubUnreachable):
        sync_service.sync_now(reader, progress=stop_after_first_page)
    assert 0 < reader.store.count("mentor") < MENTORS
    hub = world.start_hub()  # same database, new port
    reader.store.remote.set_state(hub_url=hub.url)
    writer.store.remote.set_state(hub_url=hub.url)
    report = sync_service.sync_now(reader)
    assert report.mismatches == {} and reader.store.count("mentor") == MENTORS
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]


def test_a_push_cut_before_its_answer_is_stored_is_not_applied_twice(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Adie")
    writer = world.device(structure, "redacteur")
    ids = _mentors(writer, 700)  # two batches
    writer.store.update("mentor", ids[0], {"employer": "Airbus"})
    original = RemoteChanges.acknowledge
    calls = {"n": 0}

    def dies_on_second_answer(self, sent, results, flags=()):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise Cut("coupure avant d’enregistrer la réponse du hub")
        return original(self, sent, results, flags)

    monkeypatch.setattr(RemoteChanges, "acknowledge", dies_on_second_answer)
    with pytest.raises(Cut):
        sync_service.sync_now(writer)
    assert outbox_rows(writer) == 701 - engine.BATCH_OPS  # the first answer was stored
    monkeypatch.setattr(RemoteChanges, "acknowledge", original)
    report = sync_service.sync_now(writer)  # sends the second batch again: the hub knows it
    assert report.pushed == 701 - engine.BATCH_OPS and report.conflicts_new == 0
    assert outbox_rows(writer) == 0 and report.mismatches == {}
    reader = world.device(structure, "lecteur", first_sync=False)
    pulled = sync_service.sync_now(reader)
    assert reader.store.count("mentor") == 700 and pulled.mismatches == {}
    assert pulled.pulled == _feed_size(reader)  # every field once: nothing was applied twice
    assert reader.store.get("mentor", ids[0])["employer"] == "Airbus"
