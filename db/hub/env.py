"""Alembic environment of the hub database (not the desktop's local one: that is db/env.py).

The hub runs its migrations itself (tandem_desktop.hub.db.upgrade), at `tandem-hub serve` start and
before every admin command, passing an open connection in config.attributes["connection"].
"""

from alembic import context

from tandem_desktop.hub.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
