"""Drive the real window: create a mentor through the form, see inline messages, search, edit, delete."""

from __future__ import annotations

import pytest
from fill import type_into
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from waiting import loaded, settle

from tandem_desktop.domain.validation import MSG_EMAIL, MSG_REQUIRED
from tandem_desktop.store.queries import ListQuery

pytestmark = pytest.mark.gui


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):  # type: ignore[no-untyped-def]
    """A key press as the counsellor makes it: to the widget that has the focus."""
    target = window.focusWidget() or window
    qtbot.keyClick(target, key, modifier)
    settle(qtbot, window)


def open_new_mentor_form(qtbot, window):  # type: ignore[no-untyped-def]
    window.show_section("mentor")
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.section("mentor").form()
    assert form is not None, "Ctrl+N opens the new-mentor form"
    return form


def test_create_mentor_through_the_form(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_mentor_form(qtbot, window)
    assert form.ui.findChild(QLabel, "title_label").text() == "Nouveau mentor"
    type_into(typist, form, "first_name", "Hélène")
    type_into(typist, form, "last_name", "Dupont")
    type_into(typist, form, "email", "helene.dupont@exemple.fr")
    type_into(typist, form, "phone", "0612345678")
    type_into(typist, form, "employer", "CMA CGM")
    type_into(typist, form, "commune", "Gémenos")
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert window.section("mentor").form() is None, "a successful save closes the form"
    rows = store.find("mentor", ListQuery())
    assert [(r["first_name"], r["last_name"], r["email"], r["phone"], r["employer"]) for r in rows] == [
        ("Hélène", "Dupont", "helene.dupont@exemple.fr", "06 12 34 56 78", "CMA CGM")
    ]
    page = window.section("mentor").list_page
    assert page.model.rowCount() == 1
    assert page.selected_id() == rows[0]["id"], "the saved record is selected in the list"
    assert window.status_message.text() == "Fiche «\u00a0Hélène Dupont\u00a0» enregistrée."
    qtbot.waitUntil(lambda: window.status_count.text() == "1 mentor")
    communes = page.filters["commune"]
    assert [communes.itemText(i) for i in range(communes.count())] == ["Toutes les communes", "Gémenos"]


def test_invalid_email_is_shown_inline_and_nothing_typed_is_lost(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_mentor_form(qtbot, window)
    type_into(typist, form, "first_name", "Hélène")
    type_into(typist, form, "email", "helene.dupont@@exemple")
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    error_email = form.ui.findChild(QLabel, "error_email")
    assert error_email.isVisible()
    assert error_email.text() == MSG_EMAIL
    assert form.error_text("last_name") == MSG_REQUIRED
    assert form.error_text("first_name") == ""
    assert window.section("mentor").form() is form, "the form stays open"
    assert form.widget("first_name").text() == "Hélène"
    assert form.widget("email").text() == "helene.dupont@@exemple"
    assert store.count("mentor") == 0

    type_into(typist, form, "email", "helene.dupont@exemple.fr")
    type_into(typist, form, "last_name", "Dupont")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert window.section("mentor").form() is None
    assert store.find("mentor", ListQuery())[0]["email"] == "helene.dupont@exemple.fr"


def test_search_as_you_type_ignores_accents(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentor", [
        {"first_name": "Hélène", "last_name": "Dupont", "commune": "Marseille"},
        {"first_name": "Jean", "last_name": "Martin", "commune": "Aubagne"},
        {"first_name": "Helena", "last_name": "Costa", "commune": "Aix-en-Provence"},
    ])
    window.section("mentor").refresh()
    loaded(qtbot, window.section("mentor").list_page)
    page = window.section("mentor").list_page
    assert page.model.rowCount() == 3

    press(qtbot, window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus(), "Ctrl+F puts the cursor in the search field"
    typist(page.search, "helene")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2000)
    assert page.model.index(0, 0).data() == "Dupont"
    assert page.model.index(0, 1).data() == "Hélène"
    qtbot.waitUntil(lambda: window.status_count.text() == "1 mentor sur 3")

    press(qtbot, window, Qt.Key.Key_Escape)
    assert page.search.text() == ""
    assert page.model.rowCount() == 3


def test_edit_mentor(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    mentor_id = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "employer": "CMA CGM"})
    section = window.section("mentor")
    section.refresh()
    loaded(qtbot, section.list_page)
    page = section.list_page
    assert page.select(mentor_id)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    form = section.form()
    assert form is not None and form.record_id == mentor_id
    assert form.widget("employer").text() == "CMA CGM"
    assert form.ui.findChild(QLabel, "title_label").text() == "Mentor — Hélène Dupont"

    type_into(typist, form, "employer", "Airbus Helicopters")
    form.widget("capacity").setValue(3)
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert section.form() is None
    saved = store.get("mentor", mentor_id)
    assert (saved["employer"], saved["capacity"], saved["first_name"]) == ("Airbus Helicopters", 3, "Hélène")
    column = page.model.columns.index(page.model.spec.by_name["employer"])
    assert page.model.index(page.model.row_of(mentor_id), column).data() == "Airbus Helicopters"


def test_delete_mentor_asks_first(qtbot, window, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mentor_id = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
    section = window.section("mentor")
    section.refresh()
    loaded(qtbot, section.list_page)
    page = section.list_page
    page.select(mentor_id)

    asked: list[str] = []
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])

    def question(parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert store.count("mentor") == 1, "answering « Non » keeps the record"
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert store.count("mentor") == 0
    assert asked[0] == ("Supprimer la fiche «\u00a0Hélène Dupont\u00a0»\u00a0? "
                        "Cette action ne peut pas être annulée.")
    assert page.model.rowCount() == 0
    assert window.status_message.text() == "Fiche «\u00a0Hélène Dupont\u00a0» supprimée."


def test_refused_delete_shows_the_domain_message(qtbot, window, store, answer_yes, warnings) -> None:  # type: ignore[no-untyped-def]
    structure_id = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale"})
    store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "structure_id": structure_id})
    window.show_section("structure")
    section = window.section("structure")
    section.refresh()
    loaded(qtbot, section.list_page)
    section.list_page.select(structure_id)
    qtbot.mouseClick(section.list_page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)

    assert store.count("structure") == 1
    assert warnings == [
        "Suppression impossible\u00a0: 1 fiche(s) «\u00a0Mentor\u00a0» y font référence. "
        "Supprimez-les ou modifiez-les d’abord."
    ]


def test_escape_closes_the_form_but_asks_when_something_was_typed(qtbot, typist, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    form = open_new_mentor_form(qtbot, window)
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.section("mentor").form() is None, "an untouched form closes at once"

    form = open_new_mentor_form(qtbot, window)
    type_into(typist, form, "first_name", "Hélène")
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No))
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.section("mentor").form() is form, "« Non » keeps the form and what was typed"
    assert form.widget("first_name").text() == "Hélène"
    assert asked == ["Les modifications en cours ne sont pas enregistrées. Les abandonner\u00a0?"]


def test_ctrl_s_without_a_form_changes_nothing(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert store.count("mentor") == 0
    assert window.status_message.text() == "Aucune fiche ouverte à enregistrer."
