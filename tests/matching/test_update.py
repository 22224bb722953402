"""After a write, the matching data changes only the rows concerned (the store's journal says which):
it must answer exactly as data built again from the database, without reading everything again."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tandem_desktop.domain.ids import new_id
from tandem_desktop.matching.features import MatchingData
from tandem_desktop.matching.score import score_block
from tandem_desktop.reference import load_reference
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.matching import MatchingService
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.errors import NotFound
from tandem_desktop.store.journal import WriteJournal

REF = load_reference()


@pytest.fixture
def demo(store):  # type: ignore[no-untyped-def]
    generate_demo(store, mentors=40, mentees=250, seed=9)
    return store


def assert_same(data: MatchingData, fresh: MatchingData, service: MatchingService) -> None:
    """Same people in the same rows, same loads and pairs, same scores, reasons and explanations."""
    assert data.mentors.ids == fresh.mentors.ids and data.mentees.ids == fresh.mentees.ids
    assert data.mentors.names == fresh.mentors.names and data.mentees.names == fresh.mentees.names
    assert data.paired == fresh.paired
    for name in ("load", "capacity", "active", "waiting", "waiting_days"):
        np.testing.assert_array_equal(getattr(data, name), getattr(fresh, name), err_msg=name)
    settings = service.settings()
    ours, theirs = score_block(data, settings), score_block(fresh, settings)
    for name in ("contributions", "scores", "reasons", "distance"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)
    rows = np.flatnonzero(data.waiting)
    if len(rows):
        assert service.explainer(data).reasons(ours, 0, 0) == service.explainer(fresh).reasons(theirs, 0, 0)


def proposal(service: MatchingService) -> str:
    return json.dumps(service.propose().as_dict(), ensure_ascii=False)


def test_each_kind_of_write_updates_the_rows_and_answers_as_a_rebuild(demo) -> None:  # type: ignore[no-untyped-def]
    store = demo
    records = Records(store, Actor())
    service = MatchingService(store, REF, records)
    before = service.data()
    waiting = [before.mentees.ids[i] for i in np.flatnonzero(before.waiting)]
    mentor_ids = before.mentors.ids
    free = [mentor_ids[j] for j in np.flatnonzero(before.remaining > 0)]
    first_mentee = store.get("mentee", waiting[0])

    writes: list[tuple[str, Any]] = [
        ("a mentee's trade, needs (a new word) and commune (a new place)",
         lambda: records.update("mentee", waiting[0], {"trade_code": "A1203", "needs": ["Apiculture urbaine"],
                                                       "commune": "Toulon", "postal_code": "83000"})),
        ("a mentor offers 50 new skills: every bitset gets wider", lambda: records.update(
            "mentor", free[5], {"skills": [f"Savoir-faire rare {i}" for i in range(50)]})),
        ("a mentee needs some of them, and something else", lambda: records.update(
            "mentee", waiting[5], {"needs": [*(f"Savoir-faire rare {i}" for i in range(40, 50)), "Comptabilité"]})),
        ("a mentee declines a mentor and excludes an employer",
         lambda: records.update("mentee", waiting[1], {"declined_mentors": [free[0]],
                                                       "excluded_employers": ["Airbus Helicopters"]})),
        ("a mentee needs a language nobody listed", lambda: records.update(
            "mentee", waiting[2], {"required_language": "tamoul"})),
        ("a mentor speaks it now", lambda: records.update("mentor", free[1], {"languages": ["tamoul", "français"]})),
        ("a mentee leaves the waiting list", lambda: records.update("mentee", waiting[3], {"status": "exited"})),
        ("a new waiting mentee", lambda: records.create("mentee", {
            **{k: first_mentee[k] for k in ("first_name", "last_name", "project_type", "commune", "postal_code",
                                            "trade_code", "consent_given", "needs", "languages")},
            "status": "waiting", "waiting_since": "2026-01-05"})),
        ("a tandem proposed (the mentee leaves the list, the mentor's load grows)",
         lambda: service.accept(waiting[4], free[2])),
        ("a mentor's places and activity", lambda: records.update("mentor", free[3], {"capacity": 7})),
        ("a mentor inactive", lambda: records.update("mentor", free[4], {"active": False})),
        ("a new mentor in a new commune", lambda: records.create("mentor", {
            "first_name": "Paul", "last_name": "Martin", "capacity": 2, "commune": "Avignon", "postal_code": "84000",
            "consent_given": True, "skills": ["Apiculture urbaine"], "trade_code": "A1203"})),
    ]
    for what, write in writes:
        write()
        rebuilds = service.rebuilds
        data = service.data()
        assert service.rebuilds == rebuilds, what  # rows changed, nothing read again
        assert data is not before and data.version != before.version, what
        assert_same(data, MatchingService(store, REF).data(), service)
        assert proposal(service) == proposal(MatchingService(store, REF)), what
        before = data
    # The tandem ends, then is deleted: the mentee exits, then waits again (back at their old row).
    tandem = next(t for t in store.live_records("tandem") if t["mentee_id"] == waiting[4])
    for write in (lambda: records.move_tandem(tandem["id"], "ended", outcome="job"),
                  lambda: records.delete("tandem", tandem["id"]),
                  lambda: records.update("mentee", waiting[4], {"status": "waiting"})):
        write()
        assert_same(service.data(), MatchingService(store, REF).data(), service)
    assert service.rebuilds == 1


def test_the_data_given_out_never_changes_under_its_holder(demo) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(demo, REF)
    held = service.data()
    ids, scores = list(held.mentees.ids), score_block(held, service.settings()).scores.copy()
    waiting = held.mentees.ids[int(np.flatnonzero(held.waiting)[0])]
    demo.update("mentee", waiting, {"status": "exited"})
    demo.update("mentor", held.mentors.ids[0], {"capacity": 9})
    assert waiting not in service.data().mentees.row
    assert held.mentees.ids == ids and (score_block(held, service.settings()).scores == scores).all()


def test_a_page_pulled_from_the_hub_updates_the_rows_too(demo) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(demo, REF)
    data = service.data()
    mentee_id = data.mentees.ids[int(np.flatnonzero(data.waiting)[0])]
    mentor_id = new_id()
    stamp = "1700000000001-00000-autre-appareil"
    page = [{"seq": 1, "type": "field", "kind": "mentee", "record_id": mentee_id, "field": "trade_code",
             "value": "A1203", "version": stamp}]
    page += [{"seq": 2 + i, "type": "field", "kind": "mentor", "record_id": mentor_id, "field": name, "value": value,
              "version": stamp} for i, (name, value) in enumerate({
                  "first_name": "Léa", "last_name": "Hub", "capacity": 3, "active": True, "consent_given": True,
                  "commune": "Marseille", "postal_code": "13001", "trade_code": "A1203"}.items())]
    demo.remote.apply_page(page, cursor=99)
    after = service.data()
    assert service.rebuilds == 1 and mentor_id in after.mentors.row
    assert_same(after, MatchingService(demo, REF).data(), service)


def test_asking_for_a_mentee_by_id_adds_them_and_an_unknown_one_is_refused(demo) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(demo, REF)
    service.data()
    out = next(m for m in demo.live_records("mentee") if m["status"] != "waiting")
    assert [c.id for c in service.suggest_for_mentee(out["id"]).candidates]
    assert out["id"] in service.data().mentees.row and service.rebuilds == 1
    demo.update("mentee", out["id"], {"needs": ["Comptabilité"]})  # asked for once: followed like the others
    assert_same(service.data(), MatchingService(demo, REF).data([out["id"]]), service)
    with pytest.raises(NotFound, match="introuvable"):
        service.suggest_for_mentee("0190aaaa-0000-7000-8000-000000000000")
    assert service.data().mentees.row.get(out["id"]) is not None


def test_the_journal_names_committed_writes_only_and_forgets_old_marks(store) -> None:  # type: ignore[no-untyped-def]
    mark = store.journal.mark()
    mentor = store.create("mentor", {"first_name": "A", "last_name": "B", "capacity": 1})
    with pytest.raises(RuntimeError), store.transaction():
        store.update("mentor", mentor, {"capacity": 2})
        store.create("mentee", {"first_name": "C", "last_name": "D", "project_type": "job_search"})
        raise RuntimeError("rolled back")
    now, written = store.journal.since(mark)
    assert written == {"mentor": {mentor}} and now > mark
    assert store.journal.since(now) == (now, {})
    journal = WriteJournal(keep=3)
    journal.publish([("mentee", str(i)) for i in range(5)])
    assert journal.since(1) == (5, None) and journal.since(2) == (5, {"mentee": {"2", "3", "4"}})
