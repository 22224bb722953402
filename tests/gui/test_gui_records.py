"""The window writes through services/records.py: a tandem deleted from the list puts its mentee back on
the waiting list, and a meeting on an ended tandem is refused with the service's French message."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from waiting import loaded, settle

from tandem_desktop.services.records import ENDED_TANDEM_MEETING, Actor, Records
from tandem_desktop.services.tandems import meetings_of

pytestmark = pytest.mark.gui


@pytest.fixture
def pair(store) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "capacity": 2})
    mentee = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad"})
    return mentor, mentee


def _status_shown(window, mentee_id: str) -> str:  # type: ignore[no-untyped-def]
    page = window.section("mentee").list_page
    column = [c.name for c in page.model.columns].index("status")
    return page.model.index(page.model.row_of(mentee_id), column).data()


def test_deleting_a_tandem_from_the_list_puts_the_mentee_back_on_the_waiting_list(
        qtbot, window, store, pair, answer_yes) -> None:  # type: ignore[no-untyped-def]
    mentor, mentee = pair
    tandem = Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    window.show_section("tandem")
    section = window.section("tandem")
    section.refresh()
    loaded(qtbot, section.list_page)
    window.section("mentee").refresh()
    settle(qtbot, window)
    assert _status_shown(window, mentee) == "En tandem"
    assert section.list_page.select(tandem)
    qtbot.mouseClick(section.list_page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)

    assert store.count("tandem") == 0
    assert store.get("mentee", mentee)["status"] == "waiting"
    mentees = window.section("mentee").list_page
    assert not mentees.stale and _status_shown(window, mentee) == "En attente", (
        "the delete's broadcast names the mentee: the hidden list read her row again, in place")
    window.show_section("mentee")
    loaded(qtbot, window.section("mentee").list_page)
    assert _status_shown(window, mentee) == "En attente", "the mentee list follows"
    assert window.status_message.text().endswith("supprimée.")


def test_a_meeting_on_an_ended_tandem_is_refused_in_french(qtbot, typist, window, store, pair) -> None:  # type: ignore[no-untyped-def]
    mentor, mentee = pair
    records = Records(store, Actor())
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    records.move_tandem(tandem, "ended", outcome="job")
    window.show_section("tandem")
    section = window.section("tandem")
    section.refresh()
    loaded(qtbot, section.list_page)
    section.open_record(tandem)
    detail = section.detail()
    quick = detail.meeting_form.widgets
    quick["summary"].setFocus()
    typist(quick["summary"], "Bilan après la fin")
    pending = store.outbox_writes()
    qtbot.mouseClick(detail.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)

    error = detail.quick_add.findChild(QLabel, "error_form")
    assert error is not None and error.isVisible()
    assert ENDED_TANDEM_MEETING in error.text()
    assert quick["summary"].toPlainText() == "Bilan après la fin", "what was typed stays"
    assert meetings_of(store, tandem) == [] and store.outbox_writes() == pending
    detail.grab().save("/tmp/ended_meeting.png")
