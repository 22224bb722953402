"""A hostile or broken hub's GET /v1/history answer (what an attack found): a malformed entry is
left out instead of making the record's history unreadable for good, names lose control and
bidirectional characters, actions are the known ones, and a device keeps at most 2,000 rows."""

from __future__ import annotations

from tandem_desktop.services.history import record_history
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.history import MAX_ROWS


def _entry(n: int, **extra):  # type: ignore[no-untyped-def]
    return {"seq": n, "op_id": f"op-{n}", "hlc": f"1796309987{n:03d}-00000-hub", "action": "update",
            "changes": {"employer": ["A", "B"]}, "device_id": "d", "device_name": "poste",
            "counsellor_name": "Nadia", **extra}


def test_malformed_entries_are_left_out_and_names_cleaned(store) -> None:  # type: ignore[no-untyped-def]
    mentor = Records(store, Actor()).create("mentor", {"first_name": "Hélène", "last_name": "Durand"}).record_id
    store.remote.set_state(device_id="poste-test", hub_url="http://127.0.0.1:9")
    hostile = [_entry(1, changes=["employer"]), _entry(2, changes="texte"), _entry(3, changes=5),
               _entry(4, action="x" * 1_000_000), _entry(5, changes={"employer": "B"}),
               _entry(6, counsellor_name="Nadia\u202eeduob\nX\x00\x1b[31m"), "pas un objet", _entry(7, seq="7")]
    history = record_history(store, "mentor", mentor, lambda kind, rid: {"entries": hostile})
    assert history.from_hub
    kept = [line for line in history.lines if line.action == "Modification"]
    assert [(line.field, line.before, line.after) for line in kept] == [("Employeur", "A", "B")]
    assert not any(c in kept[0].who for c in "\u202e\x00\x1b\n")
    offline = record_history(store, "mentor", mentor)  # what was kept reads again, offline too
    assert len([line for line in offline.lines if line.action == "Modification"]) == 1


def test_a_device_keeps_at_most_the_latest_rows(store) -> None:  # type: ignore[no-untyped-def]
    mentor = Records(store, Actor()).create("mentor", {"first_name": "Hélène", "last_name": "Durand"}).record_id
    store.remote.set_state(device_id="poste-test", hub_url="http://127.0.0.1:9")
    flood = [_entry(n) for n in range(1, MAX_ROWS + 500)]
    history = record_history(store, "mentor", mentor, lambda kind, rid: {"entries": flood})
    assert len([line for line in history.lines if line.action == "Modification"]) == MAX_ROWS
    with store.reading() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM history").scalar() == MAX_ROWS
