"""The store's sync side without a hub: pulled pages, push acknowledgements, summary, migration."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tandem_desktop.domain.ids import new_id
from tandem_desktop.store import conflicts as conflict_store
from tandem_desktop.store.queries import ListQuery


def _field(seq: int, kind: str, rid: str, name: str, value, version: str) -> dict:  # type: ignore[no-untyped-def]
    return {"seq": seq, "type": "field", "kind": kind, "record_id": rid, "field": name, "value": value,
            "version": version}


def _stamp(n: int, device: str = "autre-appareil") -> str:
    return f"{1_700_000_000_000 + n:013d}-00000-{device}"


def _mentor_page(rid: str, start: int = 1) -> list[dict]:
    values = {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM", "capacity": 2,
              "languages": ["français", "arabe"], "active": True}
    return [_field(start + i, "mentor", rid, name, value, _stamp(1)) for i, (name, value) in enumerate(values.items())]


def test_a_pulled_page_creates_records_without_outbox_rows(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    stats = store.remote.apply_page(_mentor_page(rid), cursor=6)
    assert stats.fields_applied == 6 and stats.kinds_changed == {"mentor"}
    mentor = store.get("mentor", rid)
    assert mentor["first_name"] == "Hélène" and mentor["capacity"] == 2 and mentor["active"] is True
    assert mentor["languages"] == ["français", "arabe"]
    assert store.outbox_writes() == 0
    assert store.remote.state()["cursor"] == "6"
    assert [m["id"] for m in store.find("mentor", ListQuery(search="helene cma"))] == [rid]
    # An ordinary local edit of the pulled record is based on the pulled version.
    store.update("mentor", rid, {"employer": "RTM"})
    [op] = store.outbox_ops()
    assert op["base_version"] == _stamp(1)


def test_pulled_edits_and_tombstones_follow_the_index(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    store.remote.apply_page(_mentor_page(rid), cursor=6)
    store.remote.apply_page([_field(7, "mentor", rid, "first_name", "Léa", _stamp(2))], cursor=7)
    assert store.find("mentor", ListQuery(search="helene")) == []
    assert [m["id"] for m in store.find("mentor", ListQuery(search="lea"))] == [rid]
    store.remote.apply_page([_field(8, "mentor", rid, "deleted", True, _stamp(3))], cursor=8)
    assert store.count("mentor") == 0 and store.find("mentor", ListQuery(search="lea")) == []
    assert store.get("mentor", rid, include_deleted=True)["deleted"] is True
    assert store.outbox_writes() == 0


def test_the_same_page_applied_twice_changes_nothing_more(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    page = _mentor_page(rid)
    store.remote.apply_page(page, cursor=6)
    again = store.remote.apply_page(page, cursor=6)
    assert again.fields_applied == 0 and store.count("mentor") == 1
    assert len(store.find("mentor", ListQuery(search="helene"))) == 1


def test_a_field_with_a_pending_local_operation_is_not_overwritten(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    store.remote.apply_page(_mentor_page(rid), cursor=6)
    store.update("mentor", rid, {"employer": "RTM"})  # offline edit, not pushed yet
    stats = store.remote.apply_page([_field(7, "mentor", rid, "employer", "Airbus", _stamp(2)),
                                     _field(8, "mentor", rid, "capacity", 3, _stamp(2))], cursor=8)
    assert stats.fields_kept_local == 1 and stats.fields_applied == 1
    mentor = store.get("mentor", rid)
    assert mentor["employer"] == "RTM" and mentor["capacity"] == 3
    [op] = store.outbox_ops()
    assert op["value"] == "RTM" and op["base_version"] == _stamp(1)  # the hub decides with this base


def _record(seq: int, rid: str, fields: dict, versions: dict, deleted: bool = False) -> dict:  # type: ignore[type-arg]
    return {"seq": seq, "type": "record", "kind": "mentor", "record_id": rid, "fields": fields,
            "versions": versions, "deleted": deleted}


def test_record_entries_apply_field_by_field(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    fields = {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM", "capacity": 2}
    versions = dict.fromkeys(fields, _stamp(1))
    stats = store.remote.apply_page([_record(1, rid, fields, versions)], cursor=1)  # unknown: created
    assert stats.fields_applied == 4 and store.get("mentor", rid)["employer"] == "CMA CGM"
    assert store.outbox_writes() == 0 and [m["id"] for m in store.find("mentor", ListQuery(search="helene"))] == [rid]
    again = store.remote.apply_page([_record(1, rid, fields, versions)], cursor=1)  # same versions: no-op
    assert again.fields_applied == 0 and not again.kinds_changed
    store.update("mentor", rid, {"employer": "RTM"})  # offline edit, not pushed yet
    newer = {**fields, "employer": "Airbus", "capacity": 3, "unknown_field": "x"}
    versions = {**versions, "employer": _stamp(2), "capacity": _stamp(2), "unknown_field": _stamp(2)}
    stats = store.remote.apply_page([_record(5, rid, newer, versions)], cursor=5)
    assert stats.fields_kept_local == 1
    mentor = store.get("mentor", rid)
    assert mentor["employer"] == "RTM" and mentor["capacity"] == 3 and mentor["first_name"] == "Hélène"
    gone = store.remote.apply_page([_record(9, rid, newer, {**versions, "deleted": _stamp(3)}, deleted=True)],
                                   cursor=9)
    assert gone.kinds_changed == {"mentor"} and store.count("mentor") == 0
    assert store.get("mentor", rid, include_deleted=True)["deleted"] is True
    assert store.remote.state()["cursor"] == "9"


def test_a_page_and_its_cursor_commit_together(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    page = [*_mentor_page(rid), {"seq": 7, "type": "conflict", "conflict": {"id": new_id(), "kind": "mentor"}}]

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("coupure pendant l’écriture de la page")

    monkeypatch.setattr(type(store.remote), "_store_conflict", broken)
    with pytest.raises(RuntimeError):
        store.remote.apply_page(page, cursor=7)
    assert store.count("mentor") == 0 and "cursor" not in store.remote.state()
    assert store.find("mentor", ListQuery(search="helene")) == []


def test_conflicts_and_flags_are_kept_once(store) -> None:  # type: ignore[no-untyped-def]
    conflict = {"id": new_id(), "kind": "mentor", "record_id": new_id(), "field": "employer",
                "conflict_type": "field", "kept_value": "A", "kept_version": _stamp(2), "lost_value": "B",
                "lost_version": _stamp(1), "kept_device": "d1", "lost_device": "d2"}
    flag = {"id": new_id(), "type": "mentor_overbooked", "mentor_id": new_id(), "capacity": 1, "tandems": 2}
    page = [{"seq": 1, "type": "conflict", "conflict": conflict}, {"seq": 2, "type": "flag", "flag": flag}]
    first = store.remote.apply_page(page, cursor=2)
    second = store.remote.apply_page(page, cursor=2)
    assert (first.conflicts_new, first.flags_new, second.conflicts_new, second.flags_new) == (1, 1, 0, 0)
    [kept] = conflict_store.conflicts(store)
    assert kept["kept_value"] == "A" and kept["lost_value"] == "B" and kept["resolved"] is False
    assert conflict_store.open_counts(store) == (1, 1)
    newer = {**flag, "id": new_id(), "tandems": 3}
    store.remote.apply_page([{"seq": 3, "type": "flag", "flag": newer}], cursor=3)
    assert [(f["tandems"], f["resolved"]) for f in conflict_store.flags(store)] == [(3, False), (2, True)]


def test_acknowledged_rows_leave_the_outbox_and_refusals_are_kept(store) -> None:  # type: ignore[no-untyped-def]
    a = store.create("mentor", {"first_name": "A", "last_name": "A"})
    store.create("mentor", {"first_name": "B", "last_name": "B"})
    store.update("mentor", a, {"employer": "X"})
    sent = store.remote.outbox_batch(0, 500)
    assert [op["action"] for _, op in sent] == ["create", "create", "update"]
    results = [{"op_id": sent[0][1]["op_id"], "status": "applied"},
               {"op_id": sent[2][1]["op_id"], "status": "refused", "code": "forbidden",
                "message": "Fiche d’une autre structure."}]  # no answer for the second: it stays
    stats = store.remote.acknowledge(sent, results)
    assert (stats.applied, stats.refused, stats.acknowledged) == (1, 1, 2)
    assert [op["op_id"] for _, op in store.remote.outbox_batch(0, 500)] == [sent[1][1]["op_id"]]
    [refused] = conflict_store.conflicts(store)
    assert refused["conflict_type"] == "refused" and refused["field"] == "employer"
    assert refused["lost_value"] == "X" and refused["message"] == "Fiche d’une autre structure."


def test_summary_counts_live_records_and_digests_their_versions(store) -> None:  # type: ignore[no-untyped-def]
    empty = store.remote.summary()
    a = store.create("mentor", {"first_name": "A", "last_name": "A"})
    one = store.remote.summary()
    assert one["counts"]["mentor"] == 1 and one["digests"]["mentor"] != empty["digests"]["mentor"]
    store.update("mentor", a, {"employer": "X"})
    assert store.remote.summary()["digests"]["mentor"] != one["digests"]["mentor"]
    store.delete("mentor", a)
    assert store.remote.summary() == empty


def test_a_database_of_the_previous_release_upgrades_with_its_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from tandem_desktop.store import migrations
    from tandem_desktop.store.engine import make_engine

    engine = make_engine(tmp_path / "ancienne.db", b"\x03" * 32)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "0001_initial")
        conn.execute(text("INSERT INTO mentor (id, first_name, last_name, created_hlc, updated_hlc) "
                          "VALUES ('x', 'Hélène', 'Durand', 's', 's')"))
        assert migrations.pending(conn)
        migrations.upgrade(conn)
    with engine.connect() as conn:
        assert migrations.current_revision(conn) == migrations.head_revision()
        assert conn.execute(text("SELECT first_name FROM mentor")).scalar_one() == "Hélène"
        assert conn.execute(text("SELECT sort_key FROM mentor")).scalar_one() == "durand helene"
        assert conn.execute(text("SELECT count(*) FROM sync_conflicts")).scalar_one() == 0
    engine.dispose()


def test_a_pulled_record_stores_only_the_versions_that_differ_from_its_create(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_id()
    fields = {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM", "capacity": 2, "notes": None}
    versions = {**dict.fromkeys(fields, _stamp(1)), "employer": _stamp(4)}
    store.remote.apply_page([_record(1, rid, fields, versions)], cursor=1)
    with store.reading() as conn:
        stored, created = conn.execute(text("SELECT versions, created_hlc FROM mentor WHERE id = :id"),
                                       {"id": rid}).one()
    # Set fields at the create's stamp are implied; the later edit and the empty field are kept.
    assert created == _stamp(1)
    assert json.loads(stored) == {"employer": _stamp(4), "notes": _stamp(1)}
    # A local edit is still based on the implied version.
    store.update("mentor", rid, {"first_name": "Léa"})
    [op] = store.outbox_ops()
    assert op["base_version"] == _stamp(1)
