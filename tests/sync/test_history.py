"""The audit trail (issue 13, point 5): every write records who, which device and when; a record's
history survives sync and is the same on every device; an erasure leaves who and when, no values."""

from __future__ import annotations

from tandem_desktop.services import history as history_service
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.records import Actor, Records

from .conftest import sync_all


def record_history(profile, kind, record_id, ask_hub=True):  # type: ignore[no-untyped-def]
    fetch = history_service.hub_fetch(profile) if ask_hub else None
    return history_service.record_history(profile.store, kind, record_id, fetch)


def _lines(profile, kind, record_id):  # type: ignore[no-untyped-def]
    history = record_history(profile, kind, record_id)
    assert history.from_hub, history.note
    return [(line.action, line.field, line.before, line.after) for line in history.lines], history


def test_every_kind_of_write_is_in_the_history_the_same_on_every_device(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a = world.device(structure, "poste-a")
    b = world.device(structure, "poste-b")
    ra, rb = Records(a.store, Actor.of_store(a.store)), Records(b.store, Actor.of_store(b.store))
    mentee = ra.create("mentee", {"first_name": "Karim", "last_name": "Benali", "phone": "0611223344",
                                  "structure_id": structure}).record_id
    mentor = ra.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2}).record_id
    sync_all([a, b], rounds=1)
    rb.update("mentee", mentee, {"phone": "0699887766"})
    ra.update("mentee", mentee, {"trade": "Cuisinier"})
    tandem = ra.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    sync_all([a, b], rounds=2)
    rb.move_tandem(tandem, "accepted")
    rb.delete("tandem", tandem)
    sync_all([b, a], rounds=2)
    # local rows exist before any hub answer: the writes of this very device, with their values
    local = record_history(b, "mentee", mentee, ask_hub=False)
    assert ("Téléphone", "06 11 22 33 44", "06 99 88 77 66") in [(x.field, x.before, x.after) for x in local.lines]
    seen_a, history_a = _lines(a, "mentee", mentee)
    seen_b, history_b = _lines(b, "mentee", mentee)
    assert seen_a == seen_b
    assert seen_a[0] == ("Création", "", "", "")
    assert ("Modification", "Téléphone", "06 11 22 33 44", "06 99 88 77 66") in seen_a
    assert ("Modification", "Métier", "(vide)", "Cuisinier") in seen_a
    assert ("Modification", "Statut", "En attente", "En tandem") in seen_a  # a side effect of the tandem
    whos = {(line.field, line.who) for line in history_a.lines}
    assert ("Téléphone", "Conseillère (poste-b)") in whos and ("Métier", "ce poste") in whos
    assert ("Téléphone", "ce poste") in {(line.field, line.who) for line in history_b.lines}
    tandem_a, _ = _lines(a, "tandem", tandem)
    assert tandem_a == _lines(b, "tandem", tandem)[0]
    assert ("Modification", "Étape", "Proposé", "Accepté") in tandem_a
    assert tandem_a[-1] == ("Suppression", "", "", "")
    # a device enrolled later gets the same history of a record it pulls
    c = world.device(structure, "poste-c")
    assert _lines(c, "mentee", mentee)[0] == seen_a


def test_an_erasure_keeps_who_and_when_without_the_values(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a, b = world.device(structure, "poste-a"), world.device(structure, "poste-b")
    records = Records(a.store, Actor.of_store(a.store))
    mentee = records.create("mentee", {"first_name": "Karim", "last_name": "Benali", "phone": "0611223344",
                                       "structure_id": structure}).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2}).record_id
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    sync_all([a, b], rounds=1)
    records.update("mentee", mentee, {"phone": "0699887766"})
    records.update("tandem", tandem, {"notes": "Karim préfère le matin", "duration_months": 9})
    sync_all([a, b], rounds=1)
    records.erase("mentee", mentee, "request")
    sync_all([a, b], rounds=2)
    for device in (a, b):
        lines, _ = _lines(device, "mentee", mentee)
        assert ("Effacement", "", "", "") in lines
        assert not any("06" in line[2] + line[3] for line in lines)
        assert ("Modification", "Téléphone", "", "") not in lines
        tandem_lines, _ = _lines(device, "tandem", tandem)
        assert ("Modification", "Durée prévue (mois)", "6", "9") in tandem_lines
        assert not any("matin" in line[3] for line in tandem_lines)
    with world.engine.connect() as conn:
        texts = conn.exec_driver_sql("SELECT changes FROM history").scalars().all()
    assert not any("0699887766" in t or "matin" in t for t in texts)


def test_offline_the_history_is_this_devices_and_says_so(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("CCI")
    a = world.device(structure, "poste-a")
    records = Records(a.store, Actor.of_store(a.store))
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand"}).record_id
    records.update("mentor", mentor, {"employer": "RTM"})
    world.stop_hub()
    history = record_history(a, "mentor", mentor)
    assert not history.from_hub and "Hub injoignable" in history.note
    assert [(x.action, x.field, x.after, x.pending) for x in history.lines] == [
        ("Création", "", "", False), ("Modification", "Employeur", "RTM", True)]
    assert sync_service.list_conflicts(a) == []


def test_the_hub_serves_a_history_only_in_scope(world) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from tandem_desktop.sync.errors import SyncError

    mine, theirs = world.structure("Mission locale"), world.structure("Adie")
    a, other = world.device(mine, "poste-a"), world.device(theirs, "poste-adie")
    mentee = Records(a.store, Actor()).create("mentee", {"first_name": "Karim", "last_name": "Benali",
                                                         "structure_id": mine}).record_id
    sync_all([a], rounds=1)
    client = sync_service._client(other, other.store.remote.state())
    try:
        with pytest.raises(SyncError, match="hors du périmètre"):
            client.history("mentee", mentee)
        with pytest.raises(SyncError, match="hors du périmètre"):
            client.history("mentor", mentee)  # the right id under another kind
        with pytest.raises(SyncError, match="record_id"):
            client.history("mentee", "../../etc/passwd")
    finally:
        client.close()
