"""Alembic environment for Reign's tables: run with a connection handed over by `Database.migrate`."""

from __future__ import annotations

from alembic import context

from reign.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - `alembic` CLI use: needs sqlalchemy.url in the config
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, version_table="reign_alembic_version")
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, version_table="reign_alembic_version")
    with context.begin_transaction():
        context.run_migrations()
