"""Duplicates against the database and inside the file, the decisions on them, all-or-nothing writes
(a failure half-way, « Arrêter »), undo of a whole import, and tandems with their meetings."""

from __future__ import annotations

import pytest

from tandem_desktop.importing.duplicates import DuplicateIndex, within_one_edit
from tandem_desktop.services import imports
from tandem_desktop.services.records import Actor, Records

from .files import HEADERS, PEOPLE, fail_writes_at, many_names, write_csv, write_xlsx
from .test_service import names, plan_of

HELENE = {"first_name": "Hélène", "last_name": "Durand", "birth_date": "2001-04-05"}


@pytest.mark.parametrize("other", [
    {"first_name": "HELENE", "last_name": "DURAND"}, {"first_name": "Helene", "last_name": "Durant"},
    {"first_name": "Durand", "last_name": "Hélène"}, {"first_name": "Hélène", "last_name": "Du-rand"},
    {"first_name": "Hléène", "last_name": "Durand"},
])
def test_names_are_the_same_person_forgiving_accents_case_order_and_one_typo(other) -> None:
    index = DuplicateIndex("mentee")
    index.add("id-1", HELENE)
    found = index.find({**other, "birth_date": "2001-04-05"})
    assert [(m.rule, m.target) for m in found] == [("name", "id-1")]


@pytest.mark.parametrize("other", [
    {"first_name": "Hélène", "last_name": "Durand", "birth_date": "2001-04-06"},  # another birth date
    {"first_name": "Hélène", "last_name": "Dupont", "birth_date": "2001-04-05"},  # another name
    {"first_name": "Helene", "last_name": "Durant"},  # no birth date to tell them apart, but a typo
])
def test_a_name_alone_or_another_birth_date_is_someone_else(other) -> None:
    index = DuplicateIndex("mentee")
    index.add("id-1", HELENE)
    assert index.find(other) == []


def test_without_a_birth_date_to_tell_them_apart_the_same_name_is_enough() -> None:
    index = DuplicateIndex("mentee")
    index.add("dated", HELENE)
    index.add("undated", {"first_name": "Karim", "last_name": "Benali"})
    assert [(m.rule, m.target) for m in index.find({"first_name": "HÉLÈNE", "last_name": "durand"})] == \
        [("name_undated", "dated")]
    assert [(m.rule, m.target) for m in index.find({"first_name": "Karim", "last_name": "Benali",
                                                     "birth_date": "2000-11-23"})] == [("name_undated", "undated")]
    mentors = DuplicateIndex("mentor")
    mentors.add("m", {"first_name": "Paul", "last_name": "Roche"})
    assert [m.rule for m in mentors.find({"first_name": "Paul", "last_name": "Roche", "employer": "RTM"})] == \
        ["name_no_employer"]


def test_one_edit_means_one_letter_changed_missing_added_or_two_swapped() -> None:
    assert within_one_edit("durand", "durant") and within_one_edit("durand", "durnd")
    assert within_one_edit("durand", "duranda") and within_one_edit("durand", "udrand")
    assert not within_one_edit("durand", "dupont") and not within_one_edit("durand", "drunad")


def test_duplicates_of_the_database_and_of_the_file_are_found_and_skipped_by_default(store, tmp_path) -> None:
    records = Records(store, Actor())
    existing = records.create("mentee", {"first_name": "Hélène", "last_name": "Durand", "birth_date": "2001-04-05",
                                         "project_type": "job_search"}).record_id
    rows = [HEADERS, PEOPLE[0], PEOPLE[1],
            ["BENALI", "Karim", "", "", "", "", "", ""],  # row 3 by its name: no birth date to tell them apart
            ["Benali", "Karim", "karim.benali@exemple.fr", "", "", "", "", ""],  # same e-mail as row 3
            ["Benali", "Karima", "", "", "", "", "", ""]]  # a name one letter away, undated: someone else
    plan = plan_of(store, write_csv(tmp_path / "doublons.csv", rows))
    duplicates = {row.number: (row.duplicate.rule, row.duplicate.target) for row in plan.duplicates()}
    assert duplicates == {2: ("name", existing), 4: ("name_undated", 3), 5: ("email", 3)}
    assert plan.counts() == {"created": 2, "merged": 0, "skipped": 3, "refused": 0}
    report = list(imports.report_lines(plan))
    assert (2, "", "Doublon de la fiche «\u00a0Hélène Durand\u00a0» (même nom et même date de naissance)\u00a0: "
                   "ligne ignorée.") in report
    imports.apply_plan(records, plan)
    assert names(store) == [("Benali", "Karim"), ("Benali", "Karima"), ("Durand", "Hélène")]


def test_a_merge_fills_the_blanks_or_takes_the_fields_chosen_and_undo_puts_them_back(store, tmp_path) -> None:
    records = Records(store, Actor())
    existing = records.create("mentee", {"first_name": "Hélène", "last_name": "Durand", "phone": "06 00 00 00 00",
                                         "birth_date": "2001-04-05", "project_type": "job_search"}).record_id
    plan = plan_of(store, write_csv(tmp_path / "maj.csv", [HEADERS, PEOPLE[0]]), on_duplicate="merge")
    assert plan.rows[0].decision == "merge"
    result = imports.apply_plan(records, plan)
    merged = store.get("mentee", existing)
    assert merged["email"] == "helene.durand@exemple.fr" and merged["trade"] == "Cuisinière"
    assert merged["phone"] == "06 00 00 00 00"  # not blank: kept, no field chosen
    assert len(store.live_records("mentee")) == 1

    imports.undo_batch(records, result.batch_id)
    back = store.get("mentee", existing)
    assert (back["email"], back["trade"], back["phone"]) == (None, None, "06 00 00 00 00")

    plan = plan_of(store, write_csv(tmp_path / "maj.csv", [HEADERS, PEOPLE[0]]), on_duplicate="merge")
    plan.decide(plan.rows[0].number, "merge", take=frozenset({"phone"}))
    imports.apply_plan(records, plan)
    assert store.get("mentee", existing)["phone"] == "06 12 34 56 78"
    assert store.get("mentee", existing)["email"] is None


def test_undo_keeps_a_field_changed_since_the_import_and_says_so(store, tmp_path) -> None:
    records = Records(store, Actor())
    existing = records.create("mentee", {"first_name": "Hélène", "last_name": "Durand", "birth_date": "2001-04-05",
                                         "project_type": "job_search"}).record_id
    plan = plan_of(store, write_csv(tmp_path / "maj.csv", [HEADERS, PEOPLE[0], PEOPLE[1]]), on_duplicate="merge")
    result = imports.apply_plan(records, plan)
    records.update("mentee", existing, {"trade": "Pâtissière"})
    undone = imports.undo_batch(records, result.batch_id)
    assert (undone.deleted, undone.reverted, undone.kept) == (1, 1, [(existing, "Métier")])
    after = store.get("mentee", existing)
    assert (after["trade"], after["email"]) == ("Pâtissière", None)
    assert names(store) == [("Durand", "Hélène")]  # Karim, created by the import, is gone
    with pytest.raises(imports.DomainError, match="déjà été annulé"):
        imports.undo_batch(records, result.batch_id)


def test_undo_keeps_a_record_it_created_that_was_edited_since(store, tmp_path) -> None:
    records = Records(store, Actor())
    result = imports.apply_plan(records, plan_of(store, write_csv(tmp_path / "l.csv", [HEADERS, *PEOPLE])))
    karim = next(r["id"] for r in store.live_records("mentee") if r["first_name"] == "Karim")
    records.update("mentee", karim, {"trade": "Plombier"})
    undone = imports.undo_batch(records, f" {result.batch_id.upper()} ")
    assert (undone.deleted, undone.kept_records) == (2, [("mentee", karim)])
    assert "1 fiche(s) créée(s) par l’import puis modifiée(s) ont été gardées." in undone.message()
    assert [(r["first_name"], r["trade"]) for r in store.live_records("mentee")] == [("Karim", "Plombier")]


def test_a_failure_half_way_writes_nothing(store, tmp_path, monkeypatch) -> None:
    plan = plan_of(store, write_xlsx(tmp_path / "gros.xlsx", many_names(2500)))
    records = Records(store, Actor())
    calls = fail_writes_at(monkeypatch, 2, "No space left on device")
    with pytest.raises(OSError):
        imports.apply_plan(records, plan)
    assert calls == [1000, 1000]
    assert store.count("mentee") == 0 and imports.list_batches(store) == []
    assert store.outbox_writes() == 0


def test_stopping_writes_nothing(store, tmp_path) -> None:
    plan = plan_of(store, write_xlsx(tmp_path / "gros.xlsx", many_names(2500)))
    seen: list[int] = []
    with pytest.raises(imports.ImportCancelled):
        imports.apply_plan(Records(store, Actor()), plan, progress=lambda done, total: seen.append(done),
                           cancelled=lambda: len(seen) >= 2)
    assert seen == [1000, 2000]
    assert store.count("mentee") == 0 and store.outbox_writes() == 0


def test_undo_keeps_a_person_now_in_a_tandem_and_deletes_the_others(store, tmp_path) -> None:
    records = Records(store, Actor())
    result = imports.apply_plan(records, plan_of(store, write_csv(tmp_path / "l.csv", [HEADERS, *PEOPLE])))
    mentor = records.create("mentor", {"first_name": "Paul", "last_name": "Roche", "capacity": 1}).record_id
    mentee = next(r["id"] for r in store.live_records("mentee") if r["first_name"] == "Karim")
    records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee})  # Karim is now « en tandem »
    undone = imports.undo_batch(records, result.batch_id)
    assert (undone.deleted, undone.kept_records) == (2, [("mentee", mentee)])
    assert [r["first_name"] for r in store.live_records("mentee")] == ["Karim"]


def test_undo_is_refused_whole_when_a_record_it_created_is_now_pointed_at(store, tmp_path) -> None:
    records = Records(store, Actor())
    rows = [["Nom", "Type", "Commune", "Code postal"], ["ML Nord", "Mission locale", "Marseille", "13013"],
            ["ML Sud", "Mission locale", "Marseille", "13008"]]
    result = imports.apply_plan(records, plan_of(store, write_csv(tmp_path / "s.csv", rows), "structure"))
    north = next(r["id"] for r in store.live_records("structure") if r["name"] == "ML Nord")
    records.create("mentee", {"first_name": "Léa", "last_name": "Roux", "structure_id": north})
    with pytest.raises(imports.DomainError, match="Rien n’a été annulé") as refused:
        imports.undo_batch(records, result.batch_id)
    assert "d’abord)." in str(refused.value) and ".)" not in str(refused.value)
    assert len(store.live_records("structure")) == 2
    assert imports.get_batch(store, result.batch_id).undone_at is None


def test_tandems_and_their_meetings_come_in_linked_by_e_mail_or_by_name(store, tmp_path) -> None:
    records = Records(store, Actor())
    imports.apply_plan(records, plan_of(store, write_csv(tmp_path / "jeunes.csv", [HEADERS, *PEOPLE])))
    mentors = [["Nom", "Prénom", "E-mail", "Entreprise", "Capacité"],
               ["Roche", "Paul", "paul.roche@exemple.fr", "CMA CGM", 2], ["Nguyen", "Lan", "", "Orange", 1]]
    imports.apply_plan(records, plan_of(store, write_csv(tmp_path / "mentors.csv", mentors), "mentor"))
    tandems = [["Mentor", "Mentoré", "Étape", "Date de début"],
               ["paul.roche@exemple.fr", "Hélène Durand", "Actif", "02/09/2025"],
               ["Lan Nguyen", "karim.benali@exemple.fr", "accepte", ""],
               ["Inconnu Total", "Zoé Œuvray", "Actif", ""]]
    plan = plan_of(store, write_csv(tmp_path / "tandems.csv", tandems), "tandem")
    assert [(r.number, sorted(r.errors)) for r in plan.refused()] == [(4, ["mentor_id"])]
    assert "Mentor introuvable" in plan.row(4).errors["mentor_id"]
    imports.apply_plan(records, plan, skip_refused=True)
    live = {(t["status"], t.get("started_on")) for t in store.live_records("tandem")}
    assert live == {("active", "2025-09-02"), ("accepted", None)}
    helene = next(r for r in store.live_records("mentee") if r["first_name"] == "Hélène")
    assert helene["status"] == "in_tandem"

    meetings = [["Mentor", "Mentoré·e", "Date", "Modalité", "Compte rendu"],
                ["Paul Roche", "helene.durand@exemple.fr", "16/09/2025", "Visio", "Premier échange"],
                ["Paul Roche", "Zoé Œuvray", "17/09/2025", "", ""]]
    plan = plan_of(store, write_csv(tmp_path / "rencontres.csv", meetings), "meeting")
    assert plan.row(3).errors == {"": "Aucun tandem ne réunit ce mentor et ce ou cette mentoré·e\u00a0: "
                                      "importez d’abord le tandem."}
    result = imports.apply_plan(records, plan, skip_refused=True)
    [meeting] = store.live_records("meeting")
    assert (meeting["date"], meeting["mode"], meeting["summary"]) == ("2025-09-16", "video", "Premier échange")
    assert result.counts == {"created": 1, "merged": 0, "skipped": 0, "refused": 1}


def test_a_row_merged_into_an_earlier_row_of_the_file_completes_it(store, tmp_path) -> None:
    rows = [HEADERS, ["Benali", "Karim", "karim.benali@exemple.fr", "", "", "", "", ""],
            ["BENALI", "Karim", "karim.benali@exemple.fr", "06 98 76 54 32", "", "", "", "Électricien"]]
    plan = plan_of(store, write_csv(tmp_path / "deux.csv", rows), on_duplicate="merge")
    assert (plan.row(3).decision, plan.row(3).duplicate.target) == ("merge", 2)
    assert plan.counts() == {"created": 1, "merged": 1, "skipped": 0, "refused": 0}
    imports.apply_plan(Records(store, Actor()), plan)
    [karim] = store.live_records("mentee")
    assert (karim["last_name"], karim["phone"], karim["trade"]) == ("Benali", "06 98 76 54 32", "Électricien")


def test_a_merge_the_domain_refuses_names_its_row_and_writes_nothing(store, tmp_path) -> None:
    records = Records(store, Actor())
    existing = records.create("mentee", {"first_name": "Hélène", "last_name": "Durand", "birth_date": "2001-04-05",
                                         "commune": "Manosque"}).record_id
    plan = plan_of(store, write_csv(tmp_path / "maj.csv", [HEADERS, PEOPLE[0], PEOPLE[1]]), on_duplicate="merge")
    plan.decide(2, "merge", take=frozenset({"postal_code"}))  # 13001 is not Manosque's
    with pytest.raises(imports.ImportRefused, match="Ligne 2\u00a0: la fusion est refusée \\(Code postal"):
        imports.apply_plan(records, plan)
    assert store.count("mentee") == 1 and store.get("mentee", existing)["postal_code"] is None
    assert imports.list_batches(store) == []


def test_a_record_deleted_between_the_check_and_the_import_refuses_it_whole(store, tmp_path) -> None:
    records = Records(store, Actor())
    existing = records.create("mentee", {"first_name": "Hélène", "last_name": "Durand",
                                         "birth_date": "2001-04-05"}).record_id
    plan = plan_of(store, write_csv(tmp_path / "maj.csv", [HEADERS, PEOPLE[0], PEOPLE[1]]), on_duplicate="merge")
    records.delete("mentee", existing)  # as a pulled page would
    with pytest.raises(imports.ImportRefused, match="Des fiches ont changé depuis la vérification"):
        imports.apply_plan(records, plan)
    assert store.count("mentee") == 0
