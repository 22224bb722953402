"""Issue 9, points 1 and 3: no local edit is dropped for a refusal it cannot fix, one oversized write
never blocks a device, and a failing push never stops the pull. Real hub over HTTP, real profiles;
where the hub must misbehave, a real HubClient subclass answers for it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import text

from tandem_desktop.services import sync as sync_service
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import load_token
from tandem_desktop.sync.errors import HubError, PayloadTooLarge, SyncError

from .conftest import outbox_rows, snapshot

HUGE = "x" * (5 * 1024 * 1024)  # one field over the hub's 4 MiB body limit


def _pair(world) -> tuple[Any, Any, str]:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a, b = world.device(structure, "a"), world.device(structure, "b")
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    sync_service.sync_now(a)
    sync_service.sync_now(b)
    return a, b, mentor


def _outbox(profile) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with profile.store.reading() as conn:
        return [dict(r) for r in conn.execute(text("SELECT * FROM outbox ORDER BY seq")).mappings()]


def _rewrite_outbox(profile, seq: int, **values: Any) -> None:  # type: ignore[no-untyped-def]
    """Change one pending row straight in the encrypted file (what no write path of the app allows)."""
    sets = ", ".join(f"{name} = :{name}" for name in values)
    with profile.engine.begin() as conn:
        conn.execute(text(f"UPDATE outbox SET {sets} WHERE seq = :seq"), {**values, "seq": seq})


def _client(profile, cls: type[HubClient] = HubClient) -> HubClient:  # type: ignore[no-untyped-def]
    return cls(profile.store.remote.state()["hub_url"], load_token(profile))


def test_an_op_id_taken_by_another_device_goes_again_under_a_new_one(world) -> None:  # type: ignore[no-untyped-def]
    a, b, mentor = _pair(world)
    a.store.update("mentor", mentor, {"employer": "CMA CGM"})
    [taken] = _outbox(a)
    sync_service.sync_now(a)
    b.store.update("mentor", mentor, {"notes": "Rappeler lundi"})
    [mine] = _outbox(b)
    _rewrite_outbox(b, mine["seq"], op_id=taken["op_id"])
    report = sync_service.sync_now(b)
    assert outbox_rows(b) == 1 and sync_service.list_conflicts(b) == []  # kept, not dropped
    assert (report.kept, report.refused, report.pushed) == (1, 0, 0)
    [kept] = _outbox(b)
    assert kept["op_id"] not in (taken["op_id"], mine["op_id"]) and kept["changes"] == mine["changes"]
    report = sync_service.sync_now(b)
    assert (report.pushed, report.kept, outbox_rows(b)) == (1, 0, 0)
    sync_service.sync_now(a)
    assert a.store.get("mentor", mentor)["notes"] == "Rappeler lundi"
    assert sync_service.list_conflicts(b) == []


def test_two_writes_under_one_op_id_both_reach_the_hub(world) -> None:  # type: ignore[no-untyped-def]
    """Red team finding 3: the hub answered both « applied » and applied only the first. The second
    is refused `duplicate_op`; the device settles each answer on its own row, keeps the second and
    sends it again under a new id."""
    a, b, _mentor = _pair(world)
    first = b.store.create("mentor", {"first_name": "Premier", "last_name": "Un"})
    second = b.store.create("mentor", {"first_name": "Second", "last_name": "Deux"})
    row_one, row_two = _outbox(b)
    _rewrite_outbox(b, row_two["seq"], op_id=row_one["op_id"])
    report = sync_service.sync_now(b)
    assert (report.pushed, report.kept, report.refused) == (1, 1, 0)
    [kept] = _outbox(b)
    assert kept["seq"] == row_two["seq"] and kept["op_id"] != row_one["op_id"]
    assert sync_service.sync_now(b).pushed == 1 and outbox_rows(b) == 0
    assert sync_service.list_conflicts(b) == []
    sync_service.sync_now(a)
    assert [a.store.get("mentor", r)["first_name"] for r in (first, second)] == ["Premier", "Second"]


def test_an_op_the_hub_cannot_read_stays_and_later_edits_of_its_record_wait(world) -> None:  # type: ignore[no-untyped-def]
    """As a newer release's field on an older hub: refused `unknown_field`, kept; the edit made after
    it on the same record is held back (never overtakes it); every other record goes through."""
    a, b, mentor = _pair(world)
    b.store.update("mentor", mentor, {"notes": "première"})
    [first] = _outbox(b)
    _rewrite_outbox(b, first["seq"], changes=orjson.dumps({"notes": "première", "champ_futur": 1}).decode())
    b.store.update("mentor", mentor, {"notes": "seconde", "employer": "RTM"})
    other = b.store.create("mentor", {"first_name": "Inès", "last_name": "Haddad"})
    report = sync_service.sync_now(b)
    assert outbox_rows(b) == 2 and sync_service.list_conflicts(b) == []
    assert (report.kept, report.refused, report.pushed) == (2, 0, 1)
    assert report.kept_reason  # the hub's reason, for the status
    sync_service.sync_now(a)
    assert a.store.get("mentor", other)["last_name"] == "Haddad"
    assert a.store.get("mentor", mentor)["employer"] is None  # held back behind the first write
    assert b.store.get("mentor", mentor)["notes"] == "seconde"  # nothing lost here
    # The hub learns the field (here: the device drops it, as after an upgrade): both go, in order.
    _rewrite_outbox(b, first["seq"], changes=orjson.dumps({"notes": "première"}).decode())
    assert sync_service.sync_now(b).pushed == 2
    sync_service.sync_now(a)
    assert (a.store.get("mentor", mentor)["notes"], a.store.get("mentor", mentor)["employer"]) == ("seconde", "RTM")


def test_an_oversized_write_is_set_aside_and_blocks_nothing(world) -> None:  # type: ignore[no-untyped-def]
    """The domain bounds every field now, so the oversized row is written straight into the outbox
    (as a release without those bounds would have left it)."""
    a, b, mentor = _pair(world)
    mentee = b.store.create("mentee", {"first_name": "Karim", "last_name": "Benali", "notes": "court"})
    [big] = _outbox(b)
    _rewrite_outbox(b, big["seq"], changes=orjson.dumps({**orjson.loads(big["changes"]), "notes": HUGE}).decode())
    later = b.store.create("mentor", {"first_name": "Inès", "last_name": "Haddad"})
    a.store.update("mentor", mentor, {"employer": "Arrivé pendant ce temps"})
    sync_service.sync_now(a)
    report = sync_service.sync_now(b)
    assert (report.set_aside, report.pushed, report.refused) == (1, 1, 0) and outbox_rows(b) == 0
    assert b.store.get("mentor", mentor)["employer"] == "Arrivé pendant ce temps"  # the pull went on
    [aside] = sync_service.list_conflicts(b)
    assert aside.conflict_type == "too_large" and aside.type_label == "Trop volumineuse pour le hub"
    assert "volumineuse" in aside.description and aside.resendable and aside.lost_value["notes"] == HUGE
    sync_service.sync_now(a)
    assert a.store.get("mentor", later)["last_name"] == "Haddad" and a.store.count("mentee") == 0
    # The counsellor shortens the record and sends it again: the whole record reaches the hub.
    b.store.update("mentee", mentee, {"notes": "résumé"})
    assert sync_service.resend_conflict(b, aside.id).values["first_name"] == "Karim"
    assert sync_service.list_conflicts(b) == []
    report = sync_service.sync_now(b)
    assert report.set_aside == 0 and outbox_rows(b) == 0
    sync_service.sync_now(a)
    assert a.store.get("mentee", mentee)["notes"] == "résumé"
    assert snapshot(a) == snapshot(b)


class PickyHub(HubClient):
    """A hub with a smaller body limit than this release expects: 413 for any batch holding « énorme »."""

    def push(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        if any("énorme" in str(op["changes"]) for op in ops):
            raise PayloadTooLarge()
        return super().push(ops)


def test_a_write_the_hub_still_finds_too_large_alone_is_set_aside(world) -> None:  # type: ignore[no-untyped-def]
    a, b, mentor = _pair(world)
    before = b.store.create("mentor", {"first_name": "Avant", "last_name": "Un"})
    b.store.update("mentor", mentor, {"notes": "énorme"})
    after = b.store.create("mentor", {"first_name": "Après", "last_name": "Deux"})
    with _client(b, PickyHub) as client:
        report = sync_service.sync_now(b, client=client)
    assert (report.set_aside, report.pushed, outbox_rows(b)) == (1, 2, 0)
    sync_service.sync_now(a)
    assert {a.store.get("mentor", r)["first_name"] for r in (before, after)} == {"Avant", "Après"}
    assert b.store.get("mentor", mentor)["notes"] == "énorme"  # kept here, in the conflict list too
    [aside] = sync_service.list_conflicts(b)
    assert aside.field == "notes" and aside.lost_value == "énorme"


class BrokenHub(HubClient):
    """Every push answered 500 (a hub bug, a proxy in trouble), or only those holding `poison`."""

    poison: str | None = None

    def push(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        if self.poison is None or any(self.poison in str(op["changes"]) for op in ops):
            raise HubError("erreur 500")
        return super().push(ops)


def test_a_failing_push_never_stops_the_pull(world) -> None:  # type: ignore[no-untyped-def]
    a, b, mentor = _pair(world)
    a.store.update("mentor", mentor, {"employer": "Reçu malgré tout"})
    sync_service.sync_now(a)
    b.store.update("mentor", mentor, {"notes": "à envoyer"})
    with _client(b, BrokenHub) as client, pytest.raises(SyncError, match="Envoi au hub impossible") as caught:
        sync_service.sync_now(b, client=client)
    assert caught.value.report.pulled >= 1  # type: ignore[attr-defined]
    assert b.store.get("mentor", mentor)["employer"] == "Reçu malgré tout"
    assert outbox_rows(b) == 1
    status = sync_service.sync_status(b)
    assert status.last_error and "Envoi au hub impossible" in status.last_error
    # One write that makes the hub fail is kept for later; the others go.
    other = b.store.create("mentor", {"first_name": "Inès", "last_name": "Haddad"})
    client = _client(b, BrokenHub)
    client.poison = "à envoyer"
    with client, pytest.raises(SyncError, match="Envoi au hub impossible") as caught:
        sync_service.sync_now(b, client=client)
    report = caught.value.report  # type: ignore[attr-defined]
    assert (report.pushed, report.kept, outbox_rows(b)) == (1, 1, 1)
    assert sync_service.sync_now(b).pushed == 1 and outbox_rows(b) == 0
    sync_service.sync_now(a)
    assert a.store.get("mentor", mentor)["notes"] == "à envoyer"
    assert a.store.get("mentor", other)["first_name"] == "Inès"
