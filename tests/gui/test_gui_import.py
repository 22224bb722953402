"""The import dialog driven as a counsellor would, in the real window, on files the tests write: a
Windows-1252 CSV with semicolons, UTF-8, an XLSX with a merged title and blank rows, an ODS, a file
with bad rows and duplicates; all or nothing when the write fails half-way; undo; export of a view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tandem_desktop.domain.kinds import kind_spec
from tandem_desktop.gui.import_dialog import ImportDialog
from tandem_desktop.gui.import_history import ImportHistoryDialog
from tandem_desktop.services import imports
from tandem_desktop.services.records import Records
from tests.imports.files import HEADERS, PEOPLE, fail_writes_at, many_names, write_csv, write_ods, write_xlsx

pytestmark = pytest.mark.gui


def open_dialog(qtbot, window, path) -> ImportDialog:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    window.import_action.trigger()
    dialog = window.import_dialog
    qtbot.waitUntil(lambda: dialog.structure_combo.count() >= 1 and not dialog._busy, timeout=5000)
    dialog.load_file(path)
    qtbot.waitUntil(lambda: dialog.table is not None and not dialog._busy, timeout=5000)
    qtbot.waitUntil(lambda: dialog.preview_table.rowCount() > 0, timeout=5000)
    return dialog


def check_all(qtbot, dialog: ImportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1 and not dialog._busy, timeout=10000)


def import_all(qtbot, dialog: ImportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog._busy, timeout=10000)


def mapped(dialog: ImportDialog) -> dict[str, str]:
    return dialog.mapping_table.mapping()


def test_a_windows_csv_is_detected_mapped_previewed_and_imported(qtbot, window, store, tmp_path) -> None:
    path = write_csv(tmp_path / "jeunes.csv", [HEADERS, *PEOPLE], encoding="cp1252", delimiter=";")
    dialog = open_dialog(qtbot, window, path)
    assert dialog.encoding_combo.currentData() == "cp1252" and dialog.encoding_combo.isEnabled()
    assert dialog.delimiter_combo.currentText() == "point-virgule"
    assert not dialog.sheet_combo.isEnabled()
    assert mapped(dialog)["NOM DE FAMILLE"] == "last_name" and mapped(dialog)["Tél. portable"] == "phone"
    preview = dialog.preview_table
    headers = [preview.horizontalHeaderItem(c).text() for c in range(preview.columnCount())]
    row = {headers[c]: preview.item(2, c).text() for c in range(preview.columnCount())}
    assert row["Nom"] == "Œuvray" and row["Date de naissance"] == "17/08/2003"
    check_all(qtbot, dialog)
    assert "3\u00a0lignes lues\u00a0: 3 à créer" in dialog.summary_label.text()
    import_all(qtbot, dialog)
    assert dialog.result is not None and "Import terminé" in dialog.status_label.text()
    assert sorted(r["first_name"] for r in store.live_records("mentee")) == ["Hélène", "Karim", "Zoé"]
    qtbot.waitUntil(lambda: window.section("mentee").list_page.model.rowCount() == 3, timeout=5000)

    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog._busy and dialog.result is None, timeout=5000)
    assert dialog.status_label.text() == "Import annulé\u00a0: 3 fiche(s) supprimée(s), 0 fusion(s) défaite(s)."
    assert store.live_records("mentee") == []


def test_a_wrong_guess_is_corrected_by_hand_and_saved_as_a_template(qtbot, window, store, tmp_path,
                                                                     monkeypatch) -> None:
    rows = [["Famille", "Prénom", "Adresse"], ["Durand", "Hélène", "helene@exemple.fr"]]
    dialog = open_dialog(qtbot, window, write_csv(tmp_path / "liste.csv", rows))
    assert "Famille" not in mapped(dialog)
    dialog.mapping_table.choose("Famille", "last_name")
    dialog.mapping_table.choose("Adresse", "email")
    monkeypatch.setattr("PySide6.QtWidgets.QInputDialog.getText", lambda *a, **k: ("Liste ML", True))
    qtbot.mouseClick(dialog.save_template_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.template_combo.findData("Liste ML") >= 0, timeout=5000)
    assert imports.list_templates(store, "mentee", "") == {
        "Liste ML": {"Famille": "last_name", "Prénom": "first_name", "Adresse": "email"}}


def test_an_xlsx_with_a_merged_title_and_blank_rows_and_an_ods(qtbot, window, store, tmp_path) -> None:
    from datetime import date

    path = write_xlsx(tmp_path / "jeunes.xlsx", [HEADERS, *PEOPLE], title="Suivi 2025", blank_every=1,
                      extra_sheets=["Notes"])
    dialog = open_dialog(qtbot, window, path)
    assert dialog.sheet_combo.isEnabled() and dialog.sheet_combo.currentText() == "Mentorés"
    assert [dialog.sheet_combo.itemText(i) for i in range(dialog.sheet_combo.count())] == ["Mentorés", "Notes"]
    assert dialog.header_spin.value() == 3 and "3\u00a0lignes à importer" in dialog.notes_label.text()
    check_all(qtbot, dialog)
    import_all(qtbot, dialog)
    assert len(store.live_records("mentee")) == 3
    dialog.close()

    ods = write_ods(tmp_path / "autres.ods", [HEADERS, ["Roux", "Léa", "", "", date(2002, 3, 1), "13005",
                                                        "Marseille", ""]], title="Titre")
    dialog = open_dialog(qtbot, window, ods)
    check_all(qtbot, dialog)
    import_all(qtbot, dialog)
    assert store.count("mentee") == 4


def test_bad_rows_and_duplicates_are_shown_side_by_side_and_decided(qtbot, window, store, tmp_path) -> None:
    records = Records(store, window.records.actor)
    existing = records.create("mentee", {"first_name": "Helene", "last_name": "Durant", "birth_date": "2001-04-05",
                                         "phone": "06 00 00 00 00"}).record_id
    rows = [HEADERS, PEOPLE[0], PEOPLE[1], ["Sans", "", "", "", "", "", "", ""], PEOPLE[1]]
    dialog = open_dialog(qtbot, window, write_csv(tmp_path / "mixte.csv", rows))
    check_all(qtbot, dialog)
    report = dialog.report_table
    assert [report.item(0, c).text() for c in range(3)] == ["4", "Prénom", "Ce champ est obligatoire."]
    assert not dialog.import_button.isEnabled()  # a refused row: nothing is written unless asked
    assert dialog.duplicates_table.rowCount() == 2
    assert "même nom et même date de naissance" in dialog.duplicates_table.item(0, 1).text()
    assert "Doublon de la ligne 3" in dialog.duplicates_table.item(1, 1).text()

    dialog.duplicates_table.combos[0].setCurrentIndex(dialog.duplicates_table.combos[0].findData("merge"))
    compare = dialog.compare_table
    qtbot.waitUntil(lambda: compare.rowCount() > 0)
    side = {compare.item(r, 0).text(): (compare.item(r, 1).text(), compare.item(r, 2).text())
            for r in range(compare.rowCount())}
    assert side["Prénom"] == ("Hélène", "Helene") and side["Téléphone"] == ("06 12 34 56 78", "06 00 00 00 00")
    compare.check("phone", True)
    compare.check("first_name", True)
    dialog.skip_refused.setChecked(True)
    assert dialog.import_button.isEnabled()
    import_all(qtbot, dialog)
    assert dialog.result is not None and dialog.result.counts == {"created": 1, "merged": 1, "skipped": 1,
                                                                   "refused": 1}
    merged = store.get("mentee", existing)
    assert (merged["first_name"], merged["last_name"], merged["phone"]) == ("Hélène", "Durant", "06 12 34 56 78")
    assert merged["email"] == "helene.durand@exemple.fr"  # empty in the record: the file fills it


def test_a_failure_half_way_writes_nothing_and_says_so(qtbot, window, store, tmp_path, monkeypatch) -> None:
    import gc

    dialog = open_dialog(qtbot, window, write_xlsx(tmp_path / "gros.xlsx", many_names(2200)))
    frozen = gc.get_freeze_count()
    check_all(qtbot, dialog)
    # The checked rows leave the collector's sight (gui/heap.py): no young pass scans them whole.
    assert gc.get_freeze_count() >= frozen + 2200 * 3
    calls = fail_writes_at(monkeypatch, 3, "Plus de place sur le disque")
    import_all(qtbot, dialog)
    assert calls == [1000, 1000, 200]
    assert dialog.status_label.text() == "Opération impossible\u00a0: Plus de place sur le disque. Rien n’a été écrit."
    assert store.count("mentee") == 0 and imports.list_batches(store) == []


def test_stop_during_the_import_writes_nothing(qtbot, window, store, tmp_path, monkeypatch) -> None:
    dialog = open_dialog(qtbot, window, write_xlsx(tmp_path / "gros.xlsx", many_names(2200)))
    check_all(qtbot, dialog)
    real = Records.create_many

    def slow(self, kind, values):  # type: ignore[no-untyped-def]
        dialog._cancel.set()  # the counsellor presses « Arrêter » while the first thousand are written
        return real(self, kind, values)

    monkeypatch.setattr(Records, "create_many", slow)
    import_all(qtbot, dialog)
    assert dialog.status_label.text() == "Import arrêté\u00a0: rien n’a été écrit."
    assert store.count("mentee") == 0


def test_the_history_lists_imports_and_undoes_one_after_asking(qtbot, window, store, tmp_path,
                                                               monkeypatch) -> None:
    _, table = imports.read_table(write_csv(tmp_path / "l.csv", [HEADERS, *PEOPLE]))
    plan = imports.prepare(store, "mentee", table, imports.guess_mapping(kind_spec("mentee"), table.headers),
                           file_name="l.csv")
    imports.apply_plan(window.records, plan)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    window.history_action.trigger()
    history: ImportHistoryDialog = window.history_dialog
    qtbot.waitUntil(lambda: history.table.rowCount() == 1, timeout=5000)
    assert history.table.item(0, 2).text() == "l.csv" and history.table.item(0, 3).text() == "3"
    history.table.selectRow(0)
    qtbot.mouseClick(history.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Import annulé" in history.status_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: history.table.item(0, 6).text().startswith("annulé le"), timeout=5000)
    assert store.live_records("mentee") == []


def test_the_list_exports_what_it_shows(qtbot, window, store, tmp_path) -> None:
    from tandem_desktop.services.demo import generate_demo

    generate_demo(store, mentors=5, mentees=80, seed=4)
    window.changes.tell({"mentee"})
    window.show_section("mentee")
    page = window.section("mentee").list_page
    page.search.setText("marseille")
    page.apply_query()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=5000)
    shown = page.model.rowCount()
    messages: list[str] = []
    page.message.connect(messages.append)
    page.export(str(tmp_path / "vue.csv"))
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert messages[0].startswith("Export écrit\u00a0: vue.csv (")
    lines = (tmp_path / "vue.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) - 1 == shown < 80 and lines[0].startswith("Identifiant;Prénom;Nom;")
    QApplication.processEvents()


def test_a_file_imported_twice_shows_a_bounded_table_and_one_decision_for_all(qtbot, window, store,
                                                                              tmp_path) -> None:
    from tandem_desktop.gui.import_views import SHOWN

    path = write_csv(tmp_path / "gros.csv", many_names(SHOWN + 300))
    _, table = imports.read_table(path)
    imports.apply_plan(window.records, imports.prepare(
        store, "mentee", table, imports.guess_mapping(kind_spec("mentee"), table.headers), file_name="gros.csv"))
    dialog = open_dialog(qtbot, window, path)
    check_all(qtbot, dialog)
    assert dialog.duplicates_table.rowCount() == SHOWN  # not 800 rows of widgets on the GUI thread
    assert f"800\u00a0doublons (les {SHOWN} premiers affichés)." in dialog.summary_label.text()
    dialog.all_decisions.setCurrentIndex(dialog.all_decisions.findData("import"))
    dialog.all_decisions.activated.emit(dialog.all_decisions.currentIndex())
    assert dialog.plan.counts() == {"created": 800, "merged": 0, "skipped": 0, "refused": 0}
    assert dialog.duplicates_table.decision(dialog.duplicates_table.rows[-1].number) == "import"


def test_a_file_of_refused_rows_shows_a_bounded_report(qtbot, window, store, tmp_path) -> None:
    from tandem_desktop.gui.import_views import SHOWN

    rows = [HEADERS, *([f"Nom{i}", "", "", "", "", "", "", ""] for i in range(SHOWN + 20))]
    dialog = open_dialog(qtbot, window, write_csv(tmp_path / "faux.csv", rows))
    check_all(qtbot, dialog)
    report = dialog.report_table
    assert report.rowCount() == SHOWN + 1
    assert report.item(SHOWN, 2).text() == ("… et 20 autre(s)\u00a0: «\u00a0Enregistrer le rapport…\u00a0» les donne "
                                            "toutes.")
