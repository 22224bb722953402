"""Issue 9, point 1: no peer can stop another device from syncing with a clock stamp.

Real hub over HTTP, real encrypted profiles. One device pushes an update stamped far in the future;
a device poisoned before the upgrade (saved clock and outbox stamps at the end of time) heals; a
laptop whose clock is years off, with edits made before it ever met the hub, still syncs.
"""

from __future__ import annotations

from sqlalchemy import text

from tandem_desktop.domain.hlc import Stamp
from tandem_desktop.domain.ids import new_id
from tandem_desktop.services import sync as sync_service
from tandem_desktop.store.profile import open_profile
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import load_token

from ..conftest import FIXED_TODAY
from ..stamps import BOUND_MS, now_ms, sane
from .conftest import DAY_MS, outbox_rows, snapshot

POISON = "9999999999999-99999-x"
YEAR_MS = 365 * DAY_MS


def _local_stamps(profile) -> list[str]:  # type: ignore[no-untyped-def]
    """Every stamp a device holds: its clock, its outbox, its records' versions."""
    stamps = [str(profile.store.clock.last)]
    with profile.store.reading() as conn:
        stamps += conn.execute(text("SELECT hlc FROM outbox")).scalars().all()
    for records in snapshot(profile).values():
        for record in records.values():
            stamps += record["versions"].values()
    return stamps


def test_a_stamp_at_the_end_of_time_is_refused_and_stops_nobody(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    attacker, counsellor = world.device(structure, "attaquant"), world.device(structure, "conseillere")
    mentor = counsellor.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    sync_service.sync_now(counsellor)
    sync_service.sync_now(attacker)
    with HubClient(attacker.store.remote.state()["hub_url"], load_token(attacker)) as client:
        client.negotiate()
        answer = client.push([{"op_id": new_id(), "action": "update", "kind": "mentor", "record_id": mentor,
                               "changes": {"employer": "Poison"}, "base_versions": {}, "hlc": POISON}])
    [result] = answer["results"]
    assert (result["status"], result["code"], result["retry"]) == ("refused", "clock_ahead", True)
    for _ in range(2):  # every structure's device goes on syncing, its clock untouched
        counsellor.store.update("mentor", mentor, {"notes": f"vu à {now_ms()}"})
        report = sync_service.sync_now(counsellor)
        assert (report.pushed, report.refused, report.kept) == (1, 0, 0)
        assert counsellor.store.clock.last.wall_ms < now_ms() + BOUND_MS
    sync_service.sync_now(attacker)
    assert attacker.store.get("mentor", mentor)["notes"] == counsellor.store.get("mentor", mentor)["notes"]
    assert counsellor.store.get("mentor", mentor)["employer"] is None
    assert all(sane(s) for s in _local_stamps(counsellor) + _local_stamps(attacker))


def test_a_device_poisoned_before_the_upgrade_heals_by_itself(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    other, poisoned = world.device(structure, "autre"), world.device(structure, "empoisonne")
    mentor = other.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    sync_service.sync_now(other)
    sync_service.sync_now(poisoned)
    poisoned.store.update("mentor", mentor, {"notes": "écrit pendant l’empoisonnement"})
    # What the previous release left behind after pulling the hostile stamp: its clock saved there,
    # its pending write and the record's version stamped with it.
    end_of_time = f"9999999999999-99999-{poisoned.device_id}"
    with poisoned.engine.begin() as conn:  # straight into the encrypted file, as the old code left it
        conn.execute(text("UPDATE outbox SET hlc = :s"), {"s": end_of_time})
        conn.execute(text("UPDATE mentor SET versions = :v, updated_hlc = :s WHERE id = :id"),
                     {"v": f'{{"notes": "{end_of_time}"}}', "s": end_of_time, "id": mentor})
        conn.execute(text("UPDATE meta SET value = :s WHERE key = 'hlc_last'"), {"s": end_of_time})
    settings = poisoned.settings
    poisoned.close()
    healed = open_profile(settings, today=lambda: FIXED_TODAY)  # the new release opens the same profile
    world.profiles.append(healed)
    assert healed.store.clock.last.wall_ms <= now_ms() + BOUND_MS
    healed.store.update("mentor", mentor, {"employer": "Écrit après la mise à jour"})
    report = sync_service.sync_now(healed)
    assert (report.pushed, report.refused, report.kept) == (2, 0, 0) and outbox_rows(healed) == 0
    assert sync_service.list_conflicts(healed) == []
    sync_service.sync_now(other)
    record = other.store.get("mentor", mentor)
    assert (record["notes"], record["employer"]) == ("écrit pendant l’empoisonnement", "Écrit après la mise à jour")
    assert snapshot(other) == snapshot(healed)
    assert all(sane(s) for s in _local_stamps(healed))


def test_a_pulled_stamp_beyond_the_bound_never_moves_the_clock(store) -> None:  # type: ignore[no-untyped-def]
    before = store.clock.last
    sane = f"{now_ms():013d}-00007-hub"
    page = [{"seq": 1, "type": "record", "kind": "mentor", "record_id": new_id(),
             "fields": {"first_name": "A", "last_name": "B"}, "versions": {"first_name": POISON, "last_name": sane},
             "deleted": False}]
    store.remote.apply_page(page, 1)
    clock = store.clock.last
    assert clock.wall_ms < now_ms() + BOUND_MS and clock >= before
    assert str(clock) > sane  # the sane stamp of the same page is still observed
    assert store.clock.observe(Stamp.parse(POISON)).wall_ms < now_ms() + BOUND_MS


def test_a_clock_years_off_with_edits_made_before_meeting_the_hub(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Adie")
    right = world.device(structure, "juste")
    for offset in (7 * YEAR_MS, -3 * YEAR_MS):
        wrong = world.device(structure, f"faux{offset}", skew_ms=offset, first_sync=False)
        mentor = wrong.store.create("mentor", {"first_name": "Hors", "last_name": f"Temps {offset}"})
        assert not sane(wrong.store.get("mentor", mentor)["created_hlc"]) or offset < 0
        report = sync_service.sync_now(wrong)
        assert (report.refused, report.kept, report.mismatches) == (0, 0, {})
        assert all(sane(s) for s in _local_stamps(wrong))
        wrong.store.update("mentor", mentor, {"employer": "Plus tard"})
        assert sane(wrong.store.outbox_ops()[0]["hlc"])  # now stamped on the hub's time
        sync_service.sync_now(wrong)
        sync_service.sync_now(right)
        assert right.store.get("mentor", mentor)["employer"] == "Plus tard"
        assert snapshot(right)["mentor"] == snapshot(wrong)["mentor"]


def test_the_clock_follows_the_hub_and_never_leaves_the_bound() -> None:
    from tandem_desktop.domain.hlc import HybridClock

    computer = [now_ms() + 7 * YEAR_MS]  # a laptop seven years ahead
    clock = HybridClock("poste", wall_ms=lambda: computer[0], last=Stamp.parse(POISON.replace("-x", "-poste")))
    assert clock.last.wall_ms == 0  # the saved poisoned clock is dropped at start
    assert not sane(str(clock.now()))
    clock.set_offset(-7 * YEAR_MS)  # what the hub's hello says
    assert sane(str(clock.now())) and sane(str(clock.last))
    edge = Stamp(now_ms() + BOUND_MS // 2, 99_999, "pair")  # ahead, but inside the bound
    seen = clock.observe(edge)
    assert seen > edge and len(str(seen).split("-")[1]) == 5  # the counter never grows a sixth digit
    assert clock.observe(Stamp.parse(POISON)) == clock.last  # ignored
