"""Connections are handed out in the order requests asked for them: a request that arrives while
others wait queues behind them (PostgreSQL's pool, SQLite's writer)."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.storage import open_storage
from tests.support import backends, drop_schema, settings_for


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    settings = settings.model_copy(update={"db_pool_size": 1})
    prepare_database(settings)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


async def _order(settings: Any) -> list[str]:
    storage = await open_storage(settings)
    served: list[str] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        first_holds = asyncio.Event()
        release_first = asyncio.Event()

        async def client(name: str, *, hold: bool = False) -> None:
            async with storage.connection() as conn:
                # A write: on SQLite that is what takes the (single) writer.
                await conn.execute("UPDATE meta SET value = value WHERE key = 'config_version'")
                served.append(name)
                if hold:
                    first_holds.set()
                    await release_first.wait()
                    # A newcomer that runs just before the connection comes back: it must not
                    # take it ahead of the requests already waiting.
                    tasks.append(asyncio.create_task(client("late")))

        first = asyncio.create_task(client("first", hold=True))
        await first_holds.wait()
        waiting = [asyncio.create_task(client(f"waiter-{index}")) for index in range(5)]
        await asyncio.sleep(0.05)  # every waiter queued
        release_first.set()
        await asyncio.gather(first, *waiting)
        await asyncio.gather(*tasks)
    finally:
        await storage.close()
    return served


def test_connections_go_to_requests_in_arrival_order(database: Any) -> None:
    served = asyncio.run(_order(database))

    assert served == ["first", *(f"waiter-{index}" for index in range(5)), "late"]
