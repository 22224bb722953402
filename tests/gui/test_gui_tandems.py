"""Drive the real window: propose a tandem through its form, move it along, log meetings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QPushButton
from waiting import loaded, settle

from tandem_desktop.gui.binding import MSG_PICK
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.services.tandems import meetings_of
from tandem_desktop.store.queries import ListQuery

pytestmark = pytest.mark.gui


@pytest.fixture
def people(store):  # type: ignore[no-untyped-def]
    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale"})
    mentors = store.create_many("mentor", [
        {"first_name": "Hélène", "last_name": "Dupont", "employer": "CMA CGM", "commune": "Marseille"},
        {"first_name": "Jean", "last_name": "Martin", "employer": "Airbus Helicopters"},
    ])
    mentees = store.create_many("mentee", [
        {"first_name": "Inès", "last_name": "Haddad", "structure_id": structure, "commune": "La Ciotat"},
        {"first_name": "Kevin", "last_name": "Martinez", "structure_id": structure},
    ])
    return {"structure": structure, "mentors": mentors, "mentees": mentees}


def pick(qtbot, typist, picker, text: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Type part of a name, wait for the store's suggestions, click the wanted one."""
    picker.setFocus()
    typist(picker, text)
    popup = picker.popup()
    qtbot.waitUntil(lambda: popup.isVisible() and popup.model().rowCount() > 0, timeout=3000)
    model = popup.model()
    rows = [model.index(r, 0) for r in range(model.rowCount())]
    wanted = next(i for i in rows if i.data(Qt.ItemDataRole.DisplayRole).startswith(label))
    qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=popup.visualRect(wanted).center())
    assert picker.text() == label


def test_create_a_tandem_and_add_a_meeting(qtbot, typist, window, store, people) -> None:  # type: ignore[no-untyped-def]
    window.show_section("tandem")
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    section = window.section("tandem")
    form = section.form()
    assert form is not None
    pick(qtbot, typist, form.widget("mentee_id"), "ines", "Inès Haddad")
    pick(qtbot, typist, form.widget("mentor_id"), "helene", "Hélène Dupont")
    form.widget("objectives").setFocus()
    typist(form.widget("objectives"), "Trouver un CDI de pâtissière")
    qtbot.keyClick(form.widget("objectives"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)

    tandems = store.find("tandem", ListQuery())
    assert len(tandems) == 1
    tandem = tandems[0]
    assert (tandem["mentee_id"], tandem["mentor_id"], tandem["status"]) == (
        people["mentees"][0], people["mentors"][0], "proposed")
    assert tandem["objectives"] == "Trouver un CDI de pâtissière"
    assert tandem["structure_id"] == people["structure"], "proposed through the service: inherits the structure"
    assert store.get("mentee", people["mentees"][0])["status"] == "in_tandem"

    detail = section.detail()
    assert detail is not None and detail.tandem_id == tandem["id"], "a new tandem opens on its page"
    assert detail.ui.findChild(QLabel, "title_label").text() == "Tandem Inès Haddad – Hélène Dupont"
    assert detail.ui.findChild(QLabel, "status_label").text() == "Proposé"
    assert detail.timeline.item(0).text() == "Aucune rencontre pour l’instant."
    mentees_page = window.section("mentee").list_page
    status_column = [c.name for c in mentees_page.model.columns].index("status")
    row = mentees_page.model.row_of(people["mentees"][0])
    assert not mentees_page.stale and mentees_page.model.index(row, status_column).data() == "En tandem", (
        "the broadcast named the mentee: the hidden mentee list read her row again, in place")
    window.show_section("mentee")
    loaded(qtbot, mentees_page)
    row = mentees_page.model.row_of(people["mentees"][0])
    assert mentees_page.model.index(row, status_column).data() == "En tandem", "other lists refreshed"
    window.show_section("tandem")

    quick = detail.meeting_form.widgets
    quick["date"].clear()
    typist(quick["date"], "12/11/2026")
    quick["mode"].setCurrentIndex(quick["mode"].findText("Visio"))
    quick["summary"].setFocus()
    typist(quick["summary"], "Premier échange : le métier, les horaires.")
    qtbot.mouseClick(detail.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)

    assert detail.timeline.count() == 1
    assert detail.timeline.item(0).text() == "12/11/2026 · Visio\nPremier échange : le métier, les horaires."
    stored = meetings_of(store, tandem["id"])
    assert [(m["date"], m["mode"], m["summary"]) for m in stored] == [
        ("2026-11-12", "video", "Premier échange : le métier, les horaires.")]
    assert quick["summary"].toPlainText() == "", "the quick-add is ready for the next one"
    assert quick["date"].text() == "26/11/2026", "…dated today by default"
    assert window.status_message.text() == "Rencontre ajoutée."

    quick["date"].clear()
    typist(quick["date"], "05/11/2026")
    qtbot.mouseClick(detail.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    quick["date"].clear()
    typist(quick["date"], "20/11/2026")
    qtbot.mouseClick(detail.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    heads = [detail.timeline.item(r).text().split("\n")[0] for r in range(detail.timeline.count())]
    assert heads == ["20/11/2026 · En présentiel", "12/11/2026 · Visio", "05/11/2026 · En présentiel"]
    assert len(meetings_of(store, tandem["id"])) == 3


def test_meeting_quick_add_shows_the_domain_message_and_keeps_the_text(qtbot, typist, window, store, people) -> None:  # type: ignore[no-untyped-def]
    tandem_id = Records(store, Actor()).create(
        "tandem", {"mentor_id": people["mentors"][0], "mentee_id": people["mentees"][0]}).record_id
    section = window.section("tandem")
    window.show_section("tandem")
    section.refresh()
    loaded(qtbot, section.list_page)
    section.open_record(tandem_id)
    detail = section.detail()
    quick = detail.meeting_form.widgets
    quick["date"].clear()
    typist(quick["date"], "31/02/2026")
    quick["summary"].setFocus()
    typist(quick["summary"], "Compte rendu à garder")
    qtbot.mouseClick(detail.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)

    error = detail.quick_add.findChild(QLabel, "error_date")
    assert error.isVisible() and error.text() == "Cette date n’existe pas\u00a0: février 2026 n’a que 28\u00a0jours."
    assert quick["summary"].toPlainText() == "Compte rendu à garder"
    assert meetings_of(store, tandem_id) == []


def test_steps_follow_the_allowed_moves_and_ending_asks_the_outcome(qtbot, window, store, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tandem_id = Records(store, Actor()).create(
        "tandem", {"mentor_id": people["mentors"][1], "mentee_id": people["mentees"][1]}).record_id
    section = window.section("tandem")
    window.show_section("tandem")
    section.refresh()
    loaded(qtbot, section.list_page)
    assert section.list_page.select(tandem_id)
    qtbot.mouseClick(section.list_page.open_button, Qt.MouseButton.LeftButton)
    detail = section.detail()

    def buttons() -> list[str]:
        return [b.text() for b in detail.moves_box.findChildren(QPushButton) if not b.isHidden()]

    assert buttons() == ["Passer à «\u00a0Accepté\u00a0»", "Terminer le tandem…"]
    qtbot.mouseClick(detail.moves_box.findChild(QPushButton, "move_accepted"), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert store.get("tandem", tandem_id)["status"] == "accepted"
    assert detail.ui.findChild(QLabel, "status_label").text() == "Accepté"
    qtbot.waitUntil(lambda: buttons() == ["Passer à «\u00a0Charte signée\u00a0»", "Terminer le tandem…"])

    offered: list[list[str]] = []

    def get_item(parent, title, label, items, *args, **kwargs):  # type: ignore[no-untyped-def]
        offered.append(list(items))
        return "Emploi", True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    qtbot.mouseClick(detail.moves_box.findChild(QPushButton, "move_ended"), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    ended = store.get("tandem", tandem_id)
    assert (ended["status"], ended["outcome"], ended["ended_on"]) == ("ended", "job", "2026-11-26")
    assert offered == [["Emploi", "Formation", "Entreprise créée", "Arrêt anticipé", "Autre"]]
    assert detail.ui.findChild(QLabel, "outcome_label").text() == "Issue\u00a0: Emploi"
    qtbot.waitUntil(lambda: buttons() == [])
    assert store.get("mentee", people["mentees"][1])["status"] == "exited"


def test_a_name_typed_but_not_picked_gets_a_clear_message(qtbot, typist, window, store, people) -> None:  # type: ignore[no-untyped-def]
    window.show_section("tandem")
    window.section("tandem").new_record()
    form = window.section("tandem").form()
    form.widget("mentee_id").setFocus()
    typist(form.widget("mentee_id"), "Personne inconnue")
    assert form.save() is False
    assert form.error_text("mentee_id") == MSG_PICK
    assert store.count("tandem") == 0
