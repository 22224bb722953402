"""Issue 11, point 4: with a database lane that can take a step without waiting (the window's), a
pulled page is stored while the next one downloads; the result is the same as page by page, and a
page that fails to be stored stops the sync with nothing lost."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import pytest

from tandem_desktop.background import database_lane
from tandem_desktop.services import sync as sync_service
from tandem_desktop.store.remote import RemoteChanges
from tandem_desktop.sync import engine
from tandem_desktop.sync.client import HubClient

from .conftest import snapshot, writer_and_reader

pytestmark = pytest.mark.usefixtures("page_by_page")  # counts pages stored one by one

MENTORS = 3500  # four pages


class Broken(Exception):
    pass


@pytest.mark.parametrize("lane", ["window", "own"])  # own: none given (the command line, background.py)
def test_the_next_page_downloads_while_the_previous_one_is_stored(world, monkeypatch, lane) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    events: list[tuple[float, str, int]] = []
    lock = threading.Lock()
    original_apply, original_pull = RemoteChanges.apply_read_page, HubClient.pull
    counter = {"apply": 0, "pull": 0}

    def note(what: str) -> int:
        with lock:
            counter[what] += 1
            events.append((time.monotonic(), what, counter[what]))
            return counter[what]

    def slow_apply(self, page, cursor):  # type: ignore[no-untyped-def]
        n = note("apply")
        time.sleep(0.15)  # a page that takes a while to store
        result = original_apply(self, page, cursor)
        with lock:
            events.append((time.monotonic(), "applied", n))
        return result

    def noted_pull(self, cursor, limit):  # type: ignore[no-untyped-def]
        note("pull")
        return original_pull(self, cursor, limit)

    monkeypatch.setattr(RemoteChanges, "apply_read_page", slow_apply)
    monkeypatch.setattr(HubClient, "pull", noted_pull)
    told: list[dict] = []  # type: ignore[type-arg]
    with ExitStack() as stack:  # window: a lane the caller gives, as gui/tasks.py's database lane
        given = stack.enter_context(database_lane()) if lane == "window" else None
        report = sync_service.sync_now(reader, database=given, applied=told.append)
    at = {(what, n): t for t, what, n in events}
    # Page 2 was downloaded while page 1 was being stored (and so on).
    assert any(at[("pull", n + 1)] < at[("applied", n)] for n in range(1, counter["apply"]))
    assert counter["apply"] >= 4 and report.pulled == sum(len(r) for r in snapshot(reader).values())
    assert report.mismatches == {} and report.checked
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]
    assert len(told) == counter["apply"]  # the window heard every stored page once


@pytest.mark.parametrize("lane", ["window", "own"])
def test_a_pulled_page_is_read_on_the_syncs_thread_and_only_written_on_the_lane(world, monkeypatch, lane) -> None:  # type: ignore[no-untyped-def]
    """Reading a page into records needs no database: done on the lane, it made the lane, the first
    sync's bottleneck, do it too while the sync's own thread waited for the lane."""
    from tandem_desktop.store import pulled

    writer, reader = writer_and_reader(world, MENTORS)
    original_read, original_apply = pulled.read_page, RemoteChanges.apply_read_page
    readers: set[str] = set()
    writers: set[str] = set()

    def noted_read(entries):  # type: ignore[no-untyped-def]
        readers.add(threading.current_thread().name)
        return original_read(entries)

    def noted_apply(self, page, cursor):  # type: ignore[no-untyped-def]
        writers.add(threading.current_thread().name)
        return original_apply(self, page, cursor)

    monkeypatch.setattr(pulled, "read_page", noted_read)
    monkeypatch.setattr(RemoteChanges, "apply_read_page", noted_apply)
    with ExitStack() as stack:
        given = stack.enter_context(database_lane()) if lane == "window" else None
        report = sync_service.sync_now(reader, database=given)
    assert report.mismatches == {} and snapshot(reader)["mentor"] == snapshot(writer)["mentor"]
    assert readers and writers and not readers & writers
    assert threading.current_thread().name in readers


def test_a_page_that_cannot_be_stored_stops_the_sync_and_loses_nothing(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    original = RemoteChanges.apply_read_page
    pages = {"n": 0}

    def fails_on_second(self, page, cursor):  # type: ignore[no-untyped-def]
        pages["n"] += 1
        if pages["n"] == 2:
            raise Broken("disque plein")
        return original(self, page, cursor)

    monkeypatch.setattr(RemoteChanges, "apply_read_page", fails_on_second)
    with database_lane() as lane:
        with pytest.raises(Broken):
            sync_service.sync_now(reader, database=lane)
        assert pages["n"] == 2  # nothing stored after the failing page
        assert int(reader.store.remote.state()["cursor"]) > 0
        monkeypatch.setattr(RemoteChanges, "apply_read_page", original)
        resumed = sync_service.sync_now(reader, database=lane)
    assert resumed.pulled == sum(len(r) for r in snapshot(reader).values()) - engine.PAGE_ENTRIES
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"] and resumed.mismatches == {}


def test_a_lane_that_only_waits_stores_each_page_before_the_next_download(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    ran: list[str] = []
    told: list[dict] = []  # type: ignore[type-arg]

    def waits(step):  # type: ignore[no-untyped-def]
        ran.append("step")
        return step()

    report = sync_service.sync_now(reader, database=waits, applied=told.append)
    assert report.mismatches == {} and snapshot(reader)["mentor"] == snapshot(writer)["mentor"]
    assert ran and len(told) >= 4  # every page through the lane, and heard


def test_the_cycle_collector_rests_while_pages_are_stored_and_comes_back_after(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A first sync of 100,000 records: the collector rescanned the growing heap (a sixth of it)."""
    import gc

    writer, reader = writer_and_reader(world, MENTORS)
    original = RemoteChanges.apply_read_page
    seen: list[bool] = []

    def noting(self, page, cursor):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        if len(seen) == 3:
            raise Broken("disque plein")
        return original(self, page, cursor)

    monkeypatch.setattr(RemoteChanges, "apply_read_page", noting)
    assert gc.isenabled()
    with pytest.raises(Broken):
        sync_service.sync_now(reader)
    assert seen == [False, False, False] and gc.isenabled()  # back even when the sync failed
    monkeypatch.setattr(RemoteChanges, "apply_read_page", original)
    gc.disable()  # the window runs without automatic collection (gui/heap.py): a sync leaves it so
    try:
        assert sync_service.sync_now(reader).mismatches == {}
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]
