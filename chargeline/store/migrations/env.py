"""Alembic environment: runs on the connection that `store.database.migrate` hands over."""

from alembic import context

from chargeline.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through chargeline (chargeline serve / chargeline db upgrade)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
