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


__all__ = ["Connection", "Row", "Storage", "open_storage"]
