"""Storage: open the configured database behind the one `Storage` interface."""

from omnicontacts.settings import Settings
from omnicontacts.storage.base import Connection, Row, Storage


async def open_storage(settings: Settings) -> Storage:
    if settings.is_postgres:
        from omnicontacts.storage.postgres import PostgresStorage

        return await PostgresStorage.open(
            settings.database_url, schema=settings.database_schema, pool_size=settings.db_pool_size
        )
    from omnicontacts.storage.sqlite import SqliteStorage

    return await SqliteStorage.open(settings.database_url)


def is_transient(error: BaseException) -> bool:
    """A failure after which the same transaction may simply be run again: a deadlock or
    serialization failure on PostgreSQL, a file still locked by another process on SQLite."""
    from omnicontacts.storage.postgres import is_transient as postgres_transient
    from omnicontacts.storage.sqlite import is_transient as sqlite_transient

    return postgres_transient(error) or sqlite_transient(error)


__all__ = ["Connection", "Row", "Storage", "is_transient", "open_storage"]
