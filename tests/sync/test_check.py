"""Issue 9, point 12: no false alarms. Many devices syncing at once, over real HTTP on one hub: the
per-kind comparison after a sync never reports a difference that is only the feed moving on, and a
real difference (a tampered local database) is still reported."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tandem_desktop.services import sync as sync_service

DEVICES = 24
ROUNDS = 3


def _sync_at(start: threading.Barrier, device):  # type: ignore[no-untyped-def]
    start.wait()  # every device at once
    return sync_service.sync_now(device)


@pytest.mark.slow  # 12–15 s per database: 20 devices, each a profile, syncing together
def test_many_devices_syncing_at_once_raise_no_false_alarm(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    devices = [world.device(structure, f"poste{n}") for n in range(DEVICES)]
    alarms, checked = [], 0
    for round_no in range(ROUNDS):
        for n, device in enumerate(devices):  # shared records: every push changes every device's scope
            device.store.create("mentor", {"first_name": f"M{round_no}-{n}", "last_name": "Essai"})
        start = threading.Barrier(DEVICES)
        with ThreadPoolExecutor(max_workers=DEVICES) as pool:
            reports = list(pool.map(lambda device, start=start: _sync_at(start, device), devices))
        alarms += [(round_no, r.mismatches) for r in reports if r.mismatches]
        checked += sum(r.checked for r in reports)
        assert all(r.checked or r.check_note for r in reports)
    assert alarms == []
    assert checked >= DEVICES * ROUNDS // 2  # the comparison did run, mostly
    # Once everyone is still, every device agrees with the hub.
    for device in devices:
        report = sync_service.sync_now(device)
        assert report.checked and report.mismatches == {}
    # A real difference is reported: one device's copy of a mentor altered behind the app's back.
    victim = devices[0]
    with victim.engine.begin() as conn:
        conn.execute(text("UPDATE mentor SET versions = :v WHERE row_no = 1"),
                     {"v": '{"first_name": "0000000000001-00000-falsifie"}'})
    devices[1].store.create("mentor", {"first_name": "Dernier", "last_name": "Essai"})
    sync_service.sync_now(devices[1])
    report = sync_service.sync_now(victim)
    assert report.checked and set(report.mismatches) == {"mentor"}
