"""The widget's calls about one visitor: pages seen, presence, call status, and the visitor's own
messages read, edited and deleted. A visitor token only ever reaches its own visitor's rooms.

Rooms, inquiries and new messages are announced by the livechat repository as it writes them;
edits and deletions of messages are announced here. The realtime layer pushes them after commit.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from omnicontacts import changes
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.messages import add_system_message
from omnicontacts.restapi.errors import Failure, MeteorError
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_after, now_iso, to_iso
from omnicontacts.widget import repository

# Rocket.Chat writes navigation notes as its bot user; clients show that name.
SYSTEM_USER = {"_id": "rocket.cat", "username": "rocket.cat"}
# Pages seen before a conversation are kept for a month, as Rocket.Chat keeps them.
PAGE_VIEW_LIFETIME = timedelta(days=30)


async def _visitor(conn: Connection, token: str, error: Exception) -> dict[str, Any]:
    visitor = await livechat_repository.find_visitor_by_token(conn, token)
    if visitor is None:
        raise error
    return visitor


# --- page.visited ------------------------------------------------------------------------------


async def page_visited(
    conn: Connection, token: str, room_id: str | None, page_info: Mapping[str, Any], settings: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Record a page the visitor saw; answers `{msg, navigation}`, or None when the change is not
    the kind `Livechat_history_monitor_type` follows.

    In the visitor's own room it becomes a `livechat_navigation_history` message (hidden unless
    `Livechat_Visitor_navigation_as_a_message`); otherwise it is kept apart for a month under the
    token, never written into a room the token does not own."""
    if page_info["change"] != settings.get("Livechat_history_monitor_type", "url"):
        return None
    text = f"{page_info['title']} - {page_info['location']['href']}"
    navigation = {"page": dict(page_info), "token": token}
    visitor = await livechat_repository.find_visitor_by_token(conn, token)
    room = (
        await livechat_repository.find_visitor_room(conn, room_id, visitor["_id"], for_update=True)
        if visitor is not None and room_id
        else None
    )
    if room is not None:
        extra: dict[str, Any] = {"navigation": navigation}
        if not settings.get("Livechat_Visitor_navigation_as_a_message"):
            extra["_hidden"] = True
        message = await add_system_message(conn, room, "livechat_navigation_history", text, SYSTEM_USER, **extra)
        room["_updatedAt"] = message["ts"]
        await livechat_repository.save_room(conn, room)
        return {"msg": text, "navigation": navigation}
    now = datetime.now(UTC)
    await repository.delete_expired_page_views(conn, to_iso(now))
    doc = {"t": "livechat_navigation_history", "msg": text, "navigation": navigation, "ts": to_iso(now)}
    await repository.insert_page_view(conn, token, to_iso(now), to_iso(now + PAGE_VIEW_LIFETIME), doc)
    return {"msg": text, "navigation": navigation}


# --- presence and calls ------------------------------------------------------------------------


async def visitor_status(conn: Connection, token: str, status: str) -> None:
    """The visitor's presence (online, away, offline) on their open rooms and waiting inquiries,
    where agents' lists show it."""
    visitor = await _visitor(conn, token, MeteorError("invalid-token"))
    for room in await livechat_repository.open_rooms_of_visitor(conn, visitor["_id"]):
        if (room.get("v") or {}).get("status") == status:
            continue
        room["v"] = {**room["v"], "status": status}
        await livechat_repository.save_room(conn, room)
        inquiry = await livechat_repository.find_inquiry_by_room(conn, room["_id"])
        if inquiry is not None and isinstance(inquiry.get("v"), dict):
            inquiry["v"] = {**inquiry["v"], "status": status}
            await livechat_repository.save_inquiry(conn, inquiry)
    await changes.publish(conn, "visitor", token=token)


async def call_status(conn: Connection, token: str, room_id: str, status: str) -> None:
    """Calls are off, so no call message exists to update; the status is kept on the visitor's
    own open room only (Rocket.Chat would write it on any room id it is given)."""
    visitor = await _visitor(conn, token, MeteorError("invalid-token"))
    room = await livechat_repository.find_visitor_room(conn, room_id, visitor["_id"], open_only=True, for_update=True)
    if room is None:
        return
    room["callStatus"] = status
    await livechat_repository.save_room(conn, room)


async def agent_of_room(conn: Connection, token: str, room_id: str) -> dict[str, Any]:
    """`livechat/agent.info/:rid/:token`: the room (the visitor's own) and who serves it."""
    visitor = await _visitor(conn, token, Failure("invalid-token"))
    room = await livechat_repository.find_visitor_room(conn, room_id, visitor["_id"])
    if room is None:
        raise Failure("invalid-room")
    return room


# --- the visitor's own messages -----------------------------------------------------------------


async def _visitor_message(
    conn: Connection, token: str, room_id: str, message_id: str, *, for_update: bool = False
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    visitor = await _visitor(conn, token, Failure("invalid-token"))
    room = await livechat_repository.find_visitor_room(conn, room_id, visitor["_id"], for_update=for_update)
    if room is None:
        raise Failure("invalid-room")
    message = await repository.find_room_message(conn, message_id, room_id)
    if message is None:
        raise Failure("invalid-message")
    return visitor, room, message


async def get_message(conn: Connection, token: str, room_id: str, message_id: str) -> dict[str, Any]:
    return (await _visitor_message(conn, token, room_id, message_id))[2]


def _own(message: Mapping[str, Any], visitor: Mapping[str, Any]) -> bool:
    return (message.get("u") or {}).get("_id") == visitor["_id"] and not message.get("t")


async def edit_message(
    conn: Connection, token: str, room_id: str, message_id: str, text: str, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """The visitor rewrites one of their messages (`Message_AllowEditing`)."""
    visitor, room, message = await _visitor_message(conn, token, room_id, message_id, for_update=True)
    if not settings.get("Message_AllowEditing", True) or not _own(message, visitor):
        raise MeteorError(
            "error-action-not-allowed", "Message editing not allowed", {"method": "livechatUpdateMessage"}
        )
    now = now_iso()
    message["msg"] = text
    message["editedAt"] = now
    message["editedBy"] = {"_id": visitor["_id"], "username": visitor.get("username")}
    message["_updatedAt"] = now
    await repository.save_message(conn, message)
    if (room.get("lastMessage") or {}).get("_id") == message_id:
        room["lastMessage"] = message
        room["_updatedAt"] = now
        await livechat_repository.save_room(conn, room)
    await changes.publish(conn, "message", rid=room_id, _id=message_id)
    return message


async def delete_message(
    conn: Connection, token: str, room_id: str, message_id: str, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """The visitor deletes one of their messages (`Message_AllowDeleting`); answers `{_id, ts}`."""
    visitor, room, message = await _visitor_message(conn, token, room_id, message_id, for_update=True)
    if not settings.get("Message_AllowDeleting", True) or not _own(message, visitor):
        raise MeteorError(
            "error-action-not-allowed", "Message deleting not allowed", {"method": "livechatDeleteMessage"}
        )
    await repository.delete_message(conn, message_id)
    room["msgs"] = max(int(room.get("msgs") or 0) - 1, 0)
    if (room.get("lastMessage") or {}).get("_id") == message_id:
        remaining, _ = await livechat_repository.page_of_messages(
            livechat_repository.iter_room_messages(conn, room_id, newest_first=True),
            lambda item: not item.get("t"),
            offset=0,
            count=1,
            total=False,
        )
        if remaining:
            room["lastMessage"] = remaining[0]
        else:
            room.pop("lastMessage", None)
    room["_updatedAt"] = now_after(room.get("_updatedAt"))
    await livechat_repository.save_room(conn, room)
    await changes.publish(conn, "message", rid=room_id, _id=message_id)
    return {"_id": message_id, "ts": now_iso()}
