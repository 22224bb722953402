"""The store: every write lands with its field operations in the outbox, atomically."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.domain.ids import is_record_id
from tandem_desktop.domain.records import clean
from tandem_desktop.store.errors import NotFound
from tandem_desktop.store.queries import ListQuery


def _mentor(store, **extra) -> str:  # type: ignore[no-untyped-def]
    values = {"first_name": "Hélène", "last_name": "Durand", "email": "helene.durand@exemple.fr",
              "employer": "CMA CGM", "capacity": "2", **extra}
    return store.create("mentor", values)


def test_create_appends_one_operation_per_field_set(store) -> None:  # type: ignore[no-untyped-def]
    mentor_id = _mentor(store, notes="Parle aussi arabe")
    assert is_record_id(mentor_id)
    ops = store.outbox_ops()
    assert {op["action"] for op in ops} == {"create"}
    assert {op["record_id"] for op in ops} == {mentor_id}
    by_field = {op["field"]: op for op in ops}
    assert by_field["first_name"]["value"] == "Hélène"
    assert by_field["capacity"]["value"] == 2
    assert by_field["languages"]["value"] == ["français"]  # defaults travel too
    assert by_field["notes"]["value"] == "Parle aussi arabe"
    assert by_field["active"]["value"] is True and by_field["consent_given"]["value"] is False
    # The operations carry exactly the stored record (non-empty fields, typed as JSON).
    record = store.get("mentor", mentor_id)
    assert {f: op["value"] for f, op in by_field.items()} == {
        k: v for k, v in record.items() if v is not None and k not in ("id", "deleted", "updated_hlc", "created_hlc")}
    assert "phone" not in by_field  # an empty field produces no operation
    assert all(op["base_version"] is None for op in ops)
    assert all(op["device_id"] == store.device_id for op in ops)
    assert len({op["op_id"] for op in ops}) == 1  # one write, its operations named (op_id, field)
    assert store.outbox_writes() == 1 and store.outbox_size() == len(ops)
    stamp = ops[0]["hlc"]
    assert all(op["hlc"] == stamp for op in ops) and stamp.endswith(store.device_id)


def test_update_sends_only_changed_fields_with_their_previous_version(store) -> None:  # type: ignore[no-untyped-def]
    mentor_id = _mentor(store)
    created = {op["field"]: op["hlc"] for op in store.outbox_ops()}
    before = store.outbox_writes()
    changes = store.update("mentor", mentor_id, {"employer": "Airbus Helicopters", "last_name": "Durand",
                                                   "phone": "0612345678"})
    assert changes == {"employer": "Airbus Helicopters", "phone": "06 12 34 56 78"}
    ops = store.outbox_ops(after_seq=before)
    assert [(op["action"], op["field"], op["value"]) for op in ops] == [
        ("update", "employer", "Airbus Helicopters"), ("update", "phone", "06 12 34 56 78")]
    assert ops[0]["base_version"] == created["employer"]
    assert ops[1]["base_version"] is None  # the phone had never been set
    assert ops[0]["hlc"] > created["employer"]
    # A second edit of the same field is based on the first edit's version.
    store.update("mentor", mentor_id, {"employer": "RTM"})
    last = store.outbox_ops(after_seq=before + 1)
    assert [(op["field"], op["base_version"]) for op in last] == [("employer", ops[0]["hlc"])]


def test_update_with_no_real_change_writes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    mentor_id = _mentor(store)
    before = store.outbox_size()
    assert store.update("mentor", mentor_id, {"first_name": "Hélène", "email": "helene.durand@EXEMPLE.fr"}) == {}
    assert store.outbox_size() == before


def test_delete_is_a_tombstone_with_one_operation(store) -> None:  # type: ignore[no-untyped-def]
    mentor_id = _mentor(store)
    before = store.outbox_writes()
    store.delete("mentor", mentor_id)
    ops = store.outbox_ops(after_seq=before)
    assert [(op["action"], op["field"], op["value"], op["base_version"]) for op in ops] == [
        ("delete", "deleted", True, None)]
    with pytest.raises(NotFound):
        store.get("mentor", mentor_id)
    tombstone = store.get("mentor", mentor_id, include_deleted=True)
    assert tombstone["deleted"] is True and tombstone["last_name"] == "Durand"
    assert store.count("mentor") == 0
    assert store.find("mentor", ListQuery(search="helene")) == []


def test_deleting_a_tandem_tombstones_its_meetings(store) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.services.records import Actor, Records

    mentee_id = store.create("mentee", {"first_name": "Karim", "last_name": "Benali"})
    records = Records(store, Actor())
    tandem_id = records.create("tandem", {"mentor_id": _mentor(store), "mentee_id": mentee_id}).record_id
    meeting_id = records.add_meeting(tandem_id, {"date": "20/11/2026", "summary": "Premier échange"}).record_id
    with pytest.raises(ValidationError, match="Suppression impossible"):
        store.delete("mentee", mentee_id)  # a live tandem still points at the mentee
    before = store.outbox_writes()
    store.delete("tandem", tandem_id)
    ops = store.outbox_ops(after_seq=before)
    assert [(op["kind"], op["record_id"]) for op in ops] == [("meeting", meeting_id), ("tandem", tandem_id)]
    store.delete("mentee", mentee_id)


def test_a_failed_transaction_leaves_neither_record_nor_outbox_rows(store) -> None:  # type: ignore[no-untyped-def]
    before_ops, before_mentors = store.outbox_size(), store.count("mentor")
    with pytest.raises(RuntimeError), store.transaction():
        _mentor(store)
        store.create("mentee", {"first_name": "Karim", "last_name": "Benali"})
        raise RuntimeError("coupure au milieu de l’enregistrement")
    assert store.outbox_size() == before_ops
    assert store.count("mentor") == before_mentors
    assert store.find("mentor", ListQuery(search="helene")) == []
    with store.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM mentor")).scalar_one() == 0


def test_an_invalid_record_in_a_batch_writes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    rows = [{"first_name": "A", "last_name": "B"}, {"first_name": "C", "last_name": "D", "email": "faux"}]
    with pytest.raises(ValidationError) as info:
        store.create_many("mentee", rows)
    assert "ligne 2 — email" in info.value.errors
    assert store.count("mentee") == 0 and store.outbox_size() == 0


def test_references_must_point_at_live_records(store) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.domain.ids import new_id

    with pytest.raises(ValidationError) as info:
        store.create("tandem", {"mentor_id": new_id(), "mentee_id": new_id()})
    assert set(info.value.errors) == {"mentor_id", "mentee_id"}
    assert "Mentor introuvable" in info.value.errors["mentor_id"]


def test_search_ignores_accents_and_case_and_matches_prefixes(store) -> None:  # type: ignore[no-untyped-def]
    _mentor(store)
    store.create("mentor", {"first_name": "Jérôme", "last_name": "Éluard", "employer": "La Poste"})
    store.create("mentor", {"first_name": "Helena", "last_name": "Martin", "skills": "cuisine, pâtisserie"})
    names = lambda q: sorted(m["first_name"] for m in store.find("mentor", ListQuery(search=q)))  # noqa: E731
    assert names("helene") == ["Hélène"]
    assert names("HEL") == ["Helena", "Hélène"]
    assert names("eluard jer") == ["Jérôme"]
    assert names("patisserie") == ["Helena"]
    assert names("cma") == ["Hélène"]
    assert names("introuvable") == []
    assert store.count("mentor", ListQuery(search="hel")) == 2
    store.update("mentor", store.find("mentor", ListQuery(search="helena"))[0]["id"], {"first_name": "Léa"})
    assert names("helena") == [] and names("lea") == ["Léa"]  # the index follows edits


def test_tandems_are_found_by_the_names_of_their_people(store) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.services.records import Actor, Records

    mentee_id = store.create("mentee", {"first_name": "Karim", "last_name": "Benali"})
    records = Records(store, Actor())
    tandem_id = records.create("tandem", {"mentor_id": _mentor(store), "mentee_id": mentee_id}).record_id
    for query in ("helene", "benali"):
        [row] = store.find("tandem", ListQuery(search=query))
        assert row["id"] == tandem_id
        assert row["mentor_id__label"] == "Hélène Durand" and row["mentee_id__label"] == "Karim Benali"
    assert store.get("mentee", mentee_id)["status"] == "in_tandem"


def test_filters_and_sorting(store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentee", [
        {"first_name": "Zoé", "last_name": "Abadie", "commune": "Marseille", "status": "waiting"},
        {"first_name": "Yanis", "last_name": "Élie", "commune": "Aubagne", "status": "waiting"},
        {"first_name": "Xavier", "last_name": "Durand", "commune": "Marseille", "status": "exited"},
    ])
    natural = [m["last_name"] for m in store.find("mentee", ListQuery())]
    assert natural == ["Abadie", "Durand", "Élie"]  # accents sort as letters, not after Z
    waiting_marseille = store.find("mentee", ListQuery(filters={"status": "waiting", "commune": "Marseille"}))
    assert [m["first_name"] for m in waiting_marseille] == ["Zoé"]
    by_first = store.find("mentee", ListQuery(sort="first_name", descending=True))
    assert [m["first_name"] for m in by_first] == ["Zoé", "Yanis", "Xavier"]
    assert store.distinct_values("mentee", "commune") == ["Aubagne", "Marseille"]
    by_commune = store.find("mentee", ListQuery(sort="commune", descending=True))
    assert [m["commune"] for m in by_commune] == ["Marseille", "Marseille", "Aubagne"]
    page = store.find("mentee", ListQuery(), offset=1, limit=1)
    assert [m["last_name"] for m in page] == ["Durand"]


def test_clock_and_device_survive_a_restart(settings, profile) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.store.profile import open_profile

    _mentor(profile.store)
    last = profile.store.outbox_ops()[-1]["hlc"]
    device = profile.device_id
    profile.close()
    reopened = open_profile(settings)
    try:
        assert reopened.device_id == device
        reopened.store.create("mentee", {"first_name": "A", "last_name": "B"})
        assert reopened.store.outbox_ops()[-1]["hlc"] > last
    finally:
        reopened.close()


def test_a_column_sort_follows_french_order(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """« Éguilles » sorts among the E (it came first in descending order, after « Ventabren »), case
    and ligatures are folded, and an accent only breaks a tie."""
    # Communes as an older version (before the reference-commune rule) or another device stored them.
    monkeypatch.setattr(store, "check_place", lambda commune, postal_code: ({}, {}))
    communes = ["Ventabren", "Éguilles", "eyguières", "Aubagne", "Œuvre-sur-Mer", "Ensuès", "Ensues", "Orgon"]
    store.create_many("mentee", [{"first_name": f"P{i}", "last_name": "Test", "commune": c}
                                 for i, c in enumerate(communes)])
    ascending = [m["commune"] for m in store.find("mentee", ListQuery(sort="commune"))]
    assert ascending == ["Aubagne", "Éguilles", "Ensues", "Ensuès", "eyguières", "Œuvre-sur-Mer", "Orgon",
                         "Ventabren"]
    descending = [m["commune"] for m in store.find("mentee", ListQuery(sort="commune", descending=True))]
    assert descending == ascending[::-1]
    store.create_many("mentee", [{"first_name": "Anne", "last_name": "Œuvray"},
                                 {"first_name": "Paul", "last_name": "Ortiz"}])
    by_name = [m["last_name"] for m in store.find("mentee", ListQuery(sort="last_name")) if m["last_name"] != "Test"]
    assert by_name == ["Œuvray", "Ortiz"]
    assert [m["last_name"] for m in store.find("mentee", ListQuery())][:2] == ["Œuvray", "Ortiz"]


def _written(store, kind: str, ids: list[str]) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    """The rows of records `ids` (without row number, id and stamps) and their outbox rows (record
    named by its position in `ids`, stamp checked against the record's own), in the order of `ids`."""
    with store.reading() as conn:
        rows = {r["id"]: dict(r) for r in conn.execute(text(f"SELECT * FROM {kind}")).mappings()}
        ops = [dict(r) for r in conn.execute(text("SELECT * FROM outbox ORDER BY seq")).mappings()
               if r["record_id"] in ids]
    records = []
    for rid in ids:
        row = rows[rid]
        assert row["updated_hlc"] == row["created_hlc"]
        records.append({k: v for k, v in row.items() if k not in ("row_no", "id", "created_hlc", "updated_hlc")})
    assert [op["record_id"] for op in ops] == ids  # one write per record, in the batch's order
    assert all(op["hlc"] == rows[op["record_id"]]["created_hlc"] for op in ops)
    assert len({op["op_id"] for op in ops}) == len(ops) and all(is_record_id(op["op_id"]) for op in ops)
    return records, [{k: v for k, v in op.items() if k not in ("seq", "op_id", "record_id", "hlc")} for op in ops]


def test_create_many_writes_what_create_writes_one_by_one(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The batch path (domain/batch.py, rows.insert by columns, outbox in one go) against one create
    per record (clean() itself): the same rows, search matches and outbox entries, byte for byte."""
    from tandem_desktop.domain import batch

    structure = store.create("structure", {"name": "Mission locale", "type": "mission_locale",
                                           "commune": "Marseille", "email": "ml@exemple.fr"})
    counsellor = store.create("counsellor", {"first_name": "Nadia", "last_name": "Ferhat",
                                             "structure_id": structure})
    mentees = [
        {"first_name": "Inès", "last_name": "Ben Ali", "email": "Ines.BenAli@Exemple.FR", "commune": "AIX EN PROVENCE",
         "postal_code": "13 100", "skills": ["Vente", "Cuisine", "Vente"], "consent_given": "oui",
         "structure_id": structure.upper(), "counsellor_id": counsellor, "birth_date": "21/06/2001"},
        {"first_name": "Éloïse", "last_name": "Œuvray", "email": None, "commune": "Marseille",
         "postal_code": "13001", "skills": "cuisine; vente, cuisine", "consent_given": False,
         "structure_id": structure, "counsellor_id": None, "birth_date": None},
        {"last_name": "Durand", "first_name": "  Jean   Pierre ", "needs": ["Réseau", "Confiance"],
         "notes": "Ligne 1\r\nLigne 2", "mobility_km": "12", "languages": None, "meeting_modes": ["video"]},
        {"last_name": "Durand", "first_name": "Hélène", "needs": ["Réseau"], "notes": None, "mobility_km": 40,
         "languages": ["français", "arabe"], "meeting_modes": ["in_person", "video"]},
    ]
    cleaned = []
    monkeypatch.setattr(batch, "clean", lambda *a, **k: cleaned.append(1) or clean(*a, **k))
    in_batch = store.create_many("mentee", mentees)
    assert cleaned == []  # the column path, not clean() per record
    one_by_one = [store.create("mentee", raw) for raw in mentees]
    assert len(cleaned) == len(mentees)
    assert _written(store, "mentee", in_batch) == _written(store, "mentee", one_by_one)
    for word in ("ines", "durand", "cuisine", "reseau", "aix", "13001", "oeuvray", "ligne", "jean pierre", "zz"):
        found = {m["id"] for m in store.find("mentee", ListQuery(search=word), 0, 100)}
        assert [i for i, rid in enumerate(in_batch) if rid in found] == \
               [i for i, rid in enumerate(one_by_one) if rid in found], word
    assert len(store.find("mentee", ListQuery(search="durand"))) == 4
    mentor = _mentor(store)
    tandems = [{"mentor_id": mentor, "mentee_id": in_batch[0], "status": "accepted", "objectives": "Premier emploi"},
               {"mentee_id": in_batch[1], "mentor_id": mentor, "structure_id": structure}]
    assert _written(store, "tandem", store.create_many("tandem", tandems)) == \
           _written(store, "tandem", [store.create("tandem", raw) for raw in tandems])


def test_every_connection_checkpoints_the_wal_in_large_steps(store) -> None:  # type: ignore[no-untyped-def]
    """A first sync rewrote the same index pages in each of its hundred commits: a checkpoint every
    1,000 pages (SQLite's default) copied and synced them again each time."""
    from tandem_desktop.store.engine import WAL_CHECKPOINT_PAGES

    with store.reading() as conn:
        reader = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    with store.transaction() as conn:
        writer = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    assert reader == writer == WAL_CHECKPOINT_PAGES >= 8_000


def test_the_page_cache_holds_a_big_profiles_lists_in_one_warm_connection(store) -> None:  # type: ignore[no-untyped-def]
    """At 64 MiB, reading a 100,000-mentee list in its order read and decrypted table pages again
    and again; and a pool lending its connections in turn would warm one cache per connection."""
    from tandem_desktop.store.engine import CACHE_KIB

    with store.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -CACHE_KIB
        assert CACHE_KIB >= 256 * 1024
    first = store.engine.connect()
    second = store.engine.connect()
    first_dbapi, second_dbapi = first.connection.dbapi_connection, second.connection.dbapi_connection
    first.close()
    second.close()  # given back last
    with store.engine.connect() as again:
        assert again.connection.dbapi_connection is second_dbapi is not first_dbapi

def test_a_pulled_list_is_stored_as_a_json_list_of_strings_whatever_its_items() -> None:
    """The memo of list columns must not give the JSON of ["1"] for [1], nor of [1] for [True]."""
    from tandem_desktop.domain.kinds import KINDS
    from tandem_desktop.store import rows

    spec = KINDS["mentee"]
    name = next(f.name for f in spec.fields if f.type.name == "LIST")
    assert rows.column_value(spec, name, ["fr", "en"]) == '["fr","en"]'
    assert rows.column_value(spec, name, ["fr", "en"]) == '["fr","en"]'  # from the memo, the same
    assert rows.column_value(spec, name, ["1"]) == '["1"]'
    assert rows.column_value(spec, name, [1]) == '["1"]'
    assert rows.column_value(spec, name, [True]) == '["True"]'
    assert rows.column_value(spec, name, [{"a": 1}, ["x"]]) == '["{\'a\': 1}","[\'x\']"]'
    assert rows.column_value(spec, name, "fr") is None


def test_delete_many_is_delete_of_each_and_refused_whole_while_one_is_pointed_at(store) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.services.records import Actor, Records

    ids = store.create_many("mentee", [{"first_name": f"Zoé{i}", "last_name": "Martin"} for i in range(4)])
    alone = store.create("mentee", {"first_name": "Inès", "last_name": "Martin"})
    mentor = store.create("mentor", {"first_name": "Paul", "last_name": "Roche"})
    Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": ids[3]})
    writes = store.outbox_writes()
    with pytest.raises(ValidationError, match="Suppression impossible"):
        store.delete_many("mentee", ids)
    assert store.count("mentee") == 5 and store.outbox_writes() == writes

    assert store.delete_many("mentee", [*ids[:3], ids[0], "01900000-0000-7000-8000-000000000000"]) == ids[:3]
    store.delete("mentee", alone)
    assert [r["first_name"] for r in store.find("mentee", ListQuery(search="martin"), 0, 10)] == ["Zoé3"]
    ops = [op for op in store.outbox_ops() if op["action"] == "delete"]
    assert [(op["record_id"], op["field"], op["value"]) for op in ops] == \
        [(rid, "deleted", True) for rid in (*ids[:3], alone)]
    for rid in (*ids[:3], alone):
        with pytest.raises(NotFound):
            store.get("mentee", rid)
        assert store.get("mentee", rid, include_deleted=True)["deleted"] is True
    with pytest.raises(ValueError):
        store.delete_many("tandem", [])
