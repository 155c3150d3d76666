"""Livechat departments as Rocket.Chat keeps them: saving (with Meteor's checks and error
codes), agents, archiving, removal, and what the widget is told. No HTTP imports.

Departments do not route chats here: a room records the department its visitor chose
(`departmentId`) and any available agent may serve it (docs/compatibility.md).
"""

from collections.abc import Mapping
from typing import Any

from omnicontacts import ids
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.departments import repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat import routing
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import Failure, MeteorError
from omnicontacts.restapi.meteor_check import BOOLEAN, NUMBER, STRING, Maybe, ObjectIncluding, Text, check
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

SAVE_METHOD = {"method": "livechat:saveDepartment"}

# Rocket.Chat's checks of a department's fields; the widget's registration form may add fields
# of its own (strings, integers or booleans).
_FIELDS: dict[str, Any] = {
    "enabled": BOOLEAN,
    "name": Text(limits.NAME),
    "description": Maybe(Text(limits.TEXT)),
    "showOnRegistration": BOOLEAN,
    "email": Text(limits.EMAIL),
    "showOnOfflineForm": BOOLEAN,
    "requestTagBeforeClosingChat": Maybe(BOOLEAN),
    "chatClosingTags": Maybe([Text(limits.SHORT)]),
    "fallbackForwardDepartment": Maybe(Text(limits.ID)),
    "departmentsAllowedToForward": Maybe([Text(limits.ID)]),
    "allowReceiveForwardOffline": Maybe(BOOLEAN),
}
_AGENT = ObjectIncluding(
    {"agentId": Text(limits.ID), "username": Maybe(STRING), "count": Maybe(NUMBER), "order": Maybe(NUMBER)}
)
_AGENT_CHANGES = ObjectIncluding({"upsert": Maybe([_AGENT]), "remove": Maybe([_AGENT])})
# Stored keys the client cannot set.
_SERVER_KEYS = frozenset({"_id", "type", "numAgents", "archived", "_updatedAt", "parentId", "ancestors"})


def _check_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        check(data, _FIELDS)
    extra = [key for key in data if key not in _FIELDS]
    if len(extra) > limits.FIELDS:
        raise Failure(f"Match error: must NOT have more than {limits.FIELDS} additional fields")
    pattern = dict(_FIELDS)
    for key in extra:
        value = data[key]
        # Match.OneOf(String, Match.Integer, Boolean), with a length cap on strings.
        if isinstance(value, bool) or (isinstance(value, int | float) and float(value).is_integer()):
            pattern[key] = BOOLEAN if isinstance(value, bool) else NUMBER
        else:
            pattern[key] = Text(limits.TEXT)
    check(data, pattern)
    return {key: value for key, value in data.items() if key not in _SERVER_KEYS}


async def save_department(
    conn: Connection,
    department_id: str | None,
    data: Any,
    agents: Any = None,
    unit: Any = None,
) -> dict[str, Any]:
    """Create (no id) or update a department, then apply agent changes (`{upsert, remove}`)."""
    if isinstance(unit, dict) and "_id" in unit and not isinstance(unit["_id"], str):
        raise MeteorError("error-invalid-department-unit", "Invalid department unit id provided", SAVE_METHOD)
    existing = await repository.find(conn, department_id, for_update=True) if department_id else None
    if existing is not None and existing.get("archived") and isinstance(data, dict) and data.get("enabled"):
        raise MeteorError(
            "error-archived-department-cant-be-enabled", "Archived departments cant be enabled", SAVE_METHOD
        )
    fields = _check_data(data)
    if agents is not None:
        check(agents, _AGENT_CHANGES)
    if fields.get("requestTagBeforeClosingChat") and not fields.get("chatClosingTags"):
        raise MeteorError(
            "error-validating-department-chat-closing-tags",
            "At least one closing tag is required when the department requires tag(s) on closing conversations.",
            SAVE_METHOD,
        )
    if department_id and existing is None:
        raise MeteorError("error-department-not-found", "Department not found", SAVE_METHOD)
    fallback = fields.get("fallbackForwardDepartment")
    if fallback is not None and fallback == department_id:
        raise MeteorError(
            "error-fallback-department-circular",
            "Cannot save department. Circular reference between fallback department and department",
        )
    if fallback and await repository.find(conn, fallback) is None:
        raise MeteorError("error-fallback-department-not-found", "Fallback department not found", SAVE_METHOD)

    if existing is None:
        doc: dict[str, Any] = {"_id": ids.meteor_id(), **fields, "type": "d", "numAgents": 0, "_updatedAt": now_iso()}
        await repository.insert(conn, doc)
    else:
        doc = {**existing, **fields, "_updatedAt": now_iso()}
        await repository.save(conn, doc)
        if bool(existing.get("enabled")) != bool(doc.get("enabled")):
            await repository.set_agents_enabled(conn, doc["_id"], bool(doc.get("enabled")))
    if agents:
        doc = await _update_agents(conn, doc, agents)
    return doc


async def _update_agents(conn: Connection, department: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Rocket.Chat's updateDepartmentAgents: removals, then upserts of agents that exist (others
    are skipped), then the department's agent count."""
    changed = False
    for agent in changes.get("remove") or []:
        changed = bool(await repository.remove_agent(conn, department["_id"], agent["agentId"])) or changed
    upserts = changes.get("upsert") or []
    users = await accounts_repository.find_user_docs(conn, [agent["agentId"] for agent in upserts])
    for agent in upserts:
        user = users.get(agent["agentId"])
        if user is None:
            continue
        row = await repository.find_agent(conn, department["_id"], agent["agentId"])
        doc = {
            "_id": row["_id"] if row else ids.meteor_id(),
            "agentId": agent["agentId"],
            "departmentId": department["_id"],
            "username": user.get("username") or "",
            "count": float(agent.get("count") or 0),
            "order": float(agent.get("order") or 0),
            "departmentEnabled": bool(department.get("enabled")),
        }
        # Whole numbers stay integers on the wire, as JavaScript prints them.
        for key in ("count", "order"):
            if doc[key].is_integer():
                doc[key] = int(doc[key])
        if row is None:
            await repository.insert_agent(conn, doc)
        else:
            await repository.save_agent(conn, doc)
        changed = True
    if changed:
        department = {**department, "numAgents": await repository.count_agents(conn, department["_id"])}
        await repository.save(conn, department)
    return department


async def save_department_agents(conn: Connection, department_id: str, changes: Any) -> None:
    check(changes, _AGENT_CHANGES)
    department = await repository.find(conn, department_id, for_update=True)
    if department is None:
        raise MeteorError("error-department-not-found", "Department not found")
    await _update_agents(conn, department, changes)


async def remove_agent_from_departments(conn: Connection, agent_id: str) -> None:
    """A user who is no longer an agent leaves every department (Rocket.Chat does the same)."""
    for department_id in await repository.departments_of_agent(conn, agent_id):
        department = await repository.find(conn, department_id, for_update=True)
        await repository.remove_agent(conn, department_id, agent_id)
        if department is not None:
            numbers = {"numAgents": await repository.count_agents(conn, department_id)}
            await repository.save(conn, {**department, **numbers})


async def remove_department(conn: Connection, department_id: str) -> None:
    """The department, its agents, the fallback of departments pointing to it, and its rooms'
    `departmentId` go; the rooms stay."""
    department = await repository.find(conn, department_id, for_update=True)
    if department is None:
        raise Failure("error-department-not-found")
    await repository.delete(conn, department_id)
    await repository.remove_agents(conn, department_id)
    await repository.unset_fallback(conn, department_id)
    for room in await repository.rooms_of(conn, department_id):
        room.pop("departmentId", None)
        room.pop("departmentAncestors", None)
        room["_updatedAt"] = now_iso()
        await livechat_repository.save_room(conn, room)


async def archive_department(conn: Connection, department_id: str) -> None:
    department = await repository.find(conn, department_id, for_update=True)
    if department is None:
        raise Failure("department-not-found")
    if department.get("archived") is True:
        return
    await repository.save(conn, {**department, "archived": True, "enabled": False, "_updatedAt": now_iso()})
    await repository.set_agents_enabled(conn, department_id, False)


async def unarchive_department(conn: Connection, department_id: str) -> None:
    department = await repository.find(conn, department_id, for_update=True)
    if department is None:
        raise MeteorError("department-not-found")
    if department.get("archived") is not True:
        return
    await repository.save(conn, {**department, "archived": False, "_updatedAt": now_iso()})


# --- reading --------------------------------------------------------------------------------------


async def list_departments(
    conn: Connection,
    *,
    archived: bool | None,
    text: str | None,
    enabled: bool,
    exclude_id: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    departments, total = await repository.page(
        conn,
        archived=archived,
        text=text,
        enabled=enabled,
        exclude_id=exclude_id,
        sort=sort,
        offset=offset,
        count=count,
    )
    return {"departments": departments, "count": len(departments), "offset": offset, "total": total}


async def get_department(conn: Connection, department_id: str, *, with_agents: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"department": await repository.find(conn, department_id)}
    if with_agents:
        result["agents"] = await repository.agents_of(conn, department_id)
    return result


async def list_agents(
    conn: Connection, department_id: str, *, sort: dict[str, int] | None, offset: int, count: int
) -> dict[str, Any]:
    agents, total = await repository.agents_page(conn, department_id, sort=sort, offset=offset, count=count)
    return {"agents": agents, "count": len(agents), "offset": offset, "total": total}


async def autocomplete(conn: Connection, selector: Mapping[str, Any], *, show_archived: bool) -> dict[str, Any]:
    """Departments whose name holds `selector.term`, except the ids in `selector.exceptions`.
    (`selector.conditions`, a MongoDB filter, is not interpreted.)"""
    term = selector.get("term")
    exceptions = selector.get("exceptions")
    if not isinstance(exceptions, list) or not all(isinstance(item, str) for item in exceptions):
        exceptions = []
    departments, _ = await repository.page(
        conn,
        archived=None if show_archived else False,
        text=term if isinstance(term, str) else None,
        except_ids=exceptions[: limits.LIST],
        sort=None,
        offset=0,
        count=0,
    )
    return {"items": [{"_id": doc["_id"], "name": doc["name"]} for doc in departments]}


async def departments_by_ids(conn: Connection, department_ids: list[str]) -> dict[str, Any]:
    return {"departments": await repository.find_by_ids(conn, department_ids)}


async def department_for_visitor(conn: Connection, key: str) -> str:
    """The id of the department a visitor names by id or name (Rocket.Chat accepts both)."""
    department = await repository.find_by_id_or_name(conn, key)
    if department is None:
        raise MeteorError("error-invalid-department", "The provided department is invalid")
    return str(department["_id"])


# --- the widget -----------------------------------------------------------------------------------

_WIDGET_KEYS = ("_id", "name", "showOnRegistration", "showOnOfflineForm", "departmentsAllowedToForward")


async def widget_departments(conn: Connection) -> list[dict[str, Any]]:
    """Enabled departments with at least one agent, as the widget's config lists them."""
    return [{key: doc[key] for key in _WIDGET_KEYS if key in doc} for doc in await repository.enabled_with_agents(conn)]


async def online_in_department(conn: Connection, department_id: str) -> bool:
    """Whether an agent of the department is available (routing.is_available)."""
    agent_ids = await repository.agent_user_ids(conn, department_id)
    users = await accounts_repository.find_user_docs(conn, agent_ids)
    return any(routing.is_available(user) for user in users.values())
