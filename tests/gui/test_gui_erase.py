"""« Effacer les données personnelles… » in a person's form: asked twice, then erased on the
database lane; the list loses the row, the tandem page shows « Personne effacée »."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QMessageBox, QPushButton

from tandem_desktop.domain.erasure import ERASED_LABEL
from tandem_desktop.services.records import Actor, Records

PERSON = {"first_name": "Zéphyrine", "last_name": "Quaglia", "email": "zq@exemple.fr", "phone": "0611223344",
          "postal_code": "13003", "birth_date": "2005-03-14"}


def _people(store):  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    mentee = records.create("mentee", PERSON).record_id
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 2}).record_id
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "notes": "Zéphyrine, ASE"}).record_id
    return mentee, tandem


def _answer_first_dialog(qtbot, reason_index: int, accept: bool, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "erase_dialog":
            QTimer.singleShot(20, act)
            return
        seen.append(dialog.windowTitle())
        dialog.findChild(QComboBox, "erase_reason").setCurrentIndex(reason_index)
        if accept:
            dialog.findChild(QPushButton, "erase_continue").click()
        else:
            dialog.reject()

    QTimer.singleShot(0, act)


def _second_answer(monkeypatch, answer: QMessageBox.StandardButton, asked: list[str]) -> None:  # type: ignore[no-untyped-def]
    def warning(parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))


def test_erasing_from_the_form_asks_twice_then_clears_everywhere_in_the_window(
        qtbot, window, store, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mentee, tandem = _people(store)
    window.show_section("mentee")
    section = window.section("mentee")
    section.list_page.refresh()
    qtbot.waitUntil(lambda: section.list_page.model.rowCount() == 1, timeout=3000)
    section.edit_record(mentee)
    button = section.form().erase_button
    assert button is not None and button.isVisible() and button.text() == "Effacer les données personnelles…"
    seen: list[str] = []
    asked: list[str] = []
    _answer_first_dialog(qtbot, 1, True, seen)  # « Durée de conservation dépassée »
    _second_answer(monkeypatch, QMessageBox.StandardButton.Yes, asked)
    button.click()
    runner.wait()
    qtbot.waitUntil(lambda: section.form() is None, timeout=3000)
    assert seen == ["Effacer les données personnelles"]
    assert asked and "définitivement" in asked[0] and "Zéphyrine" in asked[0]
    record = store.get("mentee", mentee, include_deleted=True)
    assert record["erased"]["reason"] == "retention" and record["first_name"] is None
    assert store.get("tandem", tandem)["notes"] is None
    qtbot.waitUntil(lambda: section.list_page.model.rowCount() == 0, timeout=3000)
    assert window.status_message.text().startswith("Données personnelles effacées")
    tandems = window.section("tandem")
    window.show_section("tandem")
    tandems.list_page.refresh()
    qtbot.waitUntil(lambda: tandems.list_page.model.rowCount() == 1, timeout=3000)
    shown = [tandems.list_page.model.index(0, c).data() for c in range(tandems.list_page.model.columnCount())]
    assert ERASED_LABEL in shown and not any("Zéphyrine" in str(v) for v in shown)


def test_no_at_either_question_erases_nothing(qtbot, window, store, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mentee, _tandem = _people(store)
    window.show_section("mentee")
    section = window.section("mentee")
    section.edit_record(mentee)
    asked: list[str] = []
    _answer_first_dialog(qtbot, 0, False, [])
    section.form().erase_button.click()
    _answer_first_dialog(qtbot, 0, True, [])
    _second_answer(monkeypatch, QMessageBox.StandardButton.No, asked)
    section.form().erase_button.click()
    runner.wait()
    assert len(asked) == 1  # the first « Annuler » never reached the second question
    assert store.get("mentee", mentee)["first_name"] == "Zéphyrine"
    assert section.form() is not None


def test_only_people_have_the_button_and_only_once_saved(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    _mentee, _tandem = _people(store)
    section = window.section("mentee")
    section.new_record()
    assert section.form().erase_button is None
    structures = window.section("structure")
    structure = Records(store, Actor()).create("structure", {"name": "Mission locale"}).record_id
    structures.edit_record(structure)
    assert structures.form().erase_button is None
