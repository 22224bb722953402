"""Issue 11, point 4 (push of 1,000 edits < 1.5 s): protocol 5's summary follows the store's journal.

The first summary of a session reads every record; after writes (local creates, edits, deletes,
pulled records) only the written records are read again, and the answer is exactly what reading
every record gives (store/lines.py)."""

from __future__ import annotations

import time

from sqlalchemy import event

from tandem_desktop.store import lines
from tandem_desktop.store.queries import ListQuery


def _full(store) -> dict:  # type: ignore[no-untyped-def]
    with store.reading() as conn:
        return lines.summary(conn, hashed=True)


def _followed(store) -> dict:  # type: ignore[no-untyped-def]
    return store.remote.summary(hashed=True)


def _reading(store) -> tuple[dict, list[str]]:  # type: ignore[no-untyped-def, type-arg]
    """The followed summary, and the statements that read records for it."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        summary = _followed(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    return summary, [s for s in seen if s.startswith("SELECT id, versions")]


def _pulled(kind: str, record_id: str, fields: dict, device: str = "poste-du-hub") -> dict:  # type: ignore[type-arg]
    stamp = f"{int(time.time() * 1000):013d}-00000-{device}"
    return {"type": "record", "kind": kind, "record_id": record_id, "fields": fields,
            "versions": dict.fromkeys(fields, stamp)}


def test_summary_after_writes_reads_only_what_was_written_and_equals_a_full_read(store) -> None:  # type: ignore[no-untyped-def]
    ids = store.create_many("mentee", [{"first_name": f"Prénom{i}", "last_name": "Durand"} for i in range(60)])
    store.create("mentor", {"first_name": "Hélène", "last_name": "Martin"})
    assert _followed(store) == _full(store)

    store.update("mentee", ids[0], {"notes": "Point d’étape"})
    store.update("mentee", ids[1], {"notes": "Autre"})
    store.delete("mentee", ids[2])
    created = store.create("mentee", {"first_name": "Léa", "last_name": "Nouvelle"})
    store.remote.apply_page([_pulled("mentee", ids[3], {"phone": "0611223344"}),
                             _pulled("mentor", "0190a0b0-0000-7000-8000-00000000abcd",
                                     {"first_name": "Nadia", "last_name": "Tirée"})], cursor=7)
    followed, reads = _reading(store)
    assert followed == _full(store)
    assert followed["counts"]["mentee"] == 60 and followed["counts"]["mentor"] == 2
    # Only the written records, by id: no statement reads a whole table again.
    assert reads and all(" AND id IN (" in s for s in reads)
    assert sum(s.count("?") for s in reads) == 5 + 1  # 4 mentees written and the one created; 1 mentor
    assert created


def test_nothing_written_reads_nothing(store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentor", [{"first_name": f"M{i}", "last_name": "Essai"} for i in range(5)])
    first = _followed(store)
    again, reads = _reading(store)
    assert again == first and reads == []


def test_a_new_store_reads_every_record_again(profile, settings) -> None:  # type: ignore[no-untyped-def]
    """A database changed while the app was closed is seen: the first summary of an open store is a full read."""
    store = profile.store
    rid, other = store.create_many("mentor", [{"first_name": "Hélène", "last_name": "Martin"},
                                              {"first_name": "Jean", "last_name": "Martin"}])
    before = _followed(store)
    with store.engine.begin() as conn:  # behind the store's back: the journal does not hear it
        conn.exec_driver_sql("UPDATE mentor SET versions = ? WHERE id = ?",
                             ('{"first_name": "0000000000001-00000-falsifie"}', rid))
    assert _followed(store) == before  # the open store follows its own writes only…
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE mentor SET deleted = 1 WHERE id = ?", (other,))
    gone = _followed(store)  # …and its live counts: a row gone behind its back makes the kind read again
    assert gone == _full(store) and gone["counts"]["mentor"] == 1
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE mentor SET versions = '{}' WHERE id = ?", (rid,))
    assert _followed(store) == gone
    store.line_hashes.forget()  # what a new store (the next session) starts from
    after = _followed(store)
    assert after == _full(store) and after["digests"]["mentor"] != gone["digests"]["mentor"]


def test_the_old_protocol_digest_is_unchanged(store) -> None:  # type: ignore[no-untyped-def]
    store.create_many("mentee", [{"first_name": f"P{i}", "last_name": "Durand"} for i in range(3)])
    page = store.find("mentee", ListQuery(), 0, 3)
    assert store.remote.summary(hashed=False)["counts"]["mentee"] == len(page) == 3
