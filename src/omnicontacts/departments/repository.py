"""All SQL of livechat departments (`departments`), their agents (`department_agents`) and the
department of a room (`rooms.department_id`)."""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.restapi.query import like_pattern, limit_offset, order_by
from omnicontacts.storage import Connection

SORT_COLUMNS = {"name": "name", "_id": "id", "enabled": "enabled", "numAgents": "num_agents"}
AGENT_SORT_COLUMNS = {"username": "username", "_id": "id", "agentId": "agent_id"}


def _loads(text: Any) -> dict[str, Any] | None:
    return None if text is None else jsonutil.loads(text)


def _columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (
        doc["_id"],
        doc["name"],
        bool(doc.get("enabled")),
        doc.get("archived") is True,
        int(doc.get("numAgents") or 0),
        jsonutil.dumps_str(doc),
    )


async def find(conn: Connection, department_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update and conn.dialect == "postgresql" else ""
    return _loads(await conn.fetchval(f"SELECT doc FROM departments WHERE id = $1{lock}", department_id))


async def find_by_id_or_name(conn: Connection, key: str) -> dict[str, Any] | None:
    found = await find(conn, key)
    if found is not None:
        return found
    return _loads(await conn.fetchval("SELECT doc FROM departments WHERE name = $1 ORDER BY id LIMIT 1", key))


async def insert(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO departments (id, name, enabled, archived, num_agents, doc) VALUES ($1, $2, $3, $4, $5, $6)",
        *_columns(doc),
    )


async def save(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE departments SET name = $2, enabled = $3, archived = $4, num_agents = $5, doc = $6 WHERE id = $1",
        *_columns(doc),
    )


async def delete(conn: Connection, department_id: str) -> int:
    return await conn.execute("DELETE FROM departments WHERE id = $1", department_id)


def _filter(
    *, archived: bool | None, text: str | None, enabled: bool, exclude_id: str | None, except_ids: list[str]
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if archived is not None:
        args.append(archived)
        clauses.append(f"archived = ${len(args)}")
    if enabled:
        clauses.append("enabled")
    if text:
        # A case-insensitive literal substring of the name, as Rocket.Chat's escaped regex.
        args.append(like_pattern(text.lower()))
        clauses.append(f"lower(name) LIKE ${len(args)} ESCAPE '\\'")
    if exclude_id:
        args.append(exclude_id)
        clauses.append(f"id <> ${len(args)}")
    for except_id in except_ids:
        args.append(except_id)
        clauses.append(f"id <> ${len(args)}")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


async def page(
    conn: Connection,
    *,
    archived: bool | None,
    text: str | None,
    enabled: bool = False,
    exclude_id: str | None = None,
    except_ids: list[str] | None = None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of departments and the total that match."""
    where, args = _filter(
        archived=archived, text=text, enabled=enabled, exclude_id=exclude_id, except_ids=except_ids or []
    )
    order = order_by(sort, SORT_COLUMNS, "name ASC, id ASC")
    rows = await conn.fetch(f"SELECT doc FROM departments{where} {order} {limit_offset(count, offset)}", *args)
    total = int(await conn.fetchval(f"SELECT count(*) FROM departments{where}", *args))
    return [jsonutil.loads(row["doc"]) for row in rows], total


async def find_by_ids(conn: Connection, department_ids: list[str]) -> list[dict[str, Any]]:
    if not department_ids:
        return []
    marks = ", ".join(f"${index}" for index in range(1, len(department_ids) + 1))
    rows = await conn.fetch(f"SELECT doc FROM departments WHERE id IN ({marks}) ORDER BY name, id", *department_ids)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def enabled_with_agents(conn: Connection) -> list[dict[str, Any]]:
    """What the widget may offer: enabled, not archived, with at least one agent."""
    rows = await conn.fetch(
        "SELECT doc FROM departments WHERE archived = $1 AND enabled AND num_agents > 0 ORDER BY name, id", False
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def unset_fallback(conn: Connection, department_id: str) -> None:
    """Departments falling back to a removed one fall back to none. Departments are few (tens,
    at most a few hundred), so the documents are read and rewritten here."""
    rows = await conn.fetch("SELECT doc FROM departments")
    for row in rows:
        doc = jsonutil.loads(row["doc"])
        if doc.get("fallbackForwardDepartment") == department_id:
            doc.pop("fallbackForwardDepartment", None)
            await save(conn, doc)


# --- agents ---------------------------------------------------------------------------------------


async def agents_page(
    conn: Connection, department_id: str, *, sort: dict[str, int] | None, offset: int, count: int
) -> tuple[list[dict[str, Any]], int]:
    order = order_by(sort, AGENT_SORT_COLUMNS, "username ASC, id ASC")
    rows = await conn.fetch(
        f"SELECT doc FROM department_agents WHERE department_id = $1 {order} {limit_offset(count, offset)}",
        department_id,
    )
    total = int(await conn.fetchval("SELECT count(*) FROM department_agents WHERE department_id = $1", department_id))
    return [jsonutil.loads(row["doc"]) for row in rows], total


async def agents_of(conn: Connection, department_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT doc FROM department_agents WHERE department_id = $1 ORDER BY username, id", department_id
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def find_agent(conn: Connection, department_id: str, agent_id: str) -> dict[str, Any] | None:
    return _loads(
        await conn.fetchval(
            "SELECT doc FROM department_agents WHERE department_id = $1 AND agent_id = $2", department_id, agent_id
        )
    )


async def insert_agent(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO department_agents (id, department_id, agent_id, username, doc) VALUES ($1, $2, $3, $4, $5)",
        doc["_id"],
        doc["departmentId"],
        doc["agentId"],
        doc["username"],
        jsonutil.dumps_str(doc),
    )


async def save_agent(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE department_agents SET username = $2, doc = $3 WHERE id = $1",
        doc["_id"],
        doc["username"],
        jsonutil.dumps_str(doc),
    )


async def remove_agent(conn: Connection, department_id: str, agent_id: str) -> int:
    return await conn.execute(
        "DELETE FROM department_agents WHERE department_id = $1 AND agent_id = $2", department_id, agent_id
    )


async def remove_agents(conn: Connection, department_id: str) -> int:
    return await conn.execute("DELETE FROM department_agents WHERE department_id = $1", department_id)


async def count_agents(conn: Connection, department_id: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM department_agents WHERE department_id = $1", department_id))


async def set_agents_enabled(conn: Connection, department_id: str, enabled: bool) -> None:
    """Each agent row carries `departmentEnabled`, as Rocket.Chat's does."""
    for doc in await agents_of(conn, department_id):
        if doc.get("departmentEnabled") is not enabled:
            doc["departmentEnabled"] = enabled
            await save_agent(conn, doc)


async def departments_of_agent(conn: Connection, agent_id: str) -> list[str]:
    rows = await conn.fetch("SELECT department_id FROM department_agents WHERE agent_id = $1", agent_id)
    return [row["department_id"] for row in rows]


async def agent_user_ids(conn: Connection, department_id: str) -> list[str]:
    rows = await conn.fetch("SELECT agent_id FROM department_agents WHERE department_id = $1", department_id)
    return [row["agent_id"] for row in rows]


# --- rooms ---------------------------------------------------------------------------------------


async def rooms_of(conn: Connection, department_id: str) -> list[dict[str, Any]]:
    """Rooms in the department (`rooms_department`), locked: their documents are rewritten."""
    lock = " FOR UPDATE" if conn.dialect == "postgresql" else ""
    rows = await conn.fetch(f"SELECT doc FROM rooms WHERE department_id = $1{lock}", department_id)
    return [jsonutil.loads(row["doc"]) for row in rows]
