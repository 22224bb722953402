"""Erasure on one device: the records about the person refuse their cleared fields here already
(the hub would refuse them), their other fields still change; the words leave the search index."""

from __future__ import annotations

import pytest

from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.queries import ListQuery


def test_a_cleared_field_is_refused_here_and_the_rest_still_changes(store) -> None:  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    mentee = records.create("mentee", {"first_name": "Zéphyrine", "last_name": "Quaglia"}).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2}).record_id
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "notes": "Zéphyrine"}).record_id
    assert [m["id"] for m in store.find("mentee", ListQuery(search="zephyr"))] == [mentee]
    records.erase("mentee", mentee, "request")
    assert store.find("mentee", ListQuery(search="zephyr")) == []
    with pytest.raises(ValidationError) as refused:
        records.update("tandem", tandem, {"notes": "Elle a rappelé"})
    assert refused.value.errors == {"notes": "Fiche liée à une personne effacée\u00a0: ce champ n’est plus conservé."}
    records.move_tandem(tandem, "ended", outcome="training")
    assert (store.get("tandem", tandem)["outcome"], store.get("tandem", tandem)["notes"]) == ("training", None)
    with store.reading() as conn:
        words = b"".join(r[0] or b"" for r in conn.exec_driver_sql("SELECT block FROM mentee_fts_data"))
    assert b"zephyrine" not in words and b"quaglia" not in words


def test_the_import_that_brought_the_person_forgets_its_file_name(store) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.domain.ids import new_id
    from tandem_desktop.store.imports import insert_batch, list_batches

    records = Records(store, Actor())
    mentee = records.create("mentee", {"first_name": "Zéphyrine", "last_name": "Quaglia"}).record_id
    other = records.create("mentee", {"first_name": "Karim", "last_name": "Benali"}).record_id
    insert_batch(store, new_id(), "mentee", "inscription-Quaglia.csv", None, {"created": 1}, {"mentee": [mentee]}, [])
    insert_batch(store, new_id(), "mentee", "liste-octobre.csv", None, {"created": 1}, {"mentee": [other]}, [])
    records.erase("mentee", mentee, "request")
    assert sorted(b.file_name for b in list_batches(store)) == ["(nom du fichier effacé)", "liste-octobre.csv"]
