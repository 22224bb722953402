"""Alembic migrations of the local database, applied at start-up before anything else reads it.

Alembic (0.3–0.5 s of imports) is imported when a database is opened, not when the CLI starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import paths
from .errors import NewerSchema

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Full-text tables are virtual tables made by raw SQL; autogenerate must not see them."""
    return not (type_ == "table" and name and "_fts" in name)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    return _script().get_current_head() or ""


def known_revisions() -> set[str]:
    """Every schema revision this release knows (a database or backup from a later one is refused)."""
    script = _script()
    return {revision.revision for revision in script.walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def pending(connection: Connection) -> bool:
    """True if the schema is behind; NewerSchema if it comes from a later release."""
    script = _script()
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
