"""The hub's own Alembic migrations (db/hub/): an empty database upgrades to head, matching the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from tandem_desktop import paths
from tandem_desktop.hub import admin
from tandem_desktop.hub.db import HUB_TABLES, make_engine, metadata, schema_revision

from .helpers import head_revision


def test_empty_database_upgrades_to_head_and_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is None
    engine.dispose()
    engine = admin.connect(db_url)
    admin.connect(db_url).dispose()  # a second start finds nothing to do
    try:
        assert schema_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert set(HUB_TABLES) <= set(inspect(conn).get_table_names())
            state = conn.execute(text("SELECT id, hub_id, last_seq FROM hub_state")).all()
            assert len(state) == 1 and state[0].last_seq == 0 and len(state[0].hub_id) == 36
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_downgrade_to_base_then_upgrade_again(db_url: str) -> None:
    engine = admin.connect(db_url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(paths.migrations_dir() / "hub"))
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            assert "records" not in inspect(conn).get_table_names()
        admin.connect(db_url).dispose()
        assert schema_revision(engine) == head_revision()
    finally:
        engine.dispose()
