"""The import service on a real encrypted profile: files of the real world in, rows checked by the
domain's rules, duplicates found, all or nothing, undo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tandem_desktop.domain.kinds import kind_spec
from tandem_desktop.services import imports
from tandem_desktop.services.records import Actor, Records

from .files import HEADERS, PEOPLE, write_csv, write_ods, write_xlsx


def plan_of(store, path: Path, kind: str = "mentee", **options):  # type: ignore[no-untyped-def]
    source, table = imports.read_table(path)
    mapping = imports.guess_mapping(kind_spec(kind), table.headers)
    return imports.prepare(store, kind, table, mapping, file_name=source.file_name, **options)


def names(store, kind: str = "mentee") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((r["last_name"], r["first_name"]) for r in store.live_records(kind))


@pytest.mark.parametrize(("encoding", "delimiter", "bom"), [
    ("utf-8", ";", False), ("utf-8", ",", True), ("cp1252", ";", False), ("iso8859-15", "\t", False),
    ("utf-16", ";", True),
])
def test_a_csv_in_any_common_encoding_and_delimiter_comes_in_with_its_accents(store, tmp_path, encoding,
                                                                              delimiter, bom) -> None:
    path = write_csv(tmp_path / "liste.csv", [HEADERS, *PEOPLE], encoding=encoding, delimiter=delimiter, bom=bom)
    plan = plan_of(store, path)
    assert plan.counts() == {"created": 3, "merged": 0, "skipped": 0, "refused": 0}
    imports.apply_plan(Records(store, Actor()), plan)
    assert names(store) == [("Benali", "Karim"), ("Durand", "Hélène"), ("Œuvray", "Zoé")]
    zoe = next(r for r in store.live_records("mentee") if r["first_name"] == "Zoé")
    assert zoe["trade"] == "Vendeuse « prêt-à-porter »"
    assert zoe["birth_date"] == "2003-08-17"


def test_a_windows_csv_says_what_was_detected(tmp_path) -> None:
    path = write_csv(tmp_path / "liste.csv", [HEADERS, *PEOPLE], encoding="cp1252")
    source, _ = imports.read_table(path)
    assert (source.encoding, source.delimiter) == ("cp1252", ";")
    assert source.notes == ("Encodage détecté\u00a0: Windows-1252 (Excel sous Windows).",
                            "Séparateur détecté\u00a0: point-virgule.")


def test_an_xlsx_with_a_merged_title_and_blank_rows_keeps_the_spreadsheet_row_numbers(store, tmp_path) -> None:
    path = write_xlsx(tmp_path / "liste.xlsx", [HEADERS, *PEOPLE], title="Jeunes suivis — 2025", blank_every=1)
    source, table = imports.read_table(path)
    assert source.sheet == "Mentorés"
    assert table.header_row == 3
    assert [row.number for row in table.rows] == [4, 6, 8]
    plan = plan_of(store, path)
    imports.apply_plan(Records(store, Actor()), plan)
    assert len(store.live_records("mentee")) == 3


def test_excel_values_that_lost_their_form_are_read_back(store, tmp_path) -> None:
    rows = [["Nom", "Prénom", "Téléphone", "Né le", "CP", "Ville"],
            ["Durand", "Hélène", 612345678, 37016, 4100, "Manosque"],
            ["Martin", "Léo", "6 98 76 54 32", "5 avril 2002", 13001, "Marseille"],
            ["Petit", "Inès", "+33 4 91 00 00 00", date(2004, 2, 29), "13001", "Marseille"]]
    plan = plan_of(store, write_xlsx(tmp_path / "valeurs.xlsx", rows))
    assert plan.refused() == []
    values = {row.number: row.values for row in plan.rows}
    assert values[2]["phone"] == "06 12 34 56 78" and values[2]["birth_date"] == "2001-05-05"
    assert values[2]["postal_code"] == "04100"
    assert values[3]["phone"] == "06 98 76 54 32" and values[3]["birth_date"] == "2002-04-05"
    assert values[4]["phone"] == "04 91 00 00 00" and values[4]["birth_date"] == "2004-02-29"


def test_an_ods_is_read_like_an_xlsx(store, tmp_path) -> None:
    rows = [HEADERS, [*PEOPLE[0][:4], date(2001, 4, 5), *PEOPLE[0][5:]]]
    plan = plan_of(store, write_ods(tmp_path / "liste.ods", rows, title="Titre fusionné"))
    assert plan.counts()["created"] == 1
    assert plan.rows[0].number == 4
    assert plan.rows[0].values["birth_date"] == "2001-04-05"


def test_bad_rows_are_refused_with_the_forms_french_messages_and_nothing_is_written(store, tmp_path) -> None:
    rows = [HEADERS, PEOPLE[0],
            ["Sanchez", "", "pas-une-adresse", "12", "31/02/2001", "13001", "Marseille", ""],
            ["Roux", "Léa", "", "", "", "13001", "Paris", ""]]
    plan = plan_of(store, write_csv(tmp_path / "erreurs.csv", rows))
    report = list(imports.report_lines(plan))
    assert (3, "Prénom", "Ce champ est obligatoire.") in report
    assert (3, "E-mail", "Adresse e-mail invalide (exemple\u00a0: prenom.nom@exemple.fr).") in report
    assert any(line[:2] == (3, "Date de naissance") and "février 2001 n’a que 28" in line[2] for line in report)
    assert any(line[:2] == (4, "Commune") and "Commune inconnue" in line[2] for line in report)
    with pytest.raises(imports.ImportRefused, match="2 ligne"):
        imports.apply_plan(Records(store, Actor()), plan)
    assert store.live_records("mentee") == []
    assert imports.list_batches(store) == []


def test_a_refused_report_is_saved_as_csv_and_xlsx(store, tmp_path) -> None:
    from python_calamine import CalamineWorkbook

    rows = [HEADERS, ["Sanchez", "", "", "", "", "", "", ""]]
    plan = plan_of(store, write_csv(tmp_path / "erreurs.csv", rows))
    imports.save_report(plan, tmp_path / "rapport.csv")
    text = (tmp_path / "rapport.csv").read_bytes().decode("utf-8-sig")
    assert text.splitlines()[:2] == ["Ligne;Champ;Message", "2;Prénom;Ce champ est obligatoire."]
    imports.save_report(plan, tmp_path / "rapport.xlsx")
    sheet = CalamineWorkbook.from_path(str(tmp_path / "rapport.xlsx")).get_sheet_by_index(0).to_python()
    assert sheet[1] == [2.0, "Prénom", "Ce champ est obligatoire."]


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_it_is_read(tmp_path, monkeypatch) -> None:
    from tandem_desktop.importing import sources

    path = write_xlsx(tmp_path / "bombe.xlsx", [HEADERS, *PEOPLE])
    monkeypatch.setattr(sources, "MAX_UNPACKED_BYTES", 1000)  # a real bomb: 10 kB unpacking to 10 GB
    with pytest.raises(imports.ImportFileError, match="se décompresse en"):
        imports.read_table(path)


def test_a_sheet_with_a_cell_far_away_is_refused_by_its_size(tmp_path, monkeypatch) -> None:
    from openpyxl import Workbook

    from tandem_desktop.importing import sources

    book = Workbook()
    book.active.append(HEADERS)
    book.active["ZZ5000"] = "loin"
    book.save(tmp_path / "loin.xlsx")
    monkeypatch.setattr(sources, "MAX_CELLS", 1_000_000)
    with pytest.raises(imports.ImportFileError, match="s’étend sur 5000 lignes × 702 colonnes"):
        imports.read_table(tmp_path / "loin.xlsx")


def test_a_two_level_header_reads_its_lower_row(tmp_path) -> None:
    rows = [["Identité", None, "Contact", None], ["Nom", "Prénom", "E-mail", "Téléphone"],
            ["Durand", "Hélène", "h@exemple.fr", "0612345678"]]
    _, table = imports.read_table(write_xlsx(tmp_path / "deux.xlsx", rows))
    assert table.header_row == 2 and table.headers == ("Nom", "Prénom", "E-mail", "Téléphone")
    assert [row.number for row in table.rows] == [3]


def test_control_characters_in_a_cell_are_refused_with_a_french_message(store, tmp_path) -> None:
    rows = [HEADERS, ["Durand\u202egpj.exe", "Hélène", "", "", "", "", "", ""]]
    plan = plan_of(store, write_csv(tmp_path / "piege.csv", rows))
    assert "Caractère d’inversion du sens d’écriture interdit" in plan.rows[0].errors["last_name"]
