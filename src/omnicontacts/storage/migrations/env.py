"""Alembic environment: one migration tree for SQLite and PostgreSQL.

The URL (and PostgreSQL schema) come from `omnicontacts.storage.migrate`, never from alembic.ini.
"""

from alembic import context
from sqlalchemy import create_engine, pool, text

config = context.config
url: str = config.attributes["sqlalchemy_url"]
schema: str | None = config.attributes.get("schema")

connect_args = {"options": f"-csearch_path={schema},public"} if schema else {}
engine = create_engine(url, poolclass=pool.NullPool, connect_args=connect_args)

with engine.connect() as connection:
    if schema:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
    context.configure(connection=connection, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()
