"""What keeps the window's event loop free while workers run: list reads on the database lane and the
cycle collector on the GUI thread in small steps (bench_gui measures the result)."""

from __future__ import annotations

import gc
import sys
import threading

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from sqlalchemy import event
from waiting import loaded

from tandem_desktop.gui import heap
from tandem_desktop.gui.heap import HeapKeeper
from tandem_desktop.gui.table_model import RecordTableModel
from tandem_desktop.gui.tasks import TaskRunner
from tandem_desktop.gui.widgets import row_table
from tandem_desktop.store.queries import ListQuery

pytestmark = pytest.mark.gui
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def mentees_450(store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentee", [{"first_name": f"Prénom{i:03d}", "last_name": f"Nom{i:03d}",
                                  "commune": "Marseille" if i % 2 else "Aubagne"} for i in range(450)])


def list_reads_on_gui_thread(store) -> list[str]:  # type: ignore[no-untyped-def]
    """Every page of rows (a SELECT with LIMIT) read on the GUI thread from now on."""
    seen: list[str] = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread() and "LIMIT" in statement.upper():
            seen.append(statement.split("FROM", 1)[-1][:60])

    event.listen(store.engine, "before_cursor_execute", before)
    return seen


def test_list_loads_search_sort_scroll_and_refresh_never_read_on_the_gui_thread(  # type: ignore[no-untyped-def]
        qtbot, typist, mentees_450, window, store) -> None:
    on_gui = list_reads_on_gui_thread(store)
    window.show_section("mentee")
    page = window.section("mentee").list_page
    page.refresh()
    loaded(qtbot, page)
    assert page.model.rowCount() == 200

    typist(page.search, "Nom01")
    qtbot.waitUntil(lambda: page.model.query.search == "Nom01", timeout=3000)
    loaded(qtbot, page)
    assert {page.model.record_at(r)["last_name"] for r in range(page.model.rowCount())} == {
        f"Nom{i:03d}" for i in range(10, 20)}

    page.clear_search()
    loaded(qtbot, page)
    header = page.table.horizontalHeader()
    commune = [c.name for c in page.model.columns].index("commune")
    x = header.sectionViewportPosition(commune) + header.sectionSize(commune) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    qtbot.waitUntil(lambda: page.model.query.sort == "commune", timeout=3000)
    loaded(qtbot, page)
    assert page.model.record_at(0)["commune"] == "Aubagne"

    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_End, CTRL)
    loaded(qtbot, page)
    assert page.model.rowCount() == 450 and page.table.currentIndex().row() == 449
    assert on_gui == [], "a page of rows was read on the GUI thread"


def test_only_the_newest_query_s_rows_are_shown(qtbot, mentees_450, window) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    page = window.section("mentee").list_page
    loaded(qtbot, page)
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(1))
    page.model.set_query(ListQuery(search="Nom001"))
    page.model.set_query(ListQuery(search="Nom002"))  # typed on before the first answer came
    loaded(qtbot, page)
    assert [page.model.record_at(r)["last_name"] for r in range(page.model.rowCount())] == ["Nom002"]
    assert resets == [1], "the older answer was dropped, not shown then replaced"


def test_collections_run_on_the_gui_thread_young_only_while_a_worker_allocates(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    default_switch = sys.getswitchinterval()
    keeper = HeapKeeper(runner)
    seen: list[tuple[bool, int]] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append((threading.current_thread() is threading.main_thread(), info["generation"]))

    def build() -> int:
        """Like a matching load: hundreds of thousands of young containers, and some cycles."""
        rows = [[i, {"n": [i]}] for i in range(150_000)]
        for _ in range(500):
            loop: list[object] = []
            loop.append(loop)
        return len(rows)

    keeper.start()
    gc.callbacks.append(watch)
    try:
        assert not gc.isenabled() and gc.get_freeze_count() > 0
        done: list[int] = []
        runner.submit(build, on_done=done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=20_000)
        qtbot.wait(350)
    finally:
        gc.callbacks.remove(watch)
        keeper.stop()
    assert done == [150_000]
    assert seen, "the GUI thread collected the young generation"
    assert all(on_main for on_main, _ in seen), "no collection ran on the worker"
    assert {generation for _, generation in seen} == {0}, "no full pass while working"
    assert gc.isenabled() and gc.get_freeze_count() == 0, "stop() gives Python its defaults back"
    assert sys.getswitchinterval() == default_switch


def test_the_window_asks_workers_for_short_turns_of_the_interpreter_lock(runner) -> None:  # type: ignore[no-untyped-def]
    """Each cell the list paints is a Python call that must take the lock: with 5 ms turns for two
    workers decoding a first sync, a repaint waited 130–390 ms, with 1 ms turns still up to 192 ms."""
    default_switch = sys.getswitchinterval()
    keeper = HeapKeeper(runner)
    keeper.start()
    try:
        assert sys.getswitchinterval() == pytest.approx(heap.SWITCH_INTERVAL_S)
        assert default_switch > heap.SWITCH_INTERVAL_S
        assert heap.SWITCH_INTERVAL_S <= 0.0002
    finally:
        keeper.stop()
    assert sys.getswitchinterval() == default_switch


def test_the_full_pass_waits_until_no_lane_has_work(qtbot, runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    keeper = HeapKeeper(runner)
    keeper.start()
    release = threading.Event()
    try:
        runner.submit(lambda: release.wait(10))
        keeper._full_pass_if_idle()
        assert keeper.full_passes == 0, "a lane is busy: the full pass is put off"
        release.set()
        qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
        keeper._full_pass_if_idle()
        assert keeper.full_passes == 1
    finally:
        release.set()
        keeper.stop()


def test_the_young_pass_waits_while_a_lane_works_on_objects_still_alive(qtbot, runner: TaskRunner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A first sync's pages waiting to be stored: each young pass scanned them all (40–64 ms on
    the GUI thread, a stall while typing) for nothing, since they are alive."""
    keeper = HeapKeeper(runner)
    keeper.start()
    keeper._young.stop()  # the passes of this test are the ones it asks for
    release, built = threading.Event(), threading.Event()
    passes: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    def hold() -> int:
        pages = [{"fields": {"languages": [f"l{i}"]}, "versions": {"1.0.1": ["languages"]}} for i in range(50_000)]
        built.set()
        release.wait(10)
        return len(pages)

    gc.callbacks.append(watch)
    try:
        runner.submit(hold)
        assert built.wait(10)
        keeper._young_pass()
        assert passes == [], "a lane works on what it allocated: no pass"
        monkeypatch.setattr(heap, "YOUNG_WHILE_BUSY", 1000)
        keeper._young_pass()
        assert passes == [0], "past the bound, a pass runs all the same"
        monkeypatch.undo()
        release.set()
        qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
        keeper._young_pass()
        assert passes == [0, 0], "the lanes are idle: passes again"
    finally:
        release.set()
        gc.callbacks.remove(watch)
        keeper.stop()


def shown_table(qtbot, model):  # type: ignore[no-untyped-def]
    """The app's list table over `model`, on screen (offscreen), its first rows painted."""
    table = row_table(None, "table", model)
    qtbot.addWidget(table)
    table.resize(900, 500)
    table.show()
    qtbot.waitExposed(table)
    return table


def test_a_repaint_asks_each_cell_once_whatever_the_roles(qtbot, store, mentees_450) -> None:  # type: ignore[no-untyped-def]
    """A delegate asks a cell for seven roles; through data() each was a call into Python waiting for
    the interpreter lock behind a busy worker (a thousand per repaint). multiData answers them in one,
    with what data() says."""
    asked = {"data": 0, "values": 0}

    class Counting(RecordTableModel):
        def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
            asked["data"] += 1
            return super().data(index, role)

        def _value(self, record, spec, role):  # type: ignore[no-untyped-def]
            asked["values"] += 1
            return super()._value(record, spec, role)

    model = Counting(store, "mentee")
    table = shown_table(qtbot, model)
    asked.update(data=0, values=0)
    table.grab()  # a paint of the visible rows, as the screen would get
    assert asked["data"] == 0 and asked["values"] > 100  # every painted cell answered by multiData
    for row, column in ((0, 0), (3, 1), (10, len(model.columns) - 1)):
        index = model.index(row, column)
        option = QStyleOptionViewItem()
        table.itemDelegate().initStyleOption(option, index)  # Qt 6: one multiData for every role
        assert option.text == (model.data(index) or "")
    outside = model.index(0, 0).siblingAtRow(model.rowCount() + 5)
    assert not outside.isValid() and model.data(outside) is None


def test_a_repaint_is_entered_from_python_so_the_cells_find_the_lock_held(qtbot, store, mentees_450) -> None:  # type: ignore[no-untyped-def]
    """Entered from C++, each of a repaint's cell calls took the interpreter lock anew, and waited for a
    busy worker's turn each time; entered through RowTable.paintEvent, the paint holds it throughout:
    every cell a paint asks for is asked under that Python frame."""
    cells = {"inside": 0, "outside": 0}

    def under_python_paint() -> bool:
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code.co_name == "paintEvent" and frame.f_code.co_filename.endswith("widgets.py"):
                return True
            frame = frame.f_back
        return False

    class Counting(RecordTableModel):
        def _value(self, record, spec, role):  # type: ignore[no-untyped-def]
            cells["inside" if under_python_paint() else "outside"] += 1
            return super()._value(record, spec, role)

    model = Counting(store, "mentee")
    table = shown_table(qtbot, model)
    cells.update(inside=0, outside=0)
    shown = table.grab().toImage()
    assert cells["inside"] > 100 and cells["outside"] == 0
    assert table.grab().toImage() == shown  # and it paints as Qt's own, every time
