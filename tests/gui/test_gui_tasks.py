"""The task runner: one database worker, results back on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest

from tandem_desktop.gui.tasks import TaskRunner
from tandem_desktop.store.queries import ListQuery

pytestmark = pytest.mark.gui


def test_results_come_back_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    got: list[tuple[int, int]] = []
    runner.submit(threading.get_ident, on_done=lambda worker: got.append((worker, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(got))
    worker, callback = got[0]
    assert worker != threading.get_ident(), "the work ran on another thread"
    assert callback == threading.get_ident(), "the callback ran on the GUI thread"
    assert not runner.busy


def test_one_job_at_a_time_in_submission_order(qtbot, runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    running = 0
    peak = 0
    done: list[int] = []
    lock = threading.Lock()

    def job(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return n

    for n in range(6):
        runner.submit(lambda n=n: job(n), on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 6, timeout=5000)
    assert peak == 1
    assert done == [0, 1, 2, 3, 4, 5]


def test_errors_go_to_the_caller_or_to_the_error_signal(qtbot, runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    caught: list[BaseException] = []

    def fail() -> None:
        raise ValueError("boom")

    runner.submit(fail, on_done=lambda _: caught.append(AssertionError("no result expected")), on_error=caught.append)
    qtbot.waitUntil(lambda: bool(caught))
    assert isinstance(caught[0], ValueError) and str(caught[0]) == "boom"
    with qtbot.waitSignal(runner.error, timeout=2000) as signal:
        runner.submit(fail)
    assert isinstance(signal.args[0], ValueError)


def test_worker_jobs_reuse_database_connections(qtbot, runner, store) -> None:  # type: ignore[no-untyped-def]
    """Each Qt pool job runs with a fresh Python thread state: a thread-keyed connection pool would
    open a connection per job and, past five, close ones the GUI thread still uses."""
    from sqlalchemy import event

    store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
    opened: list[object] = []
    event.listen(store.engine, "connect", lambda dbapi_conn, record: opened.append(dbapi_conn))
    counts: list[int] = []
    for n in range(1, 31):
        runner.submit(lambda: store.count("mentor"), on_done=counts.append)
        qtbot.waitUntil(lambda n=n: len(counts) == n, timeout=5000)
        assert store.find("mentor", ListQuery())[0]["first_name"] == "Hélène"
    assert counts == [1] * 30
    assert len(opened) <= 2, f"{len(opened)} connections opened for 30 short jobs"
    store.create("mentor", {"first_name": "Jean", "last_name": "Martin"})
    assert store.count("mentor") == 2


def test_shutdown_forgets_callbacks(qtbot, runner: TaskRunner) -> None:  # type: ignore[no-untyped-def]
    got: list[int] = []
    runner.submit(lambda: time.sleep(0.05) or 1, on_done=got.append)
    runner.shutdown()
    qtbot.wait(100)
    assert got == []
