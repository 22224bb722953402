"""Erasure that wins (issue 13, point 3): two real devices, a real hub over HTTP, an offline edit.

After the erasure has synced and a backup was made, the raw bytes of every file of both profiles and
of the hub's database — and every table of both decrypted databases — hold no trace of the person's
name, e-mail or phone; the offline edit is refused and reported without its value; the tandem and
its outcome are still counted."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import text

from tandem_desktop.domain.erasure import ERASED_LABEL
from tandem_desktop.hub import erasure as hub_erasure
from tandem_desktop.services import backup as backup_service
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.errors import StoreError

from .conftest import snapshot, sync_all

FIRST, LAST = "Zéphyrine", "Quaglia-Ostrowska"
EMAIL, PHONE, NEW_PHONE, OLD_EMAIL = "zeph.quaglia@exemple.fr", "0611223344", "0699887766", "zq.avant@exemple.fr"
NOTE = "Zéphyrine Quaglia-Ostrowska vit chez sa tante"


def traces() -> list[bytes]:
    """Every form the person's data could take on disk: as typed, folded (search index, sort keys),
    phones as stored (« 06 11 22 33 44 »), UTF-8 and UTF-16."""
    words = [FIRST, LAST, "Quaglia", "Ostrowska", EMAIL, OLD_EMAIL, "zeph.quaglia", "tante"]
    words += [PHONE, NEW_PHONE, "06 11 22 33 44", "06 99 88 77 66", "22 33 44", "88 77 66"]
    folded = [unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode().lower() for w in words]
    forms = {w for w in words + folded if len(w) >= 5}
    return sorted({enc for w in forms for enc in (w.encode(), w.encode("utf-16-le"))})


def found_in(data: bytes) -> list[bytes]:
    low = data.lower()
    return [t for t in traces() if t.lower() in low]


def scan_files(folder: Path) -> dict[str, list[bytes]]:
    hits = {}
    for path in folder.rglob("*"):
        if path.is_file() and (found := found_in(path.read_bytes())):
            hits[str(path)] = found
    return hits


def scan_decrypted(profile) -> dict[str, list[bytes]]:  # type: ignore[no-untyped-def]
    """Every row of every table of the decrypted database (search index shadow tables included)."""
    hits: dict[str, list[bytes]] = {}
    with profile.store.reading() as conn:
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
        for table in tables:
            if table.endswith("_fts"):
                continue  # the virtual table itself: its shadow tables (_data, _idx…) are read below
            for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"'):
                blob = b"\x00".join(v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None)
                if found := found_in(blob):
                    hits.setdefault(table, []).extend(found)
    return hits


def scan_postgres(engine, find=None) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """The relation files of the hub's tables (heap, TOAST, indexes) after a checkpoint; `find` says what
    a file holds of what is looked for (the person's data by default)."""
    find = find or found_in
    hits: dict[str, list] = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
        data_dir = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        paths = conn.exec_driver_sql(
            "SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pg_toast') "
            "AND c.relkind IN ('r', 'i', 't') AND pg_relation_filepath(c.oid) IS NOT NULL").all()
    readable = 0
    for name, relative in paths:
        for path in (data_dir / relative).parent.glob(Path(relative).name + "*"):
            try:
                data = path.read_bytes()
            except PermissionError:
                continue
            readable += 1
            if found := find(data):
                hits[name] = found
    if not readable:
        pytest.skip("the PostgreSQL data files are not readable by this user (run as root or postgres)")
    return hits


def _people(world):  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale de Marseille")
    a, b = world.device(structure, "poste-a"), world.device(structure, "poste-b")
    records = Records(a.store, Actor())
    mentee = records.create("mentee", {
        "first_name": FIRST, "last_name": LAST, "email": OLD_EMAIL, "phone": PHONE, "postal_code": "13003",
        "commune": "Marseille", "birth_date": "2005-03-14", "structure_id": structure, "notes": NOTE,
        "consent_given": True}).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2}).record_id
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "notes": NOTE,
                                       "objectives": "Trouver un apprentissage pour Zéphyrine"}).record_id
    records.create("meeting", {"tandem_id": tandem, "summary": f"{NOTE}, elle cherche en cuisine"})
    records.move_tandem(tandem, "ended", outcome="job")
    sync_all([a, b], rounds=1)
    records.update("mentee", mentee, {"email": EMAIL})  # an old value the hub's file once held
    sync_all([a, b], rounds=1)
    assert b.store.get("mentee", mentee)["email"] == EMAIL
    # both devices change the notes at once: the hub and both devices keep a conflict with both values
    records.update("mentee", mentee, {"notes": f"{NOTE}, à rappeler"})
    Records(b.store, Actor()).update("mentee", mentee, {"notes": f"{NOTE}, rappelée"})
    sync_all([a, b], rounds=2)
    assert any(c.record_id == mentee for c in sync_service.list_conflicts(a))
    with world.engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM conflicts WHERE record_id = '{mentee}'").scalar() == 1
    return structure, a, b, mentee, tandem


def test_an_erasure_wins_over_an_offline_edit_and_leaves_no_trace(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _structure, a, b, mentee, tandem = _people(world)
    # b is offline: its counsellor corrects the phone and the tandem's notes
    Records(b.store, Actor()).update("mentee", mentee, {"phone": NEW_PHONE})
    Records(b.store, Actor()).update("tandem", tandem, {"notes": f"{NOTE} (appelée le 3)"})
    # a erases the person at their request and syncs
    changes, erased = Records(a.store, Actor()).erase("mentee", mentee, "request")
    assert erased.marker == {"reason": "request", "on": a.store.today().isoformat(), "department": "13",
                             "age_band": "18–25 ans"}
    assert changes.ids("tandem") == {tandem} and len(changes.ids("meeting")) == 1
    assert sync_service.sync_now(a).refused == 0
    # b comes back online: its edits of what was erased are refused, reported without their value
    report = sync_service.sync_now(b)
    conflicts = [c for c in sync_service.list_conflicts(b) if c.conflict_type == "erased"]
    assert len(conflicts) == 2, conflicts
    assert {c.record_id for c in conflicts} == {mentee, tandem}
    assert all(c.lost_value is None and c.kept_value is None for c in conflicts)
    assert all("effacée" in c.description for c in conflicts)
    assert [c for c in sync_service.list_conflicts(b) if c.conflict_type != "erased"] == []
    assert report.refused == 2
    sync_all([a, b], rounds=1)
    for device in (a, b):
        record = device.store.get("mentee", mentee, include_deleted=True)
        assert record["deleted"] and record["first_name"] is None and record["phone"] is None
        assert record["erased"]["reason"] == "request"
        kept = device.store.get("tandem", tandem)
        assert (kept["status"], kept["outcome"], kept["notes"], kept["objectives"]) == ("ended", "job", None, None)
        assert kept["mentee_id"] == mentee
        with device.store.reading() as conn:
            label = conn.exec_driver_sql("SELECT mentee_id__label FROM tandem WHERE id = ?", (tandem,)).scalar()
            log = conn.exec_driver_sql("SELECT kind, reason FROM erasures WHERE record_id = ?", (mentee,)).all()
        assert label == ERASED_LABEL
        assert [tuple(r) for r in log] == [("mentee", "request")]
        assert sync_service.sync_now(device).mismatches == {}
    assert snapshot(a) == snapshot(b)
    with world.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT kind, reason, linked FROM erasures WHERE record_id = :r"
                                   .replace(":r", "'" + mentee + "'")).one()
    assert tuple(row) == ("mentee", "request", 2)
    # backups made afterwards, then the raw bytes of everything
    for device in (a, b):
        (device.settings.data_dir / "backups").mkdir(exist_ok=True)
        backup_service.backup_profile(device, device.settings.data_dir / "backups" / "after.tandem-backup")
        assert scan_decrypted(device) == {}
        assert scan_files(device.settings.data_dir) == {}
    if world.engine.dialect.name == "sqlite":
        hub_file = Path(world.engine.url.database)
        assert scan_files(hub_file.parent) == {}
    else:
        hub_erasure.vacuum(world.engine)
        assert scan_postgres(world.engine) == {}


def test_an_edit_reaching_the_hub_first_is_still_erased_everywhere(world) -> None:  # type: ignore[no-untyped-def]
    _structure, a, b, mentee, tandem = _people(world)
    Records(b.store, Actor()).update("mentee", mentee, {"phone": NEW_PHONE})
    assert sync_service.sync_now(b).refused == 0  # b's edit arrives first
    Records(a.store, Actor()).erase("mentee", mentee, "retention")  # a erased while offline
    sync_all([a, b], rounds=2)
    for device in (a, b):
        record = device.store.get("mentee", mentee, include_deleted=True)
        assert record["phone"] is None and record["erased"]["reason"] == "retention"
        assert device.store.get("tandem", tandem)["notes"] is None


def test_a_tandem_made_offline_for_an_erased_person_loses_its_notes(world) -> None:  # type: ignore[no-untyped-def]
    _structure, a, b, mentee, _tandem = _people(world)
    mentor = Records(b.store, Actor()).create("mentor", {"first_name": "Paul", "last_name": "Martin"}).record_id
    late = Records(b.store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee,
                                                       "notes": NOTE}).record_id
    Records(a.store, Actor()).erase("mentee", mentee, "request")
    sync_all([a], rounds=1)
    # b's tandem goes (its notes cleared at the hub); the mentee's new status it implied is refused,
    # like any write to an erased person, and said without its value
    assert sync_service.sync_now(b).refused == 1
    refused = [c for c in sync_service.list_conflicts(b) if c.conflict_type == "erased"]
    assert [(c.record_id, c.lost_value) for c in refused] == [(mentee, None)]
    sync_all([a, b], rounds=1)
    for device in (a, b):
        record = device.store.get("tandem", late)
        assert record["notes"] is None and record["erased"]["linked"] is True
        assert device.store.get("mentee", mentee, include_deleted=True)["status"] == "exited"  # as it was erased


def test_erasure_is_refused_for_what_is_not_a_person_and_twice(world) -> None:  # type: ignore[no-untyped-def]
    _structure, a, _b, mentee, tandem = _people(world)
    records = Records(a.store, Actor())
    with pytest.raises(StoreError, match="mentorés et de mentors"):
        records.erase("tandem", tandem, "request")
    records.erase("mentee", mentee, "request")
    with pytest.raises(StoreError, match="déjà été effacée"):
        records.erase("mentee", mentee, "request")
