"""The stored list columns: French keys and reference labels written by the one row writer, the
plans of a page giving the same rows, and list rows holding only what a list shows."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import event

from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.store import queries, rows
from tandem_desktop.store.queries import ORDER, ListQuery, list_fields
from tandem_desktop.texts.french import collation_key

COMMUNES = ["Éguilles", "eyguières", "Aubagne", "Marseille", "Ventabren", None]
LAST = ["Œuvray", "Ortiz", "élie", "Dupont", "dupont", "Zidane", "Ábel"]


@pytest.fixture
def mentees(store, monkeypatch):  # type: ignore[no-untyped-def]
    # Communes as another device stored them (before the reference-commune rule).
    monkeypatch.setattr(store, "check_place", lambda commune, postal_code: ({}, {}))
    structures = store.create_many("structure", [{"name": n, "type": "autre"} for n in ("Adie", "Mission")])
    return store.create_many("mentee", [
        {"first_name": f"P{i:02d}", "last_name": LAST[i % len(LAST)], "commune": COMMUNES[i % len(COMMUNES)],
         "status": ("waiting", "exited", "in_tandem")[i % 3], "structure_id": structures[i % 2] if i % 5 else None,
         "notes": "à relancer" if i % 4 == 0 else None}
        for i in range(60)])


def expected(store, query: ListQuery) -> list[str]:  # type: ignore[no-untyped-def]
    """The lists' order, computed in Python from whole records: the French key, then (same key) the
    value already folded first and the others by code point, then the natural order (last name,
    first name)."""
    records = [r for r in store.live_records("mentee")
               if all((r[k] is None) if v == "__none__" else r[k] == v for k, v in query.filters.items())]
    if query.search:
        found = {r["id"] for r in store.find("mentee", ListQuery(search=query.search), 0, 10_000)}
        records = [r for r in records if r["id"] in found]
    natural = {r["id"]: n for n, r in enumerate(store.find("mentee", ListQuery(), 0, 10_000))}

    by_value = query.sort not in (None, "last_name")  # the last name is where the natural order starts

    def key(record):  # type: ignore[no-untyped-def]
        value = record[query.sort] if by_value else None
        if value is None:
            first: tuple = (0,)  # type: ignore[type-arg]
        elif isinstance(value, str):
            first = (1, collation_key(value), collation_key(value) != value, value)
        else:
            first = (1, value)
        return (first, natural[record["id"]]) if by_value else natural[record["id"]]

    ordered = sorted(records, key=key, reverse=query.descending)
    return [r["id"] for r in ordered]


QUERIES = [
    ListQuery(sort="commune"), ListQuery(sort="commune", descending=True), ListQuery(sort="last_name"),
    ListQuery(sort="status", filters={"status": "exited"}), ListQuery(filters={"commune": "Aubagne"}),
    ListQuery(sort="last_name", descending=True, filters={"structure_id": "__none__"}),
    ListQuery(sort="first_name", search="dupont"), ListQuery(search="relancer", filters={"status": "waiting"}),
]


@pytest.mark.parametrize("walk_limit", [0, 1_000_000], ids=["walk-the-sort-index", "read-by-the-filter-or-matches"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q)[9:60])
def test_both_plans_of_a_page_give_the_french_order(store, mentees, monkeypatch, walk_limit, query) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(queries, "WALK_LIMIT", walk_limit)
    wanted = expected(store, query)
    shown = [r["id"] for r in store.find("mentee", query, 0, 1000, fields=list_fields(KINDS["mentee"]))]
    assert shown == wanted and shown
    paged = [r["id"] for start in range(0, len(wanted), 7)
             for r in store.find("mentee", query, start, 7, fields=list_fields(KINDS["mentee"]))]
    assert paged == wanted
    assert store.count("mentee", query) == len(wanted)


def page_plan(store, query: ListQuery) -> str:  # type: ignore[no-untyped-def]
    """SQLite's plan for the page statement `find` runs for `query`."""
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, many):  # type: ignore[no-untyped-def]
        if "LIMIT" in statement and "OFFSET" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        store.find("mentee", query, 0, 50, fields=list_fields(KINDS["mentee"]))
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
    statement, parameters = seen[-1]  # the page: a filter's probe comes before it
    with store.reading() as conn:
        return " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))


def test_a_search_with_few_matches_reads_them_instead_of_walking_the_list(store, mentees) -> None:  # type: ignore[no-untyped-def]
    """Walking the sort index and checking each row against the matches read every row when few or
    none matched: 10 ms a key at 100,000 mentees for a name with no match, 0.1 ms by its matches."""
    few = page_plan(store, ListQuery(search="dupont"))
    assert "ix_mentee_live_sort" not in few and "INTEGER PRIMARY KEY" in few, few
    none = page_plan(store, ListQuery(search="zzzz"))
    assert "ix_mentee_live_sort" not in none and "INTEGER PRIMARY KEY" in none, none
    assert store.find("mentee", ListQuery(search="zzzz"), 0, 50) == []


def test_matches_lead_when_a_filter_keeps_more_rows_than_the_search(store, mentees, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    query = ListQuery(search="dupont", filters={"status": "waiting"}, sort="commune")
    kept = store.count("mentee", ListQuery(filters={"status": "waiting"}))
    found = store.count("mentee", ListQuery(search="dupont"))
    assert found < kept
    monkeypatch.setattr(queries, "WALK_LIMIT", found + 1)  # the filter keeps too many, the matches do not
    plan = page_plan(store, query)
    assert "INTEGER PRIMARY KEY" in plan and "ix_mentee_by" not in plan, plan
    wanted = expected(store, query)
    assert [r["id"] for r in store.find("mentee", query, 0, 100, fields=list_fields(KINDS["mentee"]))] == wanted
    assert wanted and store.count("mentee", query) == len(wanted)


def test_a_list_row_holds_the_shown_fields_and_its_place_in_the_order(store, mentees) -> None:  # type: ignore[no-untyped-def]
    spec = KINDS["mentee"]
    [row] = store.find("mentee", ListQuery(sort="commune"), 0, 1, fields=list_fields(spec))
    assert set(row) == {"id", *spec.list_columns, ORDER}, "title and status are list columns already"
    assert "notes" not in row and "skills" not in row
    later = store.find("mentee", ListQuery(sort="commune"), 1, 5, fields=list_fields(spec))
    assert all(row[ORDER] < other[ORDER] for other in later)
    descending = store.find("mentee", ListQuery(sort="commune", descending=True), 0, 5, fields=list_fields(spec))
    assert all(a[ORDER] < b[ORDER] for a, b in itertools.pairwise(descending))


def test_rows_read_again_by_id_say_whether_they_still_match(store, mentees) -> None:  # type: ignore[no-untyped-def]
    query = ListQuery(filters={"status": "waiting"}, search="relancer")
    fields = list_fields(KINDS["mentee"])
    matching = [r["id"] for r in store.find("mentee", query, 0, 100, fields=fields)]
    other = next(m for m in mentees if m not in matching)
    again = store.find("mentee", query, fields=fields, ids=[matching[0], other])
    assert [r["id"] for r in again] == [matching[0]]
    store.update("mentee", matching[0], {"notes": "dossier complet"})
    assert store.find("mentee", query, fields=fields, ids=[matching[0]]) == []
    store.delete("mentee", matching[1])
    assert store.find("mentee", ListQuery(), fields=fields, ids=[matching[1]]) == []


def test_the_row_writer_keeps_keys_and_labels_right(store) -> None:  # type: ignore[no-untyped-def]
    structure = store.create("structure", {"name": "Éveil", "type": "autre", "commune": "Aubagne"})
    counsellor = store.create("counsellor", {"first_name": "Inès", "last_name": "Haddad", "structure_id": structure})

    def stored(kind: str, rid: str, *columns: str) -> tuple:  # type: ignore[type-arg]
        with store.reading() as conn:
            return tuple(conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM {kind} WHERE id = ?",
                                              (rid,)).one())

    assert stored("counsellor", counsellor, "structure_id__label", "structure_id__key", "first_name__key") == (
        "Éveil", "eveil\x01Éveil", "ines\x01Inès")
    store.update("structure", structure, {"name": "Adie Provence"})
    assert stored("counsellor", counsellor, "structure_id__label", "structure_id__key") == (
        "Adie Provence", "adie provence\x01Adie Provence")

    # Pulled out of order: the tandem's page came before its mentee's; the label follows her arrival.
    with store.transaction() as conn:
        rows.insert(conn, KINDS["tandem"], [rows.NewRow("t1", {"mentee_id": "m1", "mentor_id": "x", "status": "active"},
                                                        "1", "1")], validated=False)
    assert stored("tandem", "t1", "mentee_id__label", "mentor_id__label") == (None, None)
    with store.transaction() as conn:
        zoe = {"first_name": "Zoé", "last_name": "Martin", "project_type": "job_search", "status": "in_tandem"}
        rows.insert(conn, KINDS["mentee"], [rows.NewRow("m1", zoe, "2", "2")], validated=False)
    assert stored("tandem", "t1", "mentee_id__label", "mentee_id__key") == ("Zoé Martin", "zoe martin\x01Zoé Martin")
    store.update("mentee", "m1", {"first_name": "Anaïs"})
    assert stored("tandem", "t1", "mentee_id__label") == ("Anaïs Martin",)
    assert stored("mentee", "m1", "first_name__key", "sort_key") == ("anais\x01Anaïs", "martin anais")
