"""Alembic environment: migrations run on a connection handed in by runner.py."""

from alembic import context

from farmstead.store.schema import made_on, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through farmstead.store.migrations.runner")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True, include_object=made_on(connection.dialect.name))
context.run_migrations()
