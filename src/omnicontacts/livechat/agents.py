"""Livechat agents and managers: users holding the `livechat-agent` / `livechat-manager` role."""

from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.accounts import service as accounts_service
from omnicontacts.departments import service as departments
from omnicontacts.restapi.errors import Failure, MeteorError, NotFound, RawError
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

ROLE_BY_TYPE = {"agent": "livechat-agent", "manager": "livechat-manager"}
# What agent listings show of a user.
LISTED_FIELDS = ("_id", "username", "name", "status", "statusLivechat", "emails", "livechat", "departments")


def role_for(user_type: str) -> str:
    role = ROLE_BY_TYPE.get(user_type)
    if role is None:
        raise Failure("Invalid type")
    return role


async def add(conn: Connection, user_type: str, username: str) -> dict[str, Any]:
    """Give the role; a new agent is marked available right away, as Rocket.Chat does."""
    role = role_for(user_type)
    user = await accounts_repository.find_user_by_username(conn, username)
    if user is None:
        raise MeteorError("error-invalid-user", None, {"method": "livechat:addAgent"})
    doc = await accounts_service.set_roles(conn, user["_id"], add=(role,))
    if doc is None:
        raise RawError(400, {"success": False})
    if user_type == "agent":
        doc["operator"] = True
        doc["statusLivechat"] = "available"
        doc["_updatedAt"] = now_iso()
        await accounts_repository.update_user(conn, doc["_id"], doc)
    return {"_id": doc["_id"], "username": doc["username"]}


async def remove(conn: Connection, user_type: str, user_id: str) -> None:
    role = role_for(user_type)
    doc = await accounts_service.set_roles(conn, user_id, remove=(role,))
    if doc is None:
        raise RawError(400, {"success": False})
    if user_type == "agent":
        doc["operator"] = False
        doc.pop("statusLivechat", None)
        doc.pop("livechat", None)
        doc["_updatedAt"] = now_iso()
        await accounts_repository.update_user(conn, doc["_id"], doc)
        await departments.remove_agent_from_departments(conn, doc["_id"])


def _listed(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user[key] for key in LISTED_FIELDS if key in user}


async def listing(
    conn: Connection,
    user_type: str,
    *,
    text: str | None,
    only_available: bool,
    exclude_id: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    """Users of that role, filtered by a case-insensitive substring of name or username."""
    role = role_for(user_type)
    users = await accounts_repository.find_users_with_role(conn, role)
    needle = text.casefold() if text else None
    chosen = [
        user
        for user in users
        if (not needle or needle in (user.get("name") or "").casefold() or needle in user["username"].casefold())
        and (not only_available or user.get("statusLivechat") == "available")
        and user["_id"] != exclude_id
    ]
    key, direction = next(iter((sort or {"name": 1}).items()))
    chosen.sort(key=lambda user: str(user.get(key) or ""), reverse=direction == -1)
    page = chosen[offset : offset + count] if count > 0 else chosen[offset:]
    return {"users": [_listed(user) for user in page], "count": len(page), "offset": offset, "total": len(chosen)}


async def one(conn: Connection, user_type: str, user_id: str) -> dict[str, Any] | None:
    role = role_for(user_type)
    user = await accounts_repository.find_user_doc(conn, user_id)
    if user is None:
        raise Failure("User not found")
    return _listed(user) if role in (user.get("roles") or []) else None


async def set_status(conn: Connection, agent_id: str, status: str | None) -> str:
    """`livechat/agent.status`: set (or toggle) whether the agent takes conversations."""
    agent = await accounts_repository.find_user_doc_for_update(conn, agent_id)
    if agent is None or ROLE_BY_TYPE["agent"] not in (agent.get("roles") or []):
        raise NotFound("Agent not found")
    if agent.get("active") is False:
        raise Failure("error-user-deactivated")
    current = agent.get("statusLivechat")
    new_status = status or ("not-available" if current == "available" else "available")
    if new_status != current:
        agent["statusLivechat"] = new_status
        agent["_updatedAt"] = now_iso()
        await accounts_repository.update_user(conn, agent_id, agent)
    return new_status
