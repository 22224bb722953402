"""Protocol 5 end to end (issue 11, « a lean sync »): real profiles and a real hub storing compact
stamps. Devices of protocols 5, 4 and 1 share one hub and converge to the same records and versions
(the local databases keep full stamps); conflicts are still found; what crosses the wire is
compressed and names no device id per field."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import orjson
import pytest

from tandem_desktop.services import sync as sync_service
from tandem_desktop.store.profile import Profile
from tandem_desktop.sync import client as client_module
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import connection_settings, load_token
from tandem_desktop.sync.errors import HubError

from .conftest import snapshot

MENTOR = {"first_name": "Hélène", "last_name": "Durand", "capacity": 2, "employer": "CMA CGM",
          "notes": "Disponible le mercredi après-midi, préfère les rencontres au local de la mission locale."}


def client(profile: Profile, protocol: int) -> HubClient:
    state = profile.store.remote.state()
    return HubClient(state["hub_url"], load_token(profile, state), protocol=protocol, **connection_settings(state))


def sync(profile: Profile, protocol: int) -> tuple[sync_service.SyncReport, HubClient]:
    with client(profile, protocol) as hub:
        report = sync_service.sync_now(profile, client=hub)
        assert hub.protocol == protocol
        return report, hub


def test_devices_of_protocols_5_4_and_1_converge_on_one_compact_hub(world: Any) -> None:
    structure = world.structure("Mission locale")
    new, older, oldest = (world.device(structure, name, first_sync=False) for name in ("new", "older", "oldest"))
    devices = ((new, 5), (older, 4), (oldest, 1))
    for profile, protocol in devices:
        sync(profile, protocol)
    ids = {protocol: [profile.store.create("mentor", {**MENTOR, "last_name": f"Durand{protocol}{n}"})
                      for n in range(30)] for profile, protocol in devices}
    for _ in range(2):
        for profile, protocol in devices:
            report, _ = sync(profile, protocol)
            assert report.refused == 0 and report.kept == 0
    for profile, protocol in devices:  # every one edits the others' mentors
        other = ids[5 if protocol != 5 else 4]
        for record_id in other[:5]:
            profile.store.update("mentor", record_id, {"employer": f"Employeur {protocol}"})
    for _ in range(2):
        for profile, protocol in devices:
            report, _ = sync(profile, protocol)
            assert report.mismatches == {} and report.refused == 0
    assert snapshot(new) == snapshot(older) == snapshot(oldest)  # values and full versions alike
    version = snapshot(new)["mentor"][ids[1][0]]["versions"]["last_name"]
    assert version.endswith("-" + oldest.device_id)  # the local databases keep full stamps
    assert sync(new, 5)[0].checked  # the protocol 5 summary matches the device's own


def test_a_conflict_is_found_with_compact_stamps(world: Any) -> None:
    structure = world.structure("Mission locale")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    mentor = a.store.create("mentor", MENTOR)
    sync(a, 5)
    sync(b, 5)
    a.store.update("mentor", mentor, {"employer": "Airbus"})
    b.store.update("mentor", mentor, {"employer": "RTM"})
    sync(a, 5)
    report, _ = sync(b, 5)
    assert report.conflicts_new == 1
    sync(a, 5)
    for device in (a, b):
        [conflict] = sync_service.list_conflicts(device)
        assert (conflict.kept_value, conflict.lost_value) == ("RTM", "Airbus")
        assert conflict.kept_version.endswith("-" + b.device_id)  # a full stamp, as protocol 4 gave it
        assert device.store.get("mentor", mentor)["employer"] == "RTM"


def test_pages_are_compressed_and_name_devices_once(world: Any) -> None:
    structure = world.structure("Mission locale")
    seeder = world.device(structure, "seeder")
    seeder.store.create_many("mentor", [{**MENTOR, "last_name": f"Durand{n}"} for n in range(300)])
    sync(seeder, 5)
    fresh, old = world.device(structure, "fresh", first_sync=False), world.device(structure, "old", first_sync=False)
    report5, lean = sync(fresh, 5)
    report4, heavy = sync(old, 4)
    assert report5.pulled == report4.pulled >= 300
    assert lean.bytes_received * 8 < heavy.bytes_received  # compact stamps, compressed pages
    assert lean.bytes_received / report5.pulled < 200
    assert snapshot(fresh) == snapshot(old)


class _Chunks(httpx.SyncByteStream):
    """A body sent as it is, never read ahead by httpx (as a real socket's)."""

    def __init__(self, data: bytes):
        self.data = data

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.data


def test_a_hub_answer_that_inflates_past_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The device refuses what the hub should never send: a page that decompresses into far more
    than any page can hold is an error, decoded no further than the cap."""
    monkeypatch.setattr(client_module, "MAX_ANSWER", 1024 * 1024)
    page = orjson.dumps({"entries": [], "cursor": 0, "more": False})
    bomb = gzip.compress(page[:-1] + b" " * (64 * 1024 * 1024) + b"}", 9)
    answers = {"bomb": bomb, "fits": gzip.compress(page)}

    def handler(request: httpx.Request) -> httpx.Response:
        assert "gzip" in request.headers["Accept-Encoding"]
        return httpx.Response(200, headers={"Content-Encoding": "gzip"},
                              stream=_Chunks(answers["bomb" if request.url.params["cursor"] == "0" else "fits"]))

    with HubClient("https://hub.exemple", "jeton", transport=httpx.MockTransport(handler)) as hub:
        with pytest.raises(HubError, match="trop volumineuse"):
            hub.pull(0, 1000)
        assert hub.pull(1, 1000)["entries"] == []  # a page under the cap reads as usual
