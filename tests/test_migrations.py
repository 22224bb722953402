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
        assert migrations.current_revision(conn) == migrations.head_revision() == "0006_list_keys"
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
