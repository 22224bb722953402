"""Reads never wait for a writer (issue 11, point 1): a search, a sort, a count or a record opened while
another thread holds the write lock answers from the last committed state, and never says « occupée »."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tandem_desktop.store.queries import ListQuery
from tandem_desktop.store.repository import Store


@pytest.fixture
def held_write(store: Store) -> Iterator[Callable[[], None]]:
    """Another thread in the middle of a write transaction (a pulled page being stored), until released."""
    store.create_many("mentee", [{"first_name": f"Prénom{i:02d}", "last_name": f"Nom{i:02d}",
                                  "commune": ("Marseille", "Aubagne", "Éguilles")[i % 3]} for i in range(30)])
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with store.transaction():
                store.create("mentee", {"first_name": "Zoé", "last_name": "Nouvelle"})
                holding.set()
                release.wait(30)
        except BaseException as exc:  # reported by the fixture
            failures.append(exc)
            holding.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)

    def commit() -> None:
        release.set()
        thread.join(30)

    yield commit
    commit()
    assert failures == []


def test_search_sort_count_and_get_answer_while_a_writer_holds_the_lock(store: Store, held_write) -> None:  # type: ignore[no-untyped-def]
    assert store.count("mentee") == 30, "the uncommitted record is not seen yet"
    found = store.find("mentee", ListQuery(search="Nom1"), 0, 50)
    assert sorted(r["last_name"] for r in found) == [f"Nom{i}" for i in range(10, 20)]
    by_commune = store.find("mentee", ListQuery(sort="commune"), 0, 30)
    assert [r["commune"] for r in by_commune][::10] == ["Aubagne", "Éguilles", "Marseille"]
    first = by_commune[0]
    assert store.get("mentee", first["id"])["last_name"] == first["last_name"]
    assert store.count("mentee", ListQuery(search="Zoé")) == 0
    held_write()  # the writer commits
    assert store.count("mentee") == 31
    assert store.count("mentee", ListQuery(search="Zoé")) == 1
