"""Alembic migrations: an empty database upgrades to head, and head matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from tandem_desktop.store import migrations
from tandem_desktop.store.engine import make_engine
from tandem_desktop.store.schema import FTS_KINDS, metadata


def test_empty_encrypted_database_upgrades_to_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(tmp_path / "vide.db", b"\x01" * 32)
    with engine.begin() as conn:
        assert migrations.current_revision(conn) is None
        assert migrations.pending(conn)
        migrations.upgrade(conn)
    with engine.connect() as conn:
        assert migrations.current_revision(conn) == migrations.head_revision() == "0012_charter_sync"
        assert not migrations.pending(conn)
        tables = set(inspect(conn).get_table_names())
        assert {"structure", "counsellor", "mentor", "mentee", "tandem", "meeting", "outbox", "meta"} <= tables
        for kind in FTS_KINDS:
            conn.execute(text(f"SELECT count(*) FROM {kind}_fts WHERE {kind}_fts MATCH 'x*'")).scalar_one()
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": migrations.include_object}), metadata
        )
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert b"SQLite format 3" not in (tmp_path / "vide.db").read_bytes()[:100]


def test_downgrade_then_upgrade_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    engine = make_engine(tmp_path / "aller-retour.db", b"\x02" * 32)
    with engine.begin() as conn:
        migrations.upgrade(conn)
        command.downgrade(migrations.alembic_config(conn), "base")
        assert "mentor" not in inspect(conn).get_table_names()
        migrations.upgrade(conn)
        assert "mentor" in inspect(conn).get_table_names()
    engine.dispose()


NATURAL_ORDER = "SELECT last_name FROM mentee WHERE deleted = 0 ORDER BY sort_key, row_no"  # a list's order


def test_the_french_sort_migration_rebuilds_the_keys_of_an_existing_profile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Keys written by 0.4 kept « œ » as one letter (sorted after « z »); the upgrade rebuilds them."""
    from alembic import command

    engine = make_engine(tmp_path / "tri.db", b"\x04" * 32)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "0004_charters")
        for row_no, (first, last, old_key) in enumerate(
                [("Anne", "Œuvray", "œuvray anne"), ("Paul", "Ortiz", "ortiz paul"), ("Zoé", "Pic", "pic zoe")], 1):
            conn.execute(text("INSERT INTO mentee (row_no, id, first_name, last_name, sort_key, created_hlc, "
                              "updated_hlc) VALUES (:n, :id, :f, :l, :k, 's', 's')"),
                         {"n": row_no, "id": f"id{row_no}", "f": first, "l": last, "k": old_key})
        before = conn.execute(text(NATURAL_ORDER)).scalars().all()
        assert before == ["Ortiz", "Pic", "Œuvray"]
        command.upgrade(migrations.alembic_config(conn), "0005_french_sort")
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT last_name, sort_key FROM mentee")).all())
        after = conn.execute(text(NATURAL_ORDER)).scalars().all()
    engine.dispose()
    assert keys["Œuvray"] == "oeuvray anne"
    assert after == ["Œuvray", "Ortiz", "Pic"]


def test_the_list_keys_migration_fills_keys_labels_and_search_of_an_existing_profile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A profile of the previous release: its rows get their sort keys and reference labels, its
    full-text tables are built again (with prefix indexes) from the rows, and lists sort by index."""
    from alembic import command

    from tandem_desktop.domain.kinds import KINDS
    from tandem_desktop.store.queries import ListQuery, count, find, list_fields

    engine = make_engine(tmp_path / "listes.db", b"\x06" * 32)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "0005_french_sort")
        insert = ("INSERT INTO {kind} (row_no, id, {names}, sort_key, created_hlc, updated_hlc) "
                  "VALUES (:n, :id, {marks}, :k, 's', 's')")
        old_rows = [
            ("structure", 1, "s1", {"name": "Éveil", "type": "autre"}, "eveil"),
            ("structure", 2, "s2", {"name": "adie", "type": "adie"}, "adie"),
            ("counsellor", 1, "c1", {"first_name": "Inès", "last_name": "Haddad", "structure_id": "s1"}, "haddad"),
            ("counsellor", 2, "c2", {"first_name": "Paul", "last_name": "Ortiz", "structure_id": "s2"}, "ortiz"),
            ("mentee", 1, "m1", {"first_name": "Zoé", "last_name": "Pic", "commune": "Éguilles"}, "pic zoe"),
            ("mentee", 2, "m2", {"first_name": "Léa", "last_name": "Arnaud", "commune": "Ventabren"}, "arnaud")]
        for kind, number, rid, values, key in old_rows:
            marks = ", ".join(f":{name}" for name in values)
            conn.execute(text(insert.format(kind=kind, names=", ".join(values), marks=marks)),
                         {"n": number, "id": rid, "k": key, **values})
            conn.execute(text(f"INSERT INTO {kind}_fts (rowid, body) VALUES (:n, :body)"),
                         {"n": number, "body": " ".join(str(v) for v in values.values())})
        migrations.upgrade(conn)
    with engine.connect() as conn:
        labels = conn.execute(text("SELECT id, structure_id__label, structure_id__key, first_name__key "
                                   "FROM counsellor ORDER BY id")).all()
        communes = dict(conn.execute(text("SELECT id, commune__key FROM mentee")).all())
        fts = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'mentee_fts'")).scalar_one()
        mentee, counsellor = KINDS["mentee"], KINDS["counsellor"]
        by_commune = [r["commune"] for r in find(conn, mentee, ListQuery(sort="commune"), 0, 10,
                                                  fields=list_fields(mentee))]
        by_structure = [r["structure_id__label"] for r in find(conn, counsellor, ListQuery(sort="structure_id"), 0, 10,
                                                                fields=list_fields(counsellor))]
        found = [r["id"] for r in find(conn, mentee, ListQuery(search="eg"), 0, 10, fields=list_fields(mentee))]
        plan = " ".join(str(r) for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM mentee WHERE deleted = 0 ORDER BY commune__key, sort_key LIMIT 5")))
        counted = count(conn, mentee, ListQuery(search="ven"))
    engine.dispose()
    assert labels == [("c1", "Éveil", "eveil\x01Éveil", "ines\x01Inès"), ("c2", "adie", "adie", "paul\x01Paul")]
    assert communes == {"m1": "eguilles\x01Éguilles", "m2": "ventabren\x01Ventabren"}
    assert "prefix='1 2'" in fts
    assert by_commune == ["Éguilles", "Ventabren"] and by_structure == ["adie", "Éveil"]
    assert found == ["m1"] and counted == 1, "the search index was built again from the rows"
    assert "ix_mentee_by_commune" in plan and "TEMP B-TREE" not in plan
