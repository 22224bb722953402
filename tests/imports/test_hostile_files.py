"""Files and arguments a careless or hostile user gives the import (each found by a helper session
trying to break it): a French refusal or the right reading, never a crash, a hang or lost rows."""

from __future__ import annotations

import json
import zipfile

import pytest

from tandem_desktop.services import imports
from tandem_desktop.services.export import export_kind

from ..cli_run import ok, refused, tandem
from .files import HEADERS, PEOPLE, write_csv, write_ods, write_xlsx
from .test_service import plan_of


def test_a_file_mixing_utf8_and_windows_lines_is_read_line_by_line(store, tmp_path) -> None:
    data = "Prénom;Nom;Notes\n".encode()
    data += b"".join(f"Hélène{i};Durand;ok\n".encode() for i in range(50))
    data += "Zoé;Bœuf;« ok »\n".encode("cp1252")
    (tmp_path / "mixte.csv").write_bytes(data)
    source, table = imports.read_table(tmp_path / "mixte.csv")
    assert source.encoding == "utf-8+cp1252"
    assert table.rows[0].cells == ("Hélène0", "Durand", "ok")
    assert table.rows[-1].cells == ("Zoé", "Bœuf", "« ok »")


def test_a_quote_never_closed_is_refused_rather_than_swallowing_the_rows_below(tmp_path) -> None:
    (tmp_path / "q.csv").write_text('Prénom;Nom;Notes\nJean;Dupont;"oops\nAnne;Martin;x\nPaul;Durand;y\n',
                                    encoding="utf-8")
    with pytest.raises(imports.ImportFileError, match="CSV mal formé à la ligne 2"):
        imports.read_table(tmp_path / "q.csv")
    (tmp_path / "ok.csv").write_text('Prénom;Nom;Notes\nJean;Dupont;"deux\nlignes"\nAnne;Martin;x\n', encoding="utf-8")
    _, table = imports.read_table(tmp_path / "ok.csv")
    assert [row.cells for row in table.rows] == [("Jean", "Dupont", "deux\nlignes"), ("Anne", "Martin", "x")]


def test_one_cell_at_the_far_corner_of_a_sheet_is_refused_before_it_is_read(tmp_path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Prénom", "Nom"])
    book.active.append(["Jean", "Dupont"])
    book.active["XFD1048576"] = "x"  # the reader would ask for 549 GB for this 5 kB file
    book.save(tmp_path / "loin.xlsx")
    with pytest.raises(imports.ImportFileError, match="1048576 lignes × 16384 colonnes"):
        imports.read_table(tmp_path / "loin.xlsx")


def test_nan_and_infinite_numbers_in_a_date_column_are_refused_in_french(store, tmp_path) -> None:
    path = write_ods(tmp_path / "nan.ods", [HEADERS, ["Durand", "Hélène", "", "", float("nan"), "", "", ""],
                                            ["Roux", "Léa", "", "", float("inf"), "", "", ""]])
    plan = plan_of(store, path)
    assert [sorted(r.errors) for r in plan.rows] == [["birth_date"], ["birth_date"]]
    assert all("Date invalide" in r.errors["birth_date"] for r in plan.rows)


def test_a_cell_longer_than_the_csv_modules_limit_is_refused_as_too_long(store, tmp_path) -> None:
    (tmp_path / "long.csv").write_text("Prénom;Nom;Notes\nJean;Dupont;" + "x" * 1_048_576 + "\n", encoding="utf-8")
    plan = plan_of(store, tmp_path / "long.csv")
    assert plan.rows[0].errors["notes"].startswith("Texte trop long (1048576 caractères")


def test_the_exports_formula_escape_is_undone_on_the_way_back(store, tmp_path) -> None:
    from tandem_desktop.services.records import Actor, Records

    Records(store, Actor()).create("mentee", {"first_name": "Jean", "last_name": "Dupont", "notes": "=1+1",
                                              "project": "-2 jours par semaine"})
    export_kind(store, "mentee", "csv", tmp_path / "m.csv")
    assert ";'=1+1" in (tmp_path / "m.csv").read_text(encoding="utf-8-sig")
    _, table = imports.read_table(tmp_path / "m.csv")
    row = dict(zip(table.headers, table.rows[0].cells, strict=True))
    assert (row["Notes"], row["Projet"]) == ("=1+1", "-2 jours par semaine")


def test_mapping_files_of_every_shape_are_refused_in_french(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    sheet = write_csv(tmp_path / "l.csv", [HEADERS, *PEOPLE])
    cases = {
        "profond.json": ("[" * 100_000 + "]" * 100_000).encode(),
        "latin.json": '{"Prénom": "first_name"}'.encode("cp1252"),
        "double.json": json.dumps({"Prénom": "first_name", "Nom": "first_name"}).encode(),
    }
    expected = {"profond.json": "ce n’est pas du JSON", "latin.json": "pas enregistré en UTF-8",
                "double.json": "alimenté par deux colonnes"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        assert expected[name] in refused(cli_env, "import", "mentee", str(sheet), "--mapping", str(tmp_path / name))
    bom = tmp_path / "bom.json"
    bom.write_bytes("\ufeff".encode() + json.dumps({"NOM DE FAMILLE": "last_name", "Prénom": "first_name"}).encode())
    assert json.loads(ok(cli_env, "import", "mentee", str(sheet), "--mapping", str(bom), "--dry-run",
                         "--json"))["counts"]["created"] == 3


def test_template_names_are_checked_and_kept_under_the_structure_they_name(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    sheet = write_csv(tmp_path / "l.csv", [HEADERS, *PEOPLE])
    for name in (" ", "x" * 81, "rouge\x1b[31m", "\u202egpj.exe"):
        assert "Nom de modèle invalide" in refused(cli_env, "import", "mentee", str(sheet), "--save-mapping", name)
    assert json.loads(ok(cli_env, "list", "mentee", "--json")) == []
    structure = ok(cli_env, "add", "structure", "name=Mission locale Nord", "type=mission_locale",
                   "commune=Marseille").strip()
    ok(cli_env, "import", "mentee", str(sheet), "--structure", "mission locale nord", "--save-mapping", "ML")
    again = tandem(cli_env, "import", "mentee", str(sheet), "--structure", structure, "--mapping", "ML", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["counts"]["skipped"] == 3


def test_the_report_never_replaces_the_file_being_imported(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    sheet = write_csv(tmp_path / "l.csv", [HEADERS, *PEOPLE])
    before = sheet.read_bytes()
    assert "Le rapport écraserait le fichier importé" in refused(cli_env, "import", "mentee", str(sheet), "--dry-run",
                                                                   "--report", str(sheet))
    assert sheet.read_bytes() == before


def test_missing_required_columns_are_named_with_the_files_headers(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    sheet = write_csv(tmp_path / "l.csv", [["Famille", "Courriel"], ["Durand", "h@exemple.fr"]])
    message = refused(cli_env, "import", "mentee", str(sheet))
    assert "Aucune colonne n’alimente\u00a0: Prénom, Nom." in message and "«\u00a0Famille\u00a0»" in message


def test_a_workbook_that_is_a_zip_of_something_else_is_refused(tmp_path) -> None:
    with zipfile.ZipFile(tmp_path / "faux.xlsx", "w") as archive:
        archive.writestr("bonjour.txt", "pas un classeur")
    with pytest.raises(imports.ImportFileError, match="Classeur illisible"):
        imports.read_table(tmp_path / "faux.xlsx")
    write_xlsx(tmp_path / "titres.xlsx", [HEADERS])
    with pytest.raises(imports.ImportFileError, match="Aucune ligne à importer sous les en-têtes de la ligne 1"):
        imports.read_table(tmp_path / "titres.xlsx")
