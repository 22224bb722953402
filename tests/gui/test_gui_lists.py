"""The list pages: lazy fetching, display of values, sort, filters; one instance per profile."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from waiting import loaded

from tandem_desktop.gui.table_model import PAGE_SIZE, RecordTableModel
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.errors import ProfileLocked
from tandem_desktop.store.profile import open_profile

pytestmark = pytest.mark.gui

COMMUNES = ["Marseille", "Aubagne", "La Ciotat"]


@pytest.fixture
def many_mentees(store):  # type: ignore[no-untyped-def]
    structures = store.create_many("structure", [
        {"name": "Mission locale de Marseille", "type": "mission_locale"},
        {"name": "Adie Provence", "type": "adie"},
    ])
    rows = [
        {
            "first_name": f"Prénom{i:03d}",
            "last_name": f"Nom{i:03d}",
            "commune": COMMUNES[i % 3],
            "status": "waiting" if i % 4 else "exited",
            "project_type": "business_creation" if i % 5 == 0 else "job_search",
            "structure_id": structures[i % 2] if i % 10 else None,
        }
        for i in range(600)
    ]
    store.create_many("mentee", rows)
    return structures


def test_model_fetches_lazily_page_by_page(qapp, store, many_mentees) -> None:  # type: ignore[no-untyped-def]
    model = RecordTableModel(store, "mentee")
    assert PAGE_SIZE == 200
    assert model.rowCount() == 200
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 400
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 600
    model.fetchMore(QModelIndex())  # the last page was full: one more look finds the end
    assert model.rowCount() == 600
    assert not model.canFetchMore(QModelIndex())
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == sorted(names) and len(set(names)) == 600


def test_window_list_starts_with_one_page(qtbot, many_mentees, window) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    page = window.section("mentee").list_page
    assert page.model.rowCount() == 200
    qtbot.waitUntil(lambda: window.status_count.text() == "600 mentorés")
    page.table.scrollToBottom()  # the view asks for more rows as it reaches the end
    qtbot.waitUntil(lambda: page.model.rowCount() > 200, timeout=2000)


def test_values_are_shown_in_french(qapp, store) -> None:  # type: ignore[no-untyped-def]
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "capacity": 2, "active": False})
    mentee = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "project_type": "business_creation"})
    tandem = Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    Records(store, Actor()).move_tandem(tandem, "ended", outcome="business_created")

    mentors = RecordTableModel(store, "mentor")
    header = [mentors.headerData(c, Qt.Orientation.Horizontal) for c in range(mentors.columnCount())]
    assert header == ["Nom", "Prénom", "Employeur", "Métier", "Commune", "Capacité", "Actif·ve"]
    assert mentors.headerData(5, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "Capacité (mentorés en même temps)")
    assert [mentors.index(0, c).data() for c in range(mentors.columnCount())] == [
        "Dupont", "Hélène", "", "", "", "2", "Non"]

    mentees = RecordTableModel(store, "mentee")
    assert mentees.index(0, 2).data() == "Création d’entreprise"
    assert mentees.index(0, 5).data() == "Sorti·e", "her only tandem ended"

    tandems = RecordTableModel(store, "tandem")
    assert [tandems.index(0, c).data() for c in range(tandems.columnCount())] == [
        "Inès Haddad", "Hélène Dupont", "Terminé", "26/11/2026", "Entreprise créée"]


def test_sorting_is_done_by_the_store(qapp, store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentor", [
        {"first_name": "Zoé", "last_name": "Arnaud", "capacity": 1},
        {"first_name": "Élodie", "last_name": "Blanc", "capacity": 3},
        {"first_name": "Marc", "last_name": "Chevalier", "capacity": 2},
    ])
    model = RecordTableModel(store, "mentor")
    capacity = [c.name for c in model.columns].index("capacity")
    model.sort(capacity, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, 0).data() for r in range(3)] == ["Blanc", "Chevalier", "Arnaud"]
    assert model.query.sort == "capacity" and model.query.descending
    model.sort(-1)
    assert [model.index(r, 0).data() for r in range(3)] == ["Arnaud", "Blanc", "Chevalier"]


def test_filters_by_status_structure_and_commune(qtbot, store, many_mentees, window) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    page = window.section("mentee").list_page
    assert set(page.filters) == {"status", "structure_id", "commune"}
    communes = [page.filters["commune"].itemText(i) for i in range(page.filters["commune"].count())]
    assert communes == ["Toutes les communes", "Aubagne", "La Ciotat", "Marseille"]
    statuses = [page.filters["status"].itemText(i) for i in range(page.filters["status"].count())]
    assert statuses == ["Tous les statuts", "En attente", "En tandem", "Sorti·e"]

    page.set_filter("status", "exited")
    assert page.model.query.filters == {"status": "exited"}
    qtbot.waitUntil(lambda: window.status_count.text() == "150 mentorés sur 600")
    page.set_filter("commune", "Aubagne")
    loaded(qtbot, page)
    page.model.fetchMore(QModelIndex())
    loaded(qtbot, page)
    status = [c.name for c in page.model.columns].index("status")
    commune = [c.name for c in page.model.columns].index("commune")
    rows = [(page.model.index(r, status).data(), page.model.index(r, commune).data())
            for r in range(page.model.rowCount())]
    assert rows and set(rows) == {("Sorti·e", "Aubagne")}
    assert len(rows) == store.count("mentee", page.model.query) == 50

    page.set_filter("status", None)
    page.set_filter("commune", None)
    page.set_filter("structure_id", many_mentees[1])
    assert store.count("mentee", page.model.query) == 300  # odd numbers
    qtbot.waitUntil(lambda: window.status_count.text() == "300 mentorés sur 600")
    page.set_filter("structure_id", "__none__")
    qtbot.waitUntil(lambda: window.status_count.text() == "60 mentorés sur 600")
    structures = [page.filters["structure_id"].itemText(i) for i in range(page.filters["structure_id"].count())]
    assert structures == ["Toutes les structures", "Adie Provence", "Mission locale de Marseille", "Sans structure"]


def test_mentor_filter_by_active_flag(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentor", [
        {"first_name": "Hélène", "last_name": "Dupont", "active": True},
        {"first_name": "Jean", "last_name": "Martin", "active": False},
    ])
    page = window.section("mentor").list_page
    page.refresh()
    loaded(qtbot, page)
    page.set_filter("active", False)
    loaded(qtbot, page)
    assert [page.model.index(r, 0).data() for r in range(page.model.rowCount())] == ["Martin"]
    page.set_filter("active", True)
    loaded(qtbot, page)
    assert [page.model.index(r, 0).data() for r in range(page.model.rowCount())] == ["Dupont"]


def test_a_second_open_of_the_profile_is_refused_while_the_window_is_open(window, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileLocked) as caught:
        open_profile(settings)
    assert "déjà ouvert dans une autre fenêtre" in str(caught.value)
    assert window.isVisible()


def test_clicking_a_column_header_sorts_in_french_order(qtbot, store, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """« Éguilles » came first in descending order (after « Ventabren »): it sorts among the E."""
    # Communes as an older version (before the reference-commune rule) or another device stored them.
    monkeypatch.setattr(store, "check_place", lambda commune, postal_code: ({}, {}))
    communes = ["Ventabren", "Éguilles", "Aubagne", "eyguières", "Marseille"]
    store.create_many("mentee", [{"first_name": f"P{i}", "last_name": f"N{i}", "commune": c}
                                 for i, c in enumerate(communes)])
    window.show_section("mentee")
    page = window.section("mentee").list_page
    page.refresh()  # the rows, the count and the filter values, on the database lane
    loaded(qtbot, page)
    commune = [c.name for c in page.model.columns].index("commune")
    header = page.table.horizontalHeader()

    def click_header() -> list[str]:
        x = header.sectionViewportPosition(commune) + header.sectionSize(commune) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
        qtbot.waitUntil(lambda: page.model.query.sort == "commune")
        loaded(qtbot, page)
        return [page.model.index(r, commune).data() for r in range(page.model.rowCount())]

    shown = {}
    for _ in range(2):
        rows = click_header()
        shown[page.model.query.descending] = rows
    assert shown[False] == ["Aubagne", "Éguilles", "eyguières", "Marseille", "Ventabren"]
    assert shown[True] == shown[False][::-1]
    window.grab().save("/tmp/rows_sorted_communes.png")
    filters = page.filters["commune"]
    assert [filters.itemText(i) for i in range(1, filters.count())] == shown[False]
