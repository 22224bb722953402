"""Form fields a counsellor types into: dates, communes, list pickers (issue 10, point 6)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

pytestmark = pytest.mark.gui


def open_new_form(qtbot, window, kind: str):  # type: ignore[no-untyped-def]
    window.show_section(kind)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.section(kind).form()
    assert form is not None
    return form


def type_into(typist, form, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    widget = form.widget(name)
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.clear()
    typist(widget, text)


def save(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def test_a_date_that_does_not_exist_is_told_so_under_the_field(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    form = open_new_form(qtbot, window, "mentee")
    type_into(typist, form, "first_name", "Inès")
    type_into(typist, form, "last_name", "Haddad")
    type_into(typist, form, "birth_date", "31/02/2001")
    save(qtbot, window)
    assert form.error_text("birth_date") == "Cette date n’existe pas\u00a0: février 2001 n’a que 28\u00a0jours."
    assert "JJ/MM/AAAA" not in form.error_text("birth_date")
    assert form.widget("birth_date").text() == "31/02/2001", "what was typed stays"
    form.grab().save("/tmp/shots/date.png")
    assert store.count("mentee") == 0
    type_into(typist, form, "birth_date", "28/02/2001")
    save(qtbot, window)
    assert window.section("mentee").form() is None
    assert [r["birth_date"] for r in store.live_records("mentee")] == ["2001-02-28"]
