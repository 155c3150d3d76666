"""Closing a livechat room, the way Rocket.Chat's closeRoom does it (supporting research §9.3).

One function for every path that ends a conversation: an agent (room.closeByUser), the visitor
(room.close) or the system on behalf of a user (contacts.block). It runs inside the caller's
transaction, so the room, its inquiry, its subscriptions and the closing message change together.

What the callers check first, because it depends on who closes and on settings: that the room is a
livechat room the caller may close, and `Livechat_request_comment_when_closing_conversation`.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from omnicontacts import ids
from omnicontacts.contacts.events import actor_user, actor_visitor, record_contact_event
from omnicontacts.livechat import repository
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection
from omnicontacts.timeutil import parse_iso

Closer = Literal["user", "visitor"]

# Work a layer above livechat attaches to every closing (the widget layer queues a transcript an
# agent asked for). Each runs inside the closing transaction with the room as just saved, and
# saves the room again if it changes it.
CloseHook = Callable[[Connection, dict[str, Any]], Awaitable[None]]
_close_hooks: list[CloseHook] = []


def on_close(hook: CloseHook) -> None:
    """Register `hook` once (start-up calls this; registering twice runs it once)."""
    if hook not in _close_hooks:
        _close_hooks.append(hook)


def _seconds_since(start: Any, now: datetime) -> float | None:
    if not isinstance(start, str):
        return None
    try:
        return (now - parse_iso(start)).total_seconds()
    except ValueError:
        return None


def _merged_tags(given: list[str] | None, existing: Any) -> list[str]:
    """The given tags first, then the room's own, each once (Rocket.Chat's concatUnique)."""
    merged: list[str] = []
    for tag in [*(given or []), *(existing if isinstance(existing, list) else [])]:
        if tag not in merged:
            merged.append(tag)
    return merged


def closing_message(
    room: dict[str, Any], *, closer: Closer, user: dict[str, Any], comment: str | None, ts: str
) -> dict[str, Any]:
    """The `livechat-close` system message; the visitor's token rides along when they closed it."""
    message: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "t": "livechat-close",
        "rid": room["_id"],
        "ts": ts,
        "msg": comment or "",
        "u": {"_id": user["_id"], "username": user.get("username")},
        "groupable": False,
        "transcriptRequested": bool(room.get("transcriptRequest")),
    }
    token = (room.get("v") or {}).get("token")
    if closer == "visitor" and token:
        message["token"] = token
    message["_updatedAt"] = ts
    return message


async def close_room(
    conn: Connection,
    room_doc: dict[str, Any],
    *,
    closer: Closer,
    user: dict[str, Any],
    comment: str | None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Close an open room; answer the room document as stored afterwards.

    `user` is `{_id, username}` of whoever closes (an agent, or the visitor when `closer` is
    "visitor"). The room gets `closedAt`, `closer`, `closedBy`, chat/service durations under
    `metrics`, `v.status: offline`, the merged `tags`; `open` is removed (not set to false). The
    inquiry and every subscription go. The closing message is stored and becomes the room's
    `lastMessage` and `closingMessage`.
    """
    if room_doc.get("t", "l") != "l" or not room_doc.get("open"):
        raise Failure("error-room-closed")
    # The closing note is the room's last message, so closedAt is its (never tied) time too.
    now_text = await repository.next_message_ts(conn, room_doc["_id"])
    now = parse_iso(now_text)
    room = dict(room_doc)
    room.pop("open", None)
    room["closedAt"] = now_text
    metrics = dict(room.get("metrics") or {})
    chat_duration = _seconds_since(room.get("ts"), now)
    if chat_duration is not None:
        metrics["chatDuration"] = chat_duration
    service_duration = _seconds_since((room.get("servedBy") or {}).get("ts"), now)
    if service_duration:
        metrics["serviceTimeDuration"] = service_duration
    room["metrics"] = metrics
    if isinstance(room.get("v"), dict):
        room["v"] = {**room["v"], "status": "offline"}
    room["closer"] = closer
    room["closedBy"] = {"_id": user["_id"], "username": user.get("username")}
    merged = _merged_tags(tags, room.get("tags"))
    if merged:
        room["tags"] = merged

    await repository.delete_inquiry_by_room(conn, room["_id"])
    await repository.delete_subscriptions_by_room(conn, room["_id"])

    message = closing_message(room, closer=closer, user=user, comment=comment, ts=now_text)
    await repository.insert_message(conn, message)
    room["lastMessage"] = message
    room["closingMessage"] = message
    room["lm"] = now_text
    room["_updatedAt"] = now_text
    await repository.save_room(conn, room)
    for hook in _close_hooks:
        await hook(conn, room)
    await _finish_erasure(conn, room, closer=closer, user=user)
    return room


async def _finish_erasure(conn: Connection, room: dict[str, Any], *, closer: Closer, user: dict[str, Any]) -> None:
    """A conversation that its contact's erasure kept open, so that its agent could close it, is
    erased as it closes: the room, its messages, subscriptions and inquiry."""
    visitor_id = (room.get("v") or {}).get("_id")
    visitor = await repository.find_visitor(conn, visitor_id) if isinstance(visitor_id, str) else None
    if visitor is None or not visitor.get("disabled"):
        return
    await repository.delete_rooms_with_everything(conn, [room["_id"]])
    if isinstance(room.get("contactId"), str):
        actor = actor_user(user["_id"], user.get("username") or "") if closer == "user" else actor_visitor(user["_id"])
        await record_contact_event(conn, room["contactId"], "erased", actor=actor, changes={"rooms": [room["_id"]]})
