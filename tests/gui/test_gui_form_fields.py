"""Form fields a counsellor types into: dates, communes, list pickers (issue 10, point 6)."""

from __future__ import annotations

import pytest
from fill import type_into
from PySide6.QtCore import Qt
from waiting import loaded, settle

pytestmark = pytest.mark.gui


def open_new_form(qtbot, window, kind: str):  # type: ignore[no-untyped-def]
    window.show_section(kind)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.section(kind).form()
    assert form is not None
    return form


def save(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Click « Enregistrer » (offscreen, a closed completer popup can leave no window active for Ctrl+S)."""
    form = next(s.form() for s in window.sections.values() if s.form() is not None and s.currentWidget() is s.form())
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)  # the save runs on the database lane


def test_a_date_that_does_not_exist_is_told_so_under_the_field(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_form(qtbot, window, "mentee")
    type_into(typist, form, "first_name", "Inès")
    type_into(typist, form, "last_name", "Haddad")
    type_into(typist, form, "birth_date", "31/02/2001")
    save(qtbot, window)
    assert form.error_text("birth_date") == "Cette date n’existe pas\u00a0: février 2001 n’a que 28\u00a0jours."
    assert "JJ/MM/AAAA" not in form.error_text("birth_date")
    assert form.widget("birth_date").text() == "31/02/2001", "what was typed stays"
    assert store.count("mentee") == 0
    type_into(typist, form, "birth_date", "28/02/2001")
    save(qtbot, window)
    assert window.section("mentee").form() is None
    assert [r["birth_date"] for r in store.live_records("mentee")] == ["2001-02-28"]


NBSP = "\u00a0"
MARSEILE = f"Commune inconnue{NBSP}: «{NBSP}Marseile{NBSP}». Vouliez-vous dire «{NBSP}Marseille{NBSP}»{NBSP}?"


def click_suggestion(qtbot, popup, starts: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: popup.isVisible() and popup.model().rowCount() > 0, timeout=3000)
    model = popup.model()
    index = next(model.index(r, 0) for r in range(model.rowCount())
                 if model.index(r, 0).data(Qt.ItemDataRole.DisplayRole).startswith(starts))
    qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=popup.visualRect(index).center())


def test_a_mistyped_commune_is_offered_the_right_one(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_form(qtbot, window, "mentee")
    type_into(typist, form, "first_name", "Inès")
    type_into(typist, form, "last_name", "Haddad")
    commune = form.widget("commune")
    type_into(typist, form, "commune", "Marseile")
    popup = commune.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    shown = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert shown[0] == "Marseille — 13001 à 13016", "the typo still finds Marseille, first"
    form.grab().save("/tmp/shots/commune_popup.png")
    click_suggestion(qtbot, popup, "Marseille")
    assert commune.text() == "Marseille"
    assert form.widget("postal_code").placeholderText() == "13001 à 13016"
    type_into(typist, form, "postal_code", "13008")
    save(qtbot, window)
    assert [(r["commune"], r["postal_code"]) for r in store.live_records("mentee")] == [("Marseille", "13008")]


def test_leaving_an_unknown_commune_says_which_one_was_meant_and_save_refuses_it(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_form(qtbot, window, "mentor")
    type_into(typist, form, "first_name", "Hélène")
    type_into(typist, form, "last_name", "Dupont")
    type_into(typist, form, "commune", "Marseile")
    form.widget("commune").popup().hide()
    form.widget("postal_code").setFocus()  # leaves the field, as Tab would
    qtbot.waitUntil(lambda: form.error_text("commune") == MARSEILE, timeout=2000)
    form.grab().save("/tmp/shots/commune_hint.png")
    save(qtbot, window)
    assert window.section("mentor").form() is form and form.error_text("commune") == MARSEILE
    assert form.widget("commune").text() == "Marseile", "nothing typed is lost"
    assert store.count("mentor") == 0
    type_into(typist, form, "commune", "Aubagne")
    click_suggestion(qtbot, form.widget("commune").popup(), "Aubagne")
    assert form.widget("postal_code").text() == "13400", "a commune with one postal code fills it"
    assert form.error_text("commune") == ""
    type_into(typist, form, "postal_code", "13100")
    save(qtbot, window)
    assert form.error_text("postal_code") == "Le code postal 13100 est celui d’Aix-en-Provence, pas d’Aubagne (13400)."
    type_into(typist, form, "postal_code", "13400")
    save(qtbot, window)
    assert [(r["commune"], r["postal_code"]) for r in store.live_records("mentor")] == [("Aubagne", "13400")]


def test_an_old_record_with_an_unknown_commune_opens_and_saves(qtbot, typist, window, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(store, "check_place", lambda commune, postal_code: ({}, {}))
    record_id = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "commune": "Marseile"})
    monkeypatch.undo()
    window.section("mentee").refresh()
    loaded(qtbot, window.section("mentee").list_page)
    window.show_section("mentee")
    window.section("mentee").edit_record(record_id)
    form = window.section("mentee").form()
    assert form.widget("commune").text() == "Marseile"
    type_into(typist, form, "phone", "0612345678")
    save(qtbot, window)
    assert window.section("mentee").form() is None
    assert store.get("mentee", record_id)["phone"] == "06 12 34 56 78"


def test_list_fields_are_chips_picked_from_the_reference_lists(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_form(qtbot, window, "mentee")
    type_into(typist, form, "first_name", "Inès")
    type_into(typist, form, "last_name", "Haddad")
    skills = form.widget("skills")
    assert "Relecture de CV" in skills.options() and "Business plan" in skills.options()
    assert [b.property("value") for b in form.widget("languages").chip_buttons()] == ["français"]
    skills.entry.setFocus()
    typist(skills.entry, "cv")
    click_suggestion(qtbot, skills.entry.completer().popup(), "Relecture de CV")
    qtbot.waitUntil(lambda: skills.entry.text() == "", timeout=2000)
    typist(skills.entry, "Soudure à l’arc")
    qtbot.keyClick(skills.entry, Qt.Key.Key_Return)  # not in the list: free entry
    assert [b.property("value") for b in skills.chip_buttons()] == ["Relecture de CV", "Soudure à l’arc"]
    assert skills.entry.text() == ""
    availability = form.widget("availability")
    availability.entry.setFocus()
    typist(availability.entry, "MERCREDI APRÈS-MIDI")
    qtbot.keyClick(availability.entry, Qt.Key.Key_Return)
    assert availability.items() == ["mercredi après-midi"], "the list's own spelling"
    languages = form.widget("languages")
    languages.entry.setFocus()
    typist(languages.entry, "Arabe ; comorien, ARABE")  # pasted: one chip each, the list's spelling
    languages.entry.completer().popup().hide()
    qtbot.keyClick(languages.entry, Qt.Key.Key_Return)
    assert languages.items() == ["français", "arabe", "comorien"]
    needs = form.widget("needs")
    needs.entry.setFocus()
    typist(needs.entry, "Business plan")  # typed, never confirmed with Entrée: still saved
    form.grab().save("/tmp/shots/list_pickers.png")
    save(qtbot, window)
    record = store.live_records("mentee")[0]
    assert record["skills"] == ["Relecture de CV", "Soudure à l’arc"]
    assert record["availability"] == ["mercredi après-midi"]
    assert record["languages"] == ["français", "arabe", "comorien"]
    assert record["needs"] == ["Business plan"]

    window.section("mentee").edit_record(record["id"])
    form = window.section("mentee").form()
    skills = form.widget("skills")
    assert [b.property("value") for b in skills.chip_buttons()] == ["Relecture de CV", "Soudure à l’arc"]
    assert not form.is_dirty()
    qtbot.mouseClick(skills.chip_buttons()[0], Qt.MouseButton.LeftButton)
    assert form.is_dirty()
    save(qtbot, window)
    assert store.get("mentee", record["id"])["skills"] == ["Soudure à l’arc"]
