"""Who serves a conversation: the inquiry queue and its assignment to agents.

A new room waits as an inquiry. With `Livechat_Routing_Method` set to `Manual_Selection` it waits
(`queued`) until an agent takes it. With any other method it is `ready` and goes at once to the
available agent who was given a chat least recently; when nobody is available it stays `ready`,
and agents can still take it. An agent is available when they have the `livechat-agent` role,
are active, have `statusLivechat: available` and a presence other than `offline`.
"""

from collections.abc import Mapping
from typing import Any

from omnicontacts import changes, ids
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.livechat import repository
from omnicontacts.livechat.messages import add_system_message
from omnicontacts.restapi.errors import MeteorError
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

AGENT_ROLE = "livechat-agent"
TAKE_DETAILS = {"method": "livechat:takeInquiry"}


def auto_assigns(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("Livechat_Routing_Method", "Auto_Selection") != "Manual_Selection")


def initial_status(settings: Mapping[str, Any]) -> str:
    if settings.get("Livechat_waiting_queue") or not auto_assigns(settings):
        return "queued"
    return "ready"


def is_available(user: Mapping[str, Any]) -> bool:
    return (
        AGENT_ROLE in (user.get("roles") or [])
        and user.get("active", True) is not False
        and user.get("statusLivechat") == "available"
        and user.get("status", "offline") != "offline"
    )


async def next_available_agent(conn: Connection) -> dict[str, Any] | None:
    """The available agent whose last assignment is oldest (never assigned comes first)."""
    agents = [user for user in await accounts_repository.find_users_with_role(conn, AGENT_ROLE) if is_available(user)]
    if not agents:
        return None
    return min(agents, key=lambda user: (user.get("lastRoutingTime") or "", user.get("username") or ""))


def new_inquiry(room: dict[str, Any], status: str, default_agent: dict[str, Any] | None) -> dict[str, Any]:
    inquiry: dict[str, Any] = {
        "_id": ids.object_id(),
        "rid": room["_id"],
        "name": room.get("fname"),
        "ts": room["ts"],
        "message": "",
        "status": status,
        "v": room["v"],
        "t": "l",
        "priorityWeight": room.get("priorityWeight", 99),
        "estimatedWaitingTimeQueue": room.get("estimatedWaitingTimeQueue", 9999999),
        "source": room.get("source"),
    }
    if status == "queued":
        inquiry["queuedAt"] = room["ts"]
    if default_agent is not None:
        inquiry["defaultAgent"] = default_agent
    inquiry["_updatedAt"] = room["ts"]
    return inquiry


def new_subscription(
    room: dict[str, Any], inquiry: dict[str, Any], agent: Mapping[str, Any], ts: str
) -> dict[str, Any]:
    """The agent's subscription to the room, named after the room's contact as the inquiry is."""
    name = inquiry.get("name") or room.get("fname")
    return {
        "_id": ids.meteor_id(),
        "rid": room["_id"],
        "name": name,
        "fname": name,
        "alert": True,
        "open": True,
        "unread": 1,
        "userMentions": 1,
        "groupMentions": 0,
        "u": {"_id": agent["_id"], "username": agent.get("username")},
        "t": "l",
        "desktopNotifications": "all",
        "mobilePushNotifications": "all",
        "emailNotifications": "all",
        "v": {key: room["v"][key] for key in ("_id", "username", "token", "status") if key in room["v"]},
        "ts": ts,
        "ls": ts,
        "_updatedAt": ts,
    }


async def assign(conn: Connection, inquiry: dict[str, Any], room: dict[str, Any], agent: dict[str, Any]) -> None:
    """The agent takes the conversation: the inquiry is taken, the agent subscribes to the room
    and serves it. Saves the inquiry, the room and the agent."""
    ts = now_iso()
    inquiry["status"] = "taken"
    inquiry["takenAt"] = ts
    for key in ("defaultAgent", "queuedAt", "estimatedInactivityCloseTimeAt"):
        inquiry.pop(key, None)
    inquiry["_updatedAt"] = ts
    await repository.save_inquiry(conn, inquiry)

    if await repository.find_subscription(conn, room["_id"], agent["_id"]) is None:
        await repository.insert_subscription(conn, new_subscription(room, inquiry, agent, ts))
    room["servedBy"] = {"_id": agent["_id"], "username": agent.get("username"), "ts": ts}
    room["usersCount"] = int(room.get("usersCount") or 1) + 1
    await add_system_message(conn, room, "command", "connected", agent)
    await add_system_message(conn, room, "uj", agent.get("username") or "", agent)
    room["_updatedAt"] = ts
    await repository.save_room(conn, room)
    # Said in so many words (as Rocket.Chat broadcasts `agentData` on delegation), not inferred by
    # each worker from the room's row: a worker that compares the row with what it last saw
    # misses the change whenever a client (re)subscribes between the commit and the delivery.
    await changes.publish(conn, "agent", rid=room["_id"], agent=agent["_id"])

    agent["lastRoutingTime"] = ts
    await accounts_repository.update_user(conn, agent["_id"], agent)


async def take(conn: Connection, inquiry_id: str, agent_id: str) -> None:
    """`livechat/inquiries.take`, with Rocket.Chat's errors.

    Locks in the package's order (docs/architecture.md): the room, then its inquiry, then the
    agent. The inquiry is read first without a lock only to learn its room, and checked again
    once locked.
    """
    unlocked = await repository.find_inquiry(conn, inquiry_id)
    if unlocked is None:
        raise MeteorError("error-not-found", "Inquiry not found", TAKE_DETAILS)
    room = await repository.find_room(conn, unlocked["rid"], for_update=True)
    inquiry = await repository.find_inquiry(conn, inquiry_id, for_update=True)
    if inquiry is None:
        raise MeteorError("error-not-found", "Inquiry not found", TAKE_DETAILS)
    if inquiry.get("status") == "taken":
        raise MeteorError("error-inquiry-taken", "Inquiry already taken", TAKE_DETAILS)
    agent = await accounts_repository.find_user_doc_for_update(conn, agent_id)
    if agent is None or not is_available(agent):
        raise MeteorError(
            "error-agent-status-service-offline",
            "Agent status is offline or Omnichannel service is not active",
            TAKE_DETAILS,
        )
    if room is None or not room.get("open") or room["_id"] != inquiry["rid"]:
        raise MeteorError("error-mac-limit-reached")
    await assign(conn, inquiry, room, agent)


async def route_new_inquiry(
    conn: Connection,
    inquiry: dict[str, Any],
    room: dict[str, Any],
    requested_agent_id: str | None,
) -> None:
    """Hand a `ready` inquiry to an agent at once when one is available; otherwise leave it."""
    if inquiry["status"] != "ready":
        return
    agent = None
    if requested_agent_id:
        requested = await accounts_repository.find_user_doc_for_update(conn, requested_agent_id)
        agent = requested if requested is not None and is_available(requested) else None
    if agent is None:
        candidate = await next_available_agent(conn)
        if candidate is not None:
            agent = await accounts_repository.find_user_doc_for_update(conn, candidate["_id"])
    if agent is not None:
        await assign(conn, inquiry, room, agent)


RETURN_DETAILS = {"method": "livechat:returnAsInquiry"}


async def return_to_queue(conn: Connection, room_id: str, user: Mapping[str, Any]) -> bool:
    """`livechat:returnAsInquiry`: the serving agent leaves and the conversation waits in the
    queue again (Rocket.Chat's returnRoomAsInquiry and unassignAgent). False when the room has
    no agent or no inquiry."""
    room = await repository.find_room(conn, room_id, for_update=True)
    if room is None or room.get("t") != "l":
        raise MeteorError("error-invalid-room", "Invalid room", RETURN_DETAILS)
    if not room.get("open"):
        raise MeteorError("room-closed", "Room closed", RETURN_DETAILS)
    served = room.get("servedBy")
    if not served:
        return False
    agent = await accounts_repository.find_user_doc(conn, served["_id"])
    if agent is None:
        raise MeteorError("error-invalid-agent", "Invalid agent")
    inquiry = await repository.find_inquiry_by_room(conn, room_id)
    if inquiry is None:
        return False
    ts = now_iso()
    await repository.delete_subscription(conn, room_id, agent["_id"])
    room.pop("servedBy", None)
    room["usersCount"] = max(int(room.get("usersCount") or 1) - 1, 1)
    await add_system_message(conn, room, "ul", agent.get("username") or "", agent)
    transferred_by: dict[str, Any] = {"_id": user["_id"], "username": user.get("username")}
    if user.get("name"):
        transferred_by["name"] = user["name"]
    transferred_by["type"] = "agent"
    await add_system_message(
        conn,
        room,
        "livechat_transfer_history",
        "",
        user,
        transferData={"transferredBy": transferred_by, "ts": ts, "scope": "queue"},
    )
    room["_updatedAt"] = ts
    await repository.save_room(conn, room)
    await changes.publish(conn, "agent", rid=room_id, agent="")
    inquiry["status"] = "queued"
    inquiry["queuedAt"] = ts
    inquiry.pop("takenAt", None)
    inquiry["_updatedAt"] = ts
    await repository.save_inquiry(conn, inquiry)
    return True
