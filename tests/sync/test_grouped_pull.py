"""Issue 11, point 4: a long pull stores its pages by groups, one transaction each (sync/engine.py,
_Group): a first sync of 100,000 mentees wrote 1 GB for a 300 MB database, one commit per page
rewriting the same index pages. A cut or a cancel still loses nothing and downloads again only what
was not stored; a slow hub does not hold pages back."""

from __future__ import annotations

import threading

import pytest

from tandem_desktop.services import sync as sync_service
from tandem_desktop.store.remote import RemoteChanges
from tandem_desktop.sync import engine
from tandem_desktop.sync.errors import SyncCancelled

from .conftest import snapshot, writer_and_reader

MENTORS = 4500  # five pages of 1,000 feed entries


class Cut(Exception):
    pass


def _feed_size(profile) -> int:  # type: ignore[no-untyped-def]
    return sum(len(records) for records in snapshot(profile, deleted=True).values())


def _count_pages(monkeypatch, fail_on: int | None = None) -> list[int]:  # type: ignore[no-untyped-def]
    """Entries of each page stored (one transaction each); `fail_on`: that one raises Cut."""
    sizes: list[int] = []
    original = RemoteChanges.apply_read_page

    def counted(self, page, cursor):  # type: ignore[no-untyped-def]
        sizes.append(page.entries)
        if len(sizes) == fail_on:
            raise Cut("coupure pendant l’écriture")
        return original(self, page, cursor)

    monkeypatch.setattr(RemoteChanges, "apply_read_page", counted)
    return sizes


def test_a_long_pull_stores_its_pages_by_groups_with_the_same_result(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    monkeypatch.setattr(engine, "GROUP_PAGES", 2)
    monkeypatch.setattr(engine, "GROUP_WAIT_S", 60.0)
    sizes = _count_pages(monkeypatch)
    report = sync_service.sync_now(reader)
    total = _feed_size(reader)
    assert sizes == [2 * engine.PAGE_ENTRIES, 2 * engine.PAGE_ENTRIES, total - 4 * engine.PAGE_ENTRIES]
    assert report.pulled == total and report.mismatches == {} and report.checked
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]


def test_a_cut_in_the_second_group_downloads_again_only_that_group(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    monkeypatch.setattr(engine, "GROUP_PAGES", 2)
    monkeypatch.setattr(engine, "GROUP_WAIT_S", 60.0)
    _count_pages(monkeypatch, fail_on=2)
    with pytest.raises(Cut):
        sync_service.sync_now(reader)
    assert 2 * engine.PAGE_ENTRIES - 10 < reader.store.count("mentor") <= 2 * engine.PAGE_ENTRIES  # group 1, whole
    monkeypatch.undo()  # the hub and the disk are back
    resumed = sync_service.sync_now(reader)
    assert resumed.pulled == _feed_size(reader) - 2 * engine.PAGE_ENTRIES
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"] and resumed.mismatches == {}


def test_a_cancel_while_a_group_waits_stores_none_of_it(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    monkeypatch.setattr(engine, "GROUP_PAGES", 2)
    monkeypatch.setattr(engine, "GROUP_WAIT_S", 60.0)
    cancel = threading.Event()

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == "pull" and done >= 2 * engine.PAGE_ENTRIES:
            cancel.set()  # the first group is stored; the second is downloaded, not stored yet

    with pytest.raises(SyncCancelled):
        sync_service.sync_now(reader, progress=progress, cancel=cancel)
    assert 2 * engine.PAGE_ENTRIES - 10 < reader.store.count("mentor") <= 2 * engine.PAGE_ENTRIES
    resumed = sync_service.sync_now(reader)
    assert resumed.pulled == _feed_size(reader) - 2 * engine.PAGE_ENTRIES
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]


def test_pages_of_a_slow_hub_are_stored_as_they_come(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writer, reader = writer_and_reader(world, MENTORS)
    monkeypatch.setattr(engine, "GROUP_PAGES", 8)
    monkeypatch.setattr(engine, "GROUP_WAIT_S", 0.0)  # every page has waited long enough
    sizes = _count_pages(monkeypatch)
    sync_service.sync_now(reader)
    assert len(sizes) == 5 and sizes[:4] == [engine.PAGE_ENTRIES] * 4
    assert snapshot(reader)["mentor"] == snapshot(writer)["mentor"]
