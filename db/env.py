"""Alembic environment for the local database.

Tandem Desktop runs migrations itself at start-up (tandem_desktop.store.migrations), passing an open,
keyed SQLCipher connection in config.attributes["connection"]; there is no URL to configure here.
"""

from alembic import context

from tandem_desktop.store.migrations import include_object
from tandem_desktop.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copy
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
