"""The department queries a request can trigger are served by indexes on both databases; above
all the rooms of a removed department, read among millions of rooms."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.departments import repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.repository import RoomCriteria
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, open_storage
from tests.storage.plans import Explaining
from tests.support import backends, drop_schema, settings_for


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    prepare_database(settings)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


async def _seed(conn: Connection) -> None:
    for index in range(300):
        department = {"_id": f"d{index}", "name": f"Department {index}", "enabled": True, "numAgents": 1}
        await repository.insert(conn, department)
        agent = {"_id": f"a{index}", "agentId": f"u{index}", "departmentId": f"d{index % 10}", "username": f"u{index}"}
        await repository.insert_agent(conn, agent)
    if conn.dialect == "postgresql":
        for table in ("departments", "department_agents", "rooms"):
            await conn.execute(f"ANALYZE {table}")
        await conn.execute("SET LOCAL enable_seqscan = off")


async def _explain(conn: Connection, sql: str, *args: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect == "sqlite" else "EXPLAIN "
    return "\n".join(str(dict(row)) for row in await conn.fetch(prefix + sql, *args))


async def _plans(settings: Settings) -> dict[str, str]:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await _seed(conn)
            explaining = Explaining(conn)
            calls = {
                "rooms of a department": repository.rooms_of(explaining, "d1"),  # type: ignore[arg-type]
                "agents page": repository.agents_page(explaining, "d1", sort=None, offset=0, count=25),  # type: ignore[arg-type]
                "listing": repository.page(explaining, archived=False, text=None, sort=None, offset=0, count=25),  # type: ignore[arg-type]
            }
            plans: dict[str, str] = {}
            for name, call in calls.items():
                before = len(explaining.plans)
                await call
                plans[name] = "\n".join(explaining.plans[before:])
            before = len(explaining.plans)
            criteria = RoomCriteria(departments=["d1"])
            await livechat_repository.list_rooms(explaining, criteria, sort=None, offset=0, count=25)  # type: ignore[arg-type]
            plans["rooms listed by department"] = "\n".join(explaining.plans[before:])
            plans["agent"] = await _explain(
                conn, "SELECT doc FROM department_agents WHERE department_id = $1 AND agent_id = $2", "d1", "u1"
            )
            plans["departments of an agent"] = await _explain(
                conn, "SELECT department_id FROM department_agents WHERE agent_id = $1", "u1"
            )
            plans["by name"] = await _explain(
                conn, "SELECT doc FROM departments WHERE name = $1 ORDER BY id LIMIT 1", "Department 1"
            )
            return plans
    finally:
        await storage.close()


def test_department_queries_use_indexes(database: Settings) -> None:
    plans = asyncio.run(_plans(database))
    expected = {
        "rooms of a department": "rooms_department",
        "rooms listed by department": "rooms_department",
        "by name": "departments_name",
        "departments of an agent": "department_agents_agent",
        "listing": "departments_listing",
    }
    for name, index in expected.items():
        assert index in plans[name], f"{name}: {plans[name]}"
    # One (department, agent) row: by either key, both selective.
    assert "department_agents_member" in plans["agent"] or "department_agents_agent" in plans["agent"]
    # Either index on (department_id, ...): a department has tens of agents, sorted in memory.
    assert "department_agents_member" in plans["agents page"] or "department_agents_order" in plans["agents page"]
