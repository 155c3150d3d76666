"""Run the Alembic migrations programmatically (used by `serve`, `db upgrade` and the tests)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from omnicontacts.settings import Settings


def sqlalchemy_url(database_url: str) -> str:
    """The same database, named for SQLAlchemy's synchronous drivers (psycopg 3, sqlite3)."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["sqlalchemy_url"] = sqlalchemy_url(settings.database_url)
    config.attributes["schema"] = settings.database_schema if settings.is_postgres else None
    return config


def upgrade(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")
