"""Issue 11, point 4 (first sync at 100,000 < 20 s): a long first pull builds its list indexes once,
at its end (store/deferred.py); a pull cut before that leaves them to the next opening."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tandem_desktop.services import sync as sync_service
from tandem_desktop.store import deferred
from tandem_desktop.store.profile import open_profile
from tandem_desktop.store.queries import ListQuery
from tandem_desktop.store.schema import RECORD_TABLES
from tandem_desktop.sync import engine

from .conftest import writer_and_reader

pytestmark = pytest.mark.usefixtures("page_by_page")  # counts pages stored one by one

MENTORS = 2600  # three pages of 1,000 feed entries

EVERY_INDEX = {str(ix.name) for table in RECORD_TABLES.values() for ix in table.indexes}
DEFERRED = {str(ix.name) for ix in deferred.deferrable()}


class Cut(Exception):
    """The process 'dies' here."""


def _indexes(profile) -> set[str]:  # type: ignore[no-untyped-def]
    with profile.store.reading() as conn:
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        return {name for name in names if name in EVERY_INDEX}


def _writer_and_reader(world, n: int):  # type: ignore[no-untyped-def]
    """Names in no order: the list indexes get inserts all over."""
    return writer_and_reader(world, n, lambda i: {"first_name": f"Prénom{i:04d}",
                                                  "last_name": f"Nom{(i * 7919) % n:04d}"})


def test_a_long_first_pull_builds_its_list_indexes_once_at_the_end(world) -> None:  # type: ignore[no-untyped-def]
    _writer, reader = _writer_and_reader(world, MENTORS)
    during: list[tuple[set[str], list[str], int]] = []

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == "pull" and done == 2 * engine.PAGE_ENTRIES:  # half-way: lists still answer, in order
            page = reader.store.find("mentor", ListQuery(sort="last_name"), 0, 5)
            during.append((_indexes(reader), [m["last_name"] for m in page], reader.store.count("mentor")))

    report = sync_service.sync_now(reader, progress=progress)
    indexes, names, count = during[0]
    assert indexes == EVERY_INDEX - DEFERRED and DEFERRED  # the list indexes were out of the way
    assert 0 < count < MENTORS
    assert names == sorted(names)
    assert _indexes(reader) == EVERY_INDEX  # all back
    with reader.store.reading() as conn:
        assert not deferred.is_deferred(conn)
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert report.pulled >= MENTORS and report.mismatches == {}
    assert reader.store.count("mentor") == MENTORS
    first = reader.store.find("mentor", ListQuery(sort="last_name"), 0, 3)
    assert [m["last_name"] for m in first] == ["Nom0000", "Nom0001", "Nom0002"]
    found = reader.store.find("mentor", ListQuery(search="Prénom2599"), 0, 5)
    assert [m["first_name"] for m in found] == ["Prénom2599"]


def test_a_first_pull_cut_before_its_end_leaves_the_indexes_to_the_next_opening(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _writer, reader = _writer_and_reader(world, MENTORS)
    pages = {"n": 0}
    original = reader.store.remote.__class__.apply_read_page

    def dies_on_third_page(self, page, cursor):  # type: ignore[no-untyped-def]
        pages["n"] += 1
        if pages["n"] == 3:
            raise Cut()
        return original(self, page, cursor)

    monkeypatch.setattr(reader.store.remote.__class__, "apply_read_page", dies_on_third_page)
    monkeypatch.setattr(engine, "_rebuild", lambda remote, progress: None)  # the process is gone: no finally
    with pytest.raises(Cut):
        sync_service.sync_now(reader)
    monkeypatch.undo()
    assert _indexes(reader) == EVERY_INDEX - DEFERRED
    settings, today = reader.settings, reader.store.today
    reader.close()
    world.profiles.remove(reader)
    reopened = open_profile(settings, today=today)
    world.profiles.append(reopened)
    assert _indexes(reopened) == EVERY_INDEX
    with reopened.store.reading() as conn:
        assert not deferred.is_deferred(conn)
    resumed = sync_service.sync_now(reopened)  # from its cursor: no deferring, nothing lost
    assert reopened.store.count("mentor") == MENTORS and resumed.mismatches == {}
    assert _indexes(reopened) == EVERY_INDEX


def test_a_short_first_pull_leaves_the_indexes_alone(world) -> None:  # type: ignore[no-untyped-def]
    _writer, reader = _writer_and_reader(world, 20)
    dropped: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DROP INDEX"):
            dropped.append(statement)

    event.listen(reader.engine, "before_cursor_execute", note)
    sync_service.sync_now(reader)
    event.remove(reader.engine, "before_cursor_execute", note)
    assert dropped == [] and reader.store.count("mentor") == 20
