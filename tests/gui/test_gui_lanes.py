"""Lanes, the write helper and the change broadcast, through the real window on a temporary profile."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import event
from sync_support import status_texts, sync_window
from test_gui_matching import compute, people
from waiting import settle

from tandem_desktop.domain.validation import MSG_REQUIRED
from tandem_desktop.gui.changes import SYNC, Changed
from tandem_desktop.gui.main_window import MSG_NOT_SAVED
from tandem_desktop.gui.tasks import Lane, LaneClosed, TaskRunner

pytestmark = pytest.mark.gui
__all__ = ["people", "sync_window"]  # fixtures used by name

CTRL = Qt.KeyboardModifier.ControlModifier


def writer_threads(store) -> list[int]:  # type: ignore[no-untyped-def]
    """The thread of every INSERT, UPDATE or DELETE the store sends to SQLite from now on."""
    threads: list[int] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            threads.append(threading.get_ident())

    event.listen(store.engine, "before_cursor_execute", seen)
    return threads


def new_mentor(qtbot, typist, window, first: str, last: str) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentor")
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL)
    form = window.section("mentor").form()
    typist(form.widget("first_name"), first)
    if last:
        typist(form.widget("last_name"), last)
    qtbot.keyClick(form.widget("first_name"), Qt.Key.Key_S, CTRL)


def test_a_count_answers_while_long_jobs_hold_the_network_and_cpu_lanes(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
    release = threading.Event()
    ended: list[str] = []
    for lane in (Lane.NETWORK, Lane.CPU):
        window.runner.submit(lambda: release.wait(30), on_done=lambda _r, lane=lane: ended.append(lane.value),
                             lane=lane)
    page = window.section("mentor").list_page
    page.search.setText("Hélène")
    page.apply_query()
    qtbot.waitUntil(lambda: page.count_text == "1 mentor", timeout=5000)
    assert ended == [], "the count answered while both long jobs still ran"
    release.set()
    qtbot.waitUntil(lambda: sorted(ended) == ["cpu", "network"], timeout=5000)


def test_on_the_single_worker_a_count_waits_behind_a_long_job(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    """The old path, kept for the benchmark's baseline: this is what the lanes fix."""
    runner = TaskRunner(single_worker=True)
    release = threading.Event()
    counted: list[int] = []
    try:
        runner.submit(lambda: release.wait(30), lane=Lane.NETWORK)
        runner.submit(lambda: store.count("mentor"), on_done=counted.append)
        qtbot.wait(300)
        assert counted == []
        release.set()
        qtbot.waitUntil(lambda: counted == [0], timeout=5000)
    finally:
        release.set()
        runner.shutdown()


def test_a_save_and_a_delete_do_not_run_on_the_gui_thread(qtbot, typist, window, store, answer_yes) -> None:  # type: ignore[no-untyped-def]
    threads = writer_threads(store)
    new_mentor(qtbot, typist, window, "Hélène", "Dupont")
    assert window.section("mentor").form().saving, "the write is on its way; the window keeps running"
    settle(qtbot, window)
    assert window.section("mentor").form() is None
    assert [m["last_name"] for m in store.live_records("mentor")] == ["Dupont"]
    assert threads and threading.get_ident() not in threads
    threads.clear()
    page = window.section("mentor").list_page
    page.select(store.live_records("mentor")[0]["id"])
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert store.count("mentor") == 0
    assert threads and threading.get_ident() not in threads
    assert window.status_message.text() == "Fiche «\u00a0Hélène Dupont\u00a0» supprimée."


def test_the_broadcast_reaches_the_views(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    heard: list[Changed] = []
    window.changes.changed.connect(heard.append)
    new_mentor(qtbot, typist, window, "Hélène", "Dupont")
    settle(qtbot, window)
    mentor_id = store.live_records("mentor")[0]["id"]
    assert [(c.kinds, c.source) for c in heard] == [({"mentor": frozenset({mentor_id})}, "local")]
    mentors, tandems, mentees = (window.section(k).list_page for k in ("mentor", "tandem", "mentee"))
    assert mentors.model.row_of(mentor_id) == 0
    assert not tandems.stale and not tandems.model.reading, (
        "the tandem list names mentors, but none of its rows names the new one: nothing to read again")
    assert not mentees.stale, "the mentee list shows no mentor: untouched"

    # A page stored by a sync (here told by hand, as the controller does) reaches the lists too.
    other = store.create("mentor", {"first_name": "Jean", "last_name": "Martin"})
    window.changes.tell(["mentor"], source=SYNC)
    qtbot.waitUntil(lambda: mentors.model.row_of(other) is not None, timeout=5000)
    qtbot.waitUntil(lambda: mentors.count_text == "2 mentors", timeout=5000)


def test_the_pending_count_follows_a_batch_accept(qtbot, sync_window, store, people) -> None:  # type: ignore[no-untyped-def]
    """The batch proposal's writes were never counted: the status bar kept the old number."""
    window = sync_window
    qtbot.waitUntil(lambda: status_texts(window)["pending"] != "", timeout=5000)
    before = int(window.sync.status.pending_changes)
    batch = compute(qtbot, window)
    created = len(batch.pairs.pairs)
    assert created >= 1
    qtbot.mouseClick(batch.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: int(window.sync.status.pending_changes) > before, timeout=5000)
    after = int(window.sync.status.pending_changes)
    assert status_texts(window)["pending"] == f"{after}\u00a0modifications en attente"


def test_not_saved_follows_the_form(qtbot, typist, window, store, answer_yes) -> None:  # type: ignore[no-untyped-def]
    """« Fiche non enregistrée… » told a failed save by the button too, and went once the form was gone."""
    new_mentor(qtbot, typist, window, "Hélène", "")
    settle(qtbot, window)
    form = window.section("mentor").form()
    assert form.error_text("last_name") == MSG_REQUIRED
    assert window.status_message.text() == MSG_NOT_SAVED
    window.show_message("")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert window.status_message.text() == MSG_NOT_SAVED, "the button's failure is told as Ctrl+S’s"
    qtbot.keyClick(form.widget("first_name"), Qt.Key.Key_Escape)
    assert window.section("mentor").form() is None and answer_yes, "discarded after the question"
    assert window.status_message.text() == "", "no form is waiting for a correction any more"

    new_mentor(qtbot, typist, window, "Jean", "")
    settle(qtbot, window)
    assert window.status_message.text() == MSG_NOT_SAVED
    store.create("structure", {"name": "Mission locale"})
    window.changes.tell(["structure"], source=SYNC)  # a write elsewhere: the form still needs its correction
    assert window.status_message.text() == MSG_NOT_SAVED
    typist(window.section("mentor").form().widget("last_name"), "Martin")
    qtbot.keyClick(window.section("mentor").form().widget("last_name"), Qt.Key.Key_S, CTRL)
    settle(qtbot, window)
    assert window.status_message.text() == "Fiche «\u00a0Jean Martin\u00a0» enregistrée."


@pytest.mark.parametrize("lane", list(Lane))
def test_failures_from_each_lane_reach_the_caller_or_the_error_handler(qtbot, runner, lane) -> None:  # type: ignore[no-untyped-def]
    def fail() -> None:
        raise ValueError(f"boom on {lane.value}")

    caught: list[BaseException] = []
    runner.submit(fail, on_error=caught.append, lane=lane)
    qtbot.waitUntil(lambda: bool(caught), timeout=5000)
    assert isinstance(caught[0], ValueError) and str(caught[0]) == f"boom on {lane.value}"
    with qtbot.waitSignal(runner.error, timeout=5000) as signal:
        runner.submit(fail, lane=lane)
    assert str(signal.args[0]) == f"boom on {lane.value}"


def test_a_database_step_runs_on_the_database_lane_and_its_failure_reaches_the_network_job(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    threads: dict[str, int] = {}

    def step() -> str:
        threads["step"] = threading.get_ident()
        raise KeyError("refused")

    def job() -> str:
        threads["job"] = threading.get_ident()
        try:
            runner.on_database(step)
        except KeyError:
            return "caught"
        return "not raised"

    got: list[str] = []
    runner.submit(job, on_done=got.append, lane=Lane.NETWORK)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == ["caught"] and threads["job"] != threads["step"] != threading.get_ident()
    with pytest.raises(RuntimeError):
        runner.on_database(lambda: None)  # the GUI thread never waits on a lane


def test_a_write_failure_goes_to_its_failure_callback_or_the_error_handler(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    heard: list[Changed] = []
    window.changes.changed.connect(heard.append)
    refused: list[BaseException] = []
    window.ops.write(lambda: store.update("mentor", "nope", {"first_name": "X"}), changes={"mentor": {"nope"}}) \
        .success(lambda _r: refused.append(AssertionError("no success"))).failure(refused.append).run()
    qtbot.waitUntil(lambda: bool(refused), timeout=5000)
    assert type(refused[0]).__name__ == "NotFound" and heard == [], "nothing changed, nothing told"
    with qtbot.waitSignal(window.runner.error, timeout=5000):
        window.ops.write(lambda: store.update("mentor", "nope", {"first_name": "X"})).run()
    assert window.status_message.text() != ""


def test_closing_frees_a_network_job_waiting_on_the_database_lane(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    outcome: list[str] = []
    started = threading.Event()

    def job() -> None:
        started.set()
        try:
            for _ in range(50):
                runner.on_database(lambda: store.count("mentor"))
        except LaneClosed:
            outcome.append("closed")

    runner.submit(job, lane=Lane.NETWORK)
    assert started.wait(5)
    runner.shutdown()  # returns: the network job was let go
    assert outcome in ([], ["closed"])
