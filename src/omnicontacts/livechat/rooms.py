"""Livechat rooms: opening one for a visitor, reading it, and closing it.

Opening a room never waits for an online agent (Rocket.Chat refuses with `no-agent-online` unless
`Livechat_accept_chats_with_no_agents`): the conversation opens and its inquiry waits in the queue
(see docs/compatibility.md). The room belongs to a contact from the start (contacts.lifecycle).
"""

from collections.abc import Callable, Mapping
from typing import Any

from omnicontacts import ids
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.contacts import lifecycle
from omnicontacts.livechat import closing, repository, routing
from omnicontacts.livechat.messages import add_system_message
from omnicontacts.restapi.errors import Failure, MeteorError
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

HasPermission = Callable[[str], bool]

# Rocket.Chat's defaults for rooms that have no priority or SLA.
PRIORITY_NOT_SPECIFIED = 99
NO_SLA_WAITING_TIME = 9999999


def room_source(*, is_widget: bool, host: str | None) -> dict[str, Any]:
    """`{type: 'widget', destination: <host>}` for the widget, else `{type: 'api'}`."""
    if is_widget:
        return {"type": "widget", "destination": host} if host else {"type": "widget"}
    return {"type": "api"}


def _visitor_summary(visitor: dict[str, Any]) -> dict[str, Any]:
    summary = {
        "_id": visitor["_id"],
        "username": visitor.get("username"),
        "token": visitor.get("token"),
        "status": visitor.get("status") or "online",
    }
    if visitor.get("activity"):
        summary["activity"] = visitor["activity"]
    return summary


def new_room(
    visitor: dict[str, Any], contact: dict[str, Any], source: dict[str, Any], key: dict[str, Any]
) -> dict[str, Any]:
    now = now_iso()
    channel = lifecycle.channel_of(contact, key) or {}
    room: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "msgs": 0,
        "usersCount": 1,
        "lm": now,
        "ts": now,
        "fname": contact.get("name") or visitor.get("name") or visitor.get("username"),
        "t": "l",
        "v": _visitor_summary(visitor),
        "contactId": contact["_id"],
        "cl": False,
        "open": True,
        "waitingResponse": True,
        "verified": bool(channel.get("verified")),
        "source": source,
        "queuedAt": now,
        "priorityWeight": PRIORITY_NOT_SPECIFIED,
        "estimatedWaitingTimeQueue": NO_SLA_WAITING_TIME,
        "_updatedAt": now,
    }
    if visitor.get("department"):
        room["departmentId"] = visitor["department"]
    return room


async def _requested_agent(conn: Connection, agent_id: str | None) -> dict[str, Any] | None:
    if not agent_id:
        return None
    user = await accounts_repository.find_user_doc(conn, agent_id)
    if user is None or routing.AGENT_ROLE not in (user.get("roles") or []):
        return None
    return {"agentId": user["_id"], "username": user.get("username")}


async def _visitor_and_room(
    conn: Connection, token: str, room_id: str | None, *, for_update: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The visitor of `token` and the room `GET livechat/room` would answer: their room `room_id`
    while it is open (an error otherwise), else their open room, if any."""
    visitor = await repository.find_visitor_by_token(conn, token, for_update=for_update)
    if visitor is None:
        raise Failure("invalid-token")
    if room_id:
        room = await repository.find_visitor_room(conn, room_id, visitor["_id"], open_only=True)
        if room is None:
            raise Failure("invalid-room")
        return visitor, room
    return visitor, await repository.find_open_room_of_visitor(conn, visitor["_id"])


async def existing_room(conn: Connection, token: str, room_id: str | None) -> dict[str, Any] | None:
    """The room `GET livechat/room` answers without writing anything, if there is one. Widgets
    ask often; this read needs no transaction."""
    return (await _visitor_and_room(conn, token, room_id, for_update=False))[1]


async def open_room(
    conn: Connection,
    token: str,
    *,
    room_id: str | None,
    agent_id: str | None,
    source: dict[str, Any],
    settings: Mapping[str, Any],
) -> tuple[dict[str, Any], bool]:
    """`GET livechat/room`: the visitor's open room, or a new one. Answers (room, is_new)."""
    # The visitor row is locked (on PostgreSQL) until this transaction ends, so two requests
    # of one visitor cannot both find no open room and open two.
    visitor, existing = await _visitor_and_room(conn, token, room_id, for_update=True)
    if existing is not None:
        return existing, False
    return await create_room(conn, visitor, source=source, settings=settings, agent_id=agent_id), True


async def create_room(
    conn: Connection,
    visitor: dict[str, Any],
    *,
    source: dict[str, Any],
    settings: Mapping[str, Any],
    agent_id: str | None = None,
) -> dict[str, Any]:
    if not settings.get("Livechat_enabled", True):
        raise MeteorError("error-omnichannel-is-disabled")
    key = lifecycle.association(visitor["_id"], source)
    if await lifecycle.is_channel_blocked(conn, key):
        raise Failure("error-contact-channel-blocked")
    definitions = await repository.custom_fields(conn, "visitor")
    contact = await lifecycle.contact_for_new_room(conn, visitor, source, custom_field_definitions=definitions)

    room = new_room(visitor, contact, source, key)
    await repository.insert_room(conn, room)
    last_chat = {"_id": room["_id"], "ts": room["ts"]}
    await lifecycle.record_last_chat(conn, contact, key, last_chat)
    visitor["lastChat"] = last_chat
    await repository.save_visitor(conn, visitor)

    default_agent = await _requested_agent(conn, agent_id)
    inquiry = routing.new_inquiry(room, routing.initial_status(settings), default_agent)
    await repository.insert_inquiry(conn, inquiry)
    await add_system_message(
        conn,
        room,
        "livechat-started",
        "",
        {"_id": visitor["_id"], "username": visitor.get("username")},
        token=visitor.get("token"),
    )
    await repository.save_room(conn, room)
    if routing.auto_assigns(settings):
        requested = default_agent["agentId"] if default_agent else None
        await routing.route_new_inquiry(conn, inquiry, room, requested)
    return room


# --- reading -------------------------------------------------------------------------------------


async def can_access(conn: Connection, room: dict[str, Any], user_id: str, has_permission: HasPermission) -> bool:
    """Who may read a livechat room: managers (`view-livechat-rooms`), the agent serving it or
    subscribed to it, any agent while it waits in the queue, and whoever may see rooms closed by
    others once it is closed."""
    if has_permission("view-livechat-rooms"):
        return True
    if (room.get("servedBy") or {}).get("_id") == user_id:
        return True
    if await repository.find_subscription(conn, room["_id"], user_id) is not None:
        return True
    if room.get("open"):
        inquiry = await repository.find_inquiry_by_room(conn, room["_id"])
        return inquiry is not None and inquiry.get("status") != "taken" and has_permission("view-l-room")
    return has_permission("view-livechat-room-closed-by-another-agent")


# --- closing -------------------------------------------------------------------------------------


async def close_by_visitor(conn: Connection, token: str, room_id: str, settings: Mapping[str, Any]) -> str:
    """`livechat/room.close`; answers the closing comment."""
    if settings.get("Omnichannel_allow_visitors_to_close_conversation", True) is False:
        raise Failure("error-not-allowed-to-close-conversation")
    visitor = await repository.find_visitor_by_token(conn, token)
    if visitor is None:
        raise Failure("invalid-token")
    room = await repository.find_visitor_room(conn, room_id, visitor["_id"], for_update=True)
    if room is None:
        raise Failure("invalid-room")
    if not room.get("open"):
        raise Failure("room-closed")
    comment = "Closed by visitor"
    await closing.close_room(
        conn,
        room,
        closer="visitor",
        user={"_id": visitor["_id"], "username": visitor.get("username")},
        comment=comment,
    )
    return comment


async def close_by_user(
    conn: Connection,
    room_id: str,
    *,
    user: dict[str, Any],
    comment: str | None,
    tags: list[str] | None,
    has_permission: HasPermission,
    settings: Mapping[str, Any],
    transcript_email: Mapping[str, Any] | None = None,
) -> None:
    """`livechat/room.closeByUser`: an agent closes a room they serve, or anyone with
    `close-others-livechat-room` closes any. `transcript_email` (`{sendToVisitor, requestData}`)
    asks for the transcript to go out at this closing, or with `sendToVisitor: false` cancels one
    asked for earlier."""
    room = await repository.find_room(conn, room_id, for_update=True)
    if room is None or room.get("t") != "l":
        raise Failure("error-invalid-room")
    if not room.get("open"):
        raise Failure("error-room-already-closed")
    subscribed = await repository.find_subscription(conn, room_id, user["_id"]) is not None
    if not subscribed and not has_permission("close-others-livechat-room"):
        raise Failure("error-not-authorized")
    if settings.get("Livechat_request_comment_when_closing_conversation") and not (comment or "").strip():
        raise Failure("error-comment-is-required")
    if transcript_email is not None:
        request = transcript_email.get("requestData")
        if transcript_email.get("sendToVisitor") and isinstance(request, Mapping):
            room["transcriptRequest"] = {
                "requestedAt": now_iso(),
                "requestedBy": dict(user),
                "email": request["email"],
                "subject": request["subject"],
            }
        else:
            room.pop("transcriptRequest", None)
    await closing.close_room(conn, room, closer="user", user=user, comment=comment, tags=tags)
