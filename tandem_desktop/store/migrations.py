"""Alembic migrations of the local database, applied at start-up before anything else reads it."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from .. import paths
from .errors import NewerSchema


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Full-text tables are virtual tables made by raw SQL; autogenerate must not see them."""
    return not (type_ == "table" and name and "_fts" in name)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def known_revisions() -> set[str]:
    """Every schema revision this release knows (a database or backup from a later one is refused)."""
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def pending(connection: Connection) -> bool:
    """True if the schema is behind; NewerSchema if it comes from a later release."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(connection)
    if current is None:
        return True
    try:
        script.get_revision(current)
    except Exception as exc:  # alembic raises a few kinds for an unknown id
        raise NewerSchema(current) from exc
    return current != script.get_current_head()


def upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")
