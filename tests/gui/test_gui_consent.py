"""The consent group of the mentee and mentor forms: who took it, the text version read, the renewal
and withdrawal dates are shown, typed, saved and read back (structured consent)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from fill import type_into
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QScrollArea
from test_gui_form_fields import open_new_form, save
from test_gui_matching import compute, open_deck, people

from tandem_desktop.domain.kinds import CONSENT_SCOPES
from tandem_desktop.services.records import Actor, Records

pytestmark = pytest.mark.gui
__all__ = ["people"]  # the matching tests' fixture
NBSP = "\u00a0"
MSG_RENEWAL = "La date de renouvellement doit être postérieure à la date du consentement."
NEW_FIELDS = ("consent_by", "consent_text_version", "consent_renewal", "consent_withdrawn_on")


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    os.makedirs("/tmp/shots", exist_ok=True)
    widget.grab().save(f"/tmp/shots/{name}.png")


def _counsellor(store) -> str:  # type: ignore[no-untyped-def]
    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale"})
    return store.create("counsellor", {"first_name": "Nadia", "last_name": "Ferhat", "structure_id": structure})


def _assert_group_fits(form) -> None:  # type: ignore[no-untyped-def]
    """Each consent field has its caption, is as tall as it needs and is not squeezed under its width."""
    group = form.ui.findChild(QGroupBox, "group_consent")
    for name in ("consent_given", "consent_date", "consent_scope", *NEW_FIELDS):
        widget = form.widget(name)
        assert widget.isVisible() and group.isAncestorOf(widget), name
        assert widget.height() >= widget.minimumSizeHint().height(), name
        assert widget.width() >= min(widget.sizeHint().width(), widget.maximumWidth()) - 1, name
    for name in NEW_FIELDS:
        caption = form.ui.findChild(QLabel, f"label_{name}")
        assert caption.isVisible() and caption.width() >= caption.sizeHint().width(), name
    scope = form.widget("consent_scope")
    assert scope.count() == len(CONSENT_SCOPES)
    last = scope.visualItemRect(scope.item(scope.count() - 1))
    assert last.bottom() <= scope.viewport().height(), "every scope, « Photos et témoignages » too, is in view"


@pytest.mark.parametrize("kind", ["mentee", "mentor"])
def test_the_form_shows_and_saves_who_took_the_consent_its_text_and_its_dates(qtbot, typist, window, store,  # type: ignore[no-untyped-def]
                                                                             kind) -> None:
    counsellor = _counsellor(store)
    form = open_new_form(qtbot, window, kind)
    assert [form.ui.findChild(QLabel, f"label_{n}").text() for n in NEW_FIELDS] == [
        "Recueilli par", "Version du texte présenté", "À renouveler le", "Consentement retiré le"]
    picker = form.widget("consent_by")
    assert isinstance(picker, QComboBox) and picker.findData(counsellor) >= 0, "counsellors to pick from"
    type_into(typist, form, "first_name", "Inès")
    type_into(typist, form, "last_name", "Haddad")
    box = form.widget("consent_given")
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert form.widget("consent_given").isChecked()
    given = store.today() - timedelta(days=3)
    type_into(typist, form, "consent_date", given.strftime("%d/%m/%Y"))
    type_into(typist, form, "consent_renewal", (given - timedelta(days=1)).strftime("%d/%m/%Y"))
    picker.setCurrentIndex(picker.findData(counsellor))
    scroll = form.ui.findChild(QScrollArea, "scroll_area")
    scroll.ensureWidgetVisible(form.widget("consent_withdrawn_on"))
    _assert_group_fits(form)
    _shot(form, f"consent_form_{kind}")
    save(qtbot, window)
    assert form.error_text("consent_renewal") == MSG_RENEWAL
    assert store.count(kind) == 0, "nothing written while a date is wrong"
    _shot(form, f"consent_form_{kind}_error")
    renewal = given.replace(year=given.year + 2)
    type_into(typist, form, "consent_renewal", renewal.strftime("%d/%m/%Y"))
    save(qtbot, window)
    assert window.section(kind).form() is None, form.error_text("form")
    [saved] = store.live_records(kind)
    assert (saved["consent_by"], saved["consent_date"], saved["consent_renewal"], saved["consent_text_version"],
            saved.get("consent_withdrawn_on")) == (counsellor, given.isoformat(), renewal.isoformat(), "2026-01", None)

    window.section(kind).edit_record(saved["id"])  # withdrawn: unticked, and the day is filled in
    form = window.section(kind).form()
    assert form.widget("consent_by").currentData() == counsellor
    assert form.widget("consent_text_version").text() == "2026-01"
    assert form.widget("consent_renewal").text() == renewal.strftime("%d/%m/%Y")
    form.widget("consent_given").setChecked(False)
    save(qtbot, window)
    assert window.section(kind).form() is None
    after = store.get(kind, saved["id"])
    assert not after["consent_given"] and after["consent_withdrawn_on"] == store.today().isoformat()
    window.section(kind).edit_record(saved["id"])
    form = window.section(kind).form()
    assert form.widget("consent_withdrawn_on").text() == store.today().strftime("%d/%m/%Y")
    scroll = form.ui.findChild(QScrollArea, "scroll_area")
    scroll.ensureWidgetVisible(form.widget("consent_withdrawn_on"))
    _shot(form, f"consent_form_{kind}_withdrawn")


def test_the_deck_and_the_batch_say_that_the_consent_was_withdrawn_and_when(qtbot, window, store, people) -> None:  # type: ignore[no-untyped-def]
    Records(store, Actor()).update("mentee", people["ines"], {"consent_given": False})
    day = store.today().strftime("%d/%m/%Y")
    deck = open_deck(qtbot, window, "mentee", people["ines"])
    assert deck.current() is None
    assert deck.message_label.text() == (
        f"Aucune suggestion pour Inès Haddad{NBSP}: consentement retiré le {day}.\n"
        f"Sans consentement en cours, aucun mentor ne peut lui être proposé{NBSP}: mettez à jour le consentement "
        "sur sa fiche.")
    _shot(deck, "consent_deck")
    batch = compute(qtbot, window)
    [left] = [row for row in batch.unmatched.rows if row.mentee_id == people["ines"]]
    shown = batch.unmatched.index(batch.unmatched.rows.index(left), 1).data()
    assert f"consentement retiré le {day}" in shown, shown
    assert {p.mentee_id for p in batch.pairs.pairs} == {people["kevin"], people["lina"]}
