"""A list follows writes in place: only the rows a write names are read again, and they move, come
or go where the order puts them; a change naming no record reads the loaded rows again, off the
GUI thread, without a reset."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from sqlalchemy import event
from sync_support import enroll, hub, new_device, sync_window
from waiting import loaded, settle

from tandem_desktop.gui.changes import SYNC
from tandem_desktop.gui.table_model import PAGE_SIZE, RecordTableModel
from tandem_desktop.services import sync as sync_service

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]  # fixtures used by name


@pytest.fixture
def mentees_600(store) -> list[str]:  # type: ignore[no-untyped-def]
    return store.create_many("mentee", [{"first_name": f"Prénom{i:03d}", "last_name": f"Nom{i:03d}"}
                                        for i in range(0, 1200, 2)])


@pytest.fixture
def mentee_page(qtbot, mentees_600, window):  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    page = window.section("mentee").list_page
    page.refresh()
    loaded(qtbot, page)
    page.model.fetchMore(QModelIndex())
    loaded(qtbot, page)
    assert page.model.rowCount() == 2 * PAGE_SIZE
    return page


class Reads:
    """The SELECTs on the mentee table sent from now on, with the thread that sent them."""

    def __init__(self, store) -> None:  # type: ignore[no-untyped-def]
        self.seen: list[tuple[str, tuple, bool]] = []
        event.listen(store.engine, "before_cursor_execute", self._heard)
        self.engine = store.engine

    def _heard(self, conn, cursor, statement, parameters, *args) -> None:  # type: ignore[no-untyped-def]
        text = " ".join(statement.split())
        if text.upper().startswith("SELECT") and " FROM mentee" in text:
            self.seen.append((text, tuple(parameters or ()), threading.current_thread() is threading.main_thread()))

    def pages(self) -> list[str]:
        return [text for text, _, _ in self.seen if "LIMIT" in text.upper()]

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._heard)


def column(page, name: str) -> int:  # type: ignore[no-untyped-def]
    return [c.name for c in page.model.columns].index(name)


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [page.model.record_at(r)["last_name"] for r in range(page.model.rowCount())]


def structure_signals(model) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: seen.append(("insert", first, last)))
    model.rowsRemoved.connect(lambda _parent, first, last: seen.append(("remove", first, last)))
    model.modelReset.connect(lambda: seen.append(("reset", 0, 0)))
    return seen


def test_an_edit_reads_only_its_row_again_and_the_other_rows_stay_the_same_objects(  # type: ignore[no-untyped-def]
        qtbot, window, store, mentee_page) -> None:
    page, model = mentee_page, mentee_page.model
    target = model.record_at(250)
    before = [model.record_at(r) for r in range(model.rowCount())]
    changed: list[int] = []
    model.dataChanged.connect(lambda top, bottom, *_: changed.extend(range(top.row(), bottom.row() + 1)))
    moves = structure_signals(model)
    reads = Reads(store)

    window.ops.write(lambda: window.records.update("mentee", target["id"], {"project_type": "orientation"})).run()
    settle(qtbot, window)
    loaded(qtbot, page)
    reads.close()

    assert model.index(250, column(page, "project_type")).data() == "Orientation"
    assert changed == [250] and moves == [], "one row changed in place: no reset, no row moved"
    assert reads.pages() == [], "no page of rows was read again"
    by_id = [(text, params) for text, params, _ in reads.seen if "mentee.id IN" in text]
    assert len(by_id) == 1 and target["id"] in by_id[0][1] and len(by_id[0][1]) <= 3, "its row alone, by id"
    after = [model.record_at(r) for r in range(model.rowCount())]
    assert all(a is b for i, (a, b) in enumerate(zip(before, after, strict=True)) if i != 250)
    assert after[250] is not before[250] and "notes" not in after[250], "a list row holds the shown fields only"
    assert store.get("mentee", target["id"])["notes"] is None, "the form reads the whole record"


def test_a_new_record_a_renamed_one_and_a_deleted_one_move_in_place(  # type: ignore[no-untyped-def]
        qtbot, store, mentees_600, window, answer_yes) -> None:
    window.show_section("mentee")
    page = window.section("mentee").list_page
    page.refresh()
    loaded(qtbot, page)
    model = page.model
    assert model.rowCount() == PAGE_SIZE and names(page)[:3] == ["Nom000", "Nom002", "Nom004"]
    moves = structure_signals(model)
    records = window.records

    window.ops.write(lambda: records.create("mentee", {"first_name": "Zoé", "last_name": "Nom003"})).run()
    settle(qtbot, window)
    assert moves == [("insert", 2, 2)] and names(page)[:4] == ["Nom000", "Nom002", "Nom003", "Nom004"]
    assert model.rowCount() == PAGE_SIZE + 1

    beyond = store.find("mentee", page.model.query, 450, 1)[0]["id"]  # not loaded yet: stays out
    window.ops.write(lambda: records.update("mentee", beyond, {"last_name": "Nom9999"})).run()
    settle(qtbot, window)
    assert len(moves) == 1 and model.rowCount() == PAGE_SIZE + 1

    third = model.record_at(3)["id"]  # « Nom004 » becomes « Nom001 »: from row 3 to row 1
    window.ops.write(lambda: records.update("mentee", third, {"last_name": "Nom001"})).run()
    settle(qtbot, window)
    assert moves[1:] == [("remove", 3, 3), ("insert", 1, 1)]
    assert names(page)[:4] == ["Nom000", "Nom001", "Nom002", "Nom003"]

    last = model.record_at(model.rowCount() - 1)["id"]  # renamed past the loaded rows: leaves them
    window.ops.write(lambda: records.update("mentee", last, {"last_name": "Nom9000"})).run()
    settle(qtbot, window)
    assert moves[3:] == [("remove", PAGE_SIZE, PAGE_SIZE)] and model.rowCount() == PAGE_SIZE

    assert page.select(model.record_at(2)["id"])
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert moves[4:] == [("remove", 2, 2)] and names(page)[:3] == ["Nom000", "Nom001", "Nom003"]
    qtbot.waitUntil(lambda: page.count_text == "600 mentorés", timeout=5000)

    page.model.fetch_all()  # the next pages start where the loaded rows end: nothing twice, nothing lost
    loaded(qtbot, page)
    expected = [r["last_name"] for r in store.find("mentee", page.model.query, 0, 1000)]
    assert names(page) == expected and len(expected) == 600 and ("reset", 0, 0) not in moves
    assert {"Nom9000", "Nom9999"} <= set(expected)


def test_a_change_naming_no_record_reads_the_loaded_rows_again_off_the_gui_thread(  # type: ignore[no-untyped-def]
        qtbot, window, store, mentee_page) -> None:
    """A pulled page (told by hand, as the controller does): the rows the view needs, read again on
    the database lane, the differences applied in place; counts and filter values as well."""
    page, model = mentee_page, mentee_page.model
    shown = model.record_at(0)
    moves = structure_signals(model)
    store.create_many("mentee", [{"first_name": "Léa", "last_name": "Nom0011", "commune": "Aubagne"}])
    renamed = model.record_at(1)["id"]
    store.update("mentee", renamed, {"first_name": "Émile"})
    reads = Reads(store)
    window.changes.tell(["mentee"], source=SYNC)
    qtbot.waitUntil(lambda: page.count_text == "601 mentorés", timeout=5000)
    loaded(qtbot, page)
    reads.close()

    assert [r for r in reads.seen if r[2]] == [], "nothing was read on the GUI thread"
    assert ("reset", 0, 0) not in moves, "the differences came in place"
    kept = moves[0][1]  # the rows the view needs (those shown, and a page more); the others, later
    assert moves[0] == ("remove", kept, 2 * PAGE_SIZE - 1) and PAGE_SIZE < kept < 2 * PAGE_SIZE
    assert model.record_at(0) is shown and model.record_at(model.row_of(renamed))["first_name"] == "Émile"
    assert names(page) == [r["last_name"] for r in store.find("mentee", model.query, 0, model.rowCount())]
    assert "Nom0011" in names(page) and model.rowCount() == kept + 1
    [(_, params, _)] = [r for r in reads.seen if r[0] == reads.pages()[-1]]
    assert params[-2:] == (model.rowCount(), 0), "one read of the rows needed, not of every row loaded"
    qtbot.waitUntil(lambda: page.filters["commune"].findText("Aubagne") > 0, timeout=5000)


def test_a_reference_column_sorts_in_french_order_by_its_stored_label(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    """The counsellor list's « Structure » column: « Éveil » among the E, not after « Zèbre »."""
    names_ = ["Zèbre", "Éveil", "adie", "Ecole", "Mission locale"]
    structures = store.create_many("structure", [{"name": n, "type": "autre"} for n in names_])
    store.create_many("counsellor", [{"first_name": "P", "last_name": f"N{i}", "structure_id": sid}
                                     for i, sid in enumerate(structures)])
    reads: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda c, cur, statement, *a: reads.append(statement))
    model = RecordTableModel(store, "counsellor")
    structure = [c.name for c in model.columns].index("structure_id")
    model.sort(structure, Qt.SortOrder.AscendingOrder)
    shown = [model.index(r, structure).data() for r in range(model.rowCount())]
    assert shown == ["adie", "Ecole", "Éveil", "Mission locale", "Zèbre"]
    model.sort(structure, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, structure).data() for r in range(model.rowCount())] == shown[::-1]
    [page] = [s for s in reads if "ORDER BY counsellor.structure_id__key DESC" in s]
    assert "FROM structure" not in page, "the label is the counsellor's own column: no subquery per row"

    store.update("structure", structures[0], {"name": "Agence"})  # the one writer keeps the labels right
    model.sort(structure, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, structure).data() for r in range(model.rowCount())][:2] == ["adie", "Agence"]


def test_the_tandem_list_sorts_by_mentee_in_french_and_follows_a_rename(  # type: ignore[no-untyped-def]
        qtbot, window, store) -> None:
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "capacity": 5})
    mentees = store.create_many("mentee", [{"first_name": f, "last_name": "Martin"}
                                           for f in ("Zoé", "Émile", "adèle", "Eric")])
    for mentee in mentees:
        window.records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee})
    window.show_section("tandem")
    page = window.section("tandem").list_page
    page.refresh()
    loaded(qtbot, page)
    mentee = column(page, "mentee_id")
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(mentee) + header.sectionSize(mentee) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    qtbot.waitUntil(lambda: page.model.query.sort == "mentee_id", timeout=3000)
    loaded(qtbot, page)
    shown = lambda: [page.model.index(r, mentee).data() for r in range(page.model.rowCount())]  # noqa: E731
    assert shown() == ["adèle Martin", "Émile Martin", "Eric Martin", "Zoé Martin"]

    records = window.records
    window.ops.write(lambda: records.update("mentee", mentees[0], {"first_name": "Aïcha"})).run()
    settle(qtbot, window)  # sorted by the mentee's name: the loaded rows are read again, soon
    qtbot.waitUntil(lambda: shown() == ["adèle Martin", "Aïcha Martin", "Émile Martin", "Eric Martin"], timeout=5000)


def test_a_pulled_edit_reads_only_its_row_again(qtbot, typist, sync_window, hub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another laptop changed one mentee: the page that brings it names her, and only her row is read."""
    window, store = sync_window, sync_window.store
    enroll(qtbot, typist, window, hub.url, hub.code())
    ids = store.create_many("mentee", [{"first_name": f"P{i}", "last_name": f"N{i:03d}"} for i in range(300)])
    controller = window.sync
    done: list[object] = []
    controller.synced.connect(done.append)
    controller.sync_now(reason="manual")
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    window.show_section("mentee")
    page = window.section("mentee").list_page
    page.refresh()
    loaded(qtbot, page)
    other = new_device(tmp_path, "poste-b")
    try:
        sync_service.enroll(other, hub.url, hub.code(), "Poste B")
        sync_service.sync_now(other)
        other.store.update("mentee", ids[7], {"project_type": "orientation"})
        sync_service.sync_now(other)
    finally:
        other.close()
    before = [page.model.record_at(r) for r in range(page.model.rowCount())]
    moves = structure_signals(page.model)
    reads = Reads(store)
    done.clear()
    controller.sync_now(reason="manual")
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    row = page.model.row_of(ids[7])
    qtbot.waitUntil(lambda: page.model.index(row, column(page, "project_type")).data() == "Orientation",
                    timeout=5000)
    loaded(qtbot, page)
    reads.close()
    assert reads.pages() == [] and moves == [], "no page read again, nothing reset"
    assert [r for r in reads.seen if r[2]] == [], "nothing read on the GUI thread"
    after = [page.model.record_at(r) for r in range(page.model.rowCount())]
    assert sum(a is not b for a, b in zip(before, after, strict=True)) == 1
