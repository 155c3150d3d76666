"""Messages of livechat rooms: what visitors send, the system's notes, and transcripts."""

from collections.abc import Mapping
from typing import Any

from omnicontacts import ids
from omnicontacts.livechat import repository, unread
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection
from omnicontacts.timeutil import parse_client_date, parse_iso

# The agent-side transcript shows what people wrote plus the closing note, as Rocket.Chat does.
TRANSCRIPT_TYPES = (None, "livechat-close")


async def add_system_message(
    conn: Connection,
    room: dict[str, Any],
    kind: str,
    text: str,
    user: Mapping[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """A system message (`t`); it counts in the room's `msgs` but is not its `lastMessage`.
    The caller saves the room."""
    ts = await repository.next_message_ts(conn, room["_id"])
    message: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "t": kind,
        "rid": room["_id"],
        "ts": ts,
        "msg": text,
        "u": {"_id": user["_id"], "username": user.get("username")},
        "groupable": False,
        **extra,
        "_updatedAt": ts,
    }
    await repository.insert_message(conn, message)
    room["msgs"] = int(room.get("msgs") or 0) + 1
    return message


async def store_message(
    conn: Connection,
    room: dict[str, Any],
    message: dict[str, Any],
    *,
    sender_id: str,
    settings: Mapping[str, Any],
) -> None:
    """Store what a person wrote in a room: the room's other subscriptions learn of it and the
    room takes it as its last message. The caller saves the room."""
    await repository.insert_message(conn, message)
    await unread.note_new_message(conn, room["_id"], sender_id, message["ts"], settings)
    room["msgs"] = int(room.get("msgs") or 0) + 1
    room["lm"] = message["ts"]
    room["lastMessage"] = message


async def send_visitor_message(
    conn: Connection,
    visitor: dict[str, Any],
    room_id: str,
    text: str,
    *,
    message_id: str | None,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """`livechat/message`: the visitor writes in their open room; the room's `msgs`, `lm` and
    `lastMessage` follow, and so does a waiting inquiry's `lastMessage`. Sending again with an
    `_id` that exists already stores nothing and answers the stored message."""
    room = await repository.find_visitor_room(conn, room_id, visitor["_id"], for_update=True)
    if room is None:
        raise Failure("invalid-room")
    if not room.get("open"):
        raise Failure("room-closed")
    if settings.get("Livechat_enable_message_character_limit"):
        limit = settings.get("Livechat_message_character_limit")
        if isinstance(limit, int) and limit > 0 and len(text) > limit:
            raise Failure("message-length-exceeds-character-limit")
    if message_id:
        existing = await repository.find_message(conn, message_id)
        if existing is not None:
            return existing
    ts = await repository.next_message_ts(conn, room["_id"])
    author: dict[str, Any] = {"_id": visitor["_id"], "username": visitor.get("username")}
    if visitor.get("name"):
        author["name"] = visitor["name"]
    message: dict[str, Any] = {
        "_id": message_id or ids.meteor_id(),
        "rid": room["_id"],
        "msg": text,
        "token": visitor.get("token"),
        "ts": ts,
        "u": author,
    }
    if visitor.get("name"):
        message["alias"] = visitor["name"]
    message["_updatedAt"] = ts
    await store_message(conn, room, message, sender_id=visitor["_id"], settings=settings)
    if not room.get("waitingResponse"):
        # The visitor wrote after an agent's answer: the room waits again (markRoomNotResponded).
        room["waitingResponse"] = True
        room.pop("responseBy", None)
    if isinstance(room.get("v"), dict):
        room["v"] = {**room["v"], "lastMessageTs": ts}
    room["_updatedAt"] = ts
    await repository.save_room(conn, room)
    inquiry = await repository.find_inquiry_by_room(conn, room["_id"])
    if inquiry is not None and inquiry.get("status") != "taken":
        inquiry["lastMessage"] = message
        inquiry["_updatedAt"] = ts
        await repository.save_inquiry(conn, inquiry)
    return message


async def visitor_history(
    conn: Connection,
    visitor: dict[str, Any],
    room_id: str,
    *,
    limit: int,
    offset: int,
    end: str | None,
) -> list[dict[str, Any]]:
    """`livechat/messages.history/:rid`: newest first, open or closed room, system messages too."""
    room = await repository.find_visitor_room(conn, room_id, visitor["_id"])
    if room is None:
        raise Failure("invalid-room")
    before = parse_client_date(end) if end else None
    if end and before is None:
        raise Failure('The "end" query parameter must be a valid date.')
    page, _ = await repository.page_of_messages(
        repository.iter_room_messages(conn, room_id, newest_first=True),
        lambda message: before is None or parse_iso(message["ts"]) < before,
        offset=offset,
        count=limit,
        total=False,
    )
    return page


def _matches(message: dict[str, Any], needle: str | None) -> bool:
    if message.get("t") not in TRANSCRIPT_TYPES:
        return False
    if not needle:
        return True
    text = message.get("msg")
    return isinstance(text, str) and needle in text.casefold()


async def transcript(
    conn: Connection,
    room_id: str,
    *,
    search_term: str | None,
    sort: Mapping[str, int] | None,
    offset: int,
    count: int,
) -> tuple[list[dict[str, Any]], int]:
    """`livechat/:rid/messages`: one page of the conversation and how many match in all.

    `search_term` is a case-insensitive literal substring of the text, never a pattern.
    """
    newest_first = (sort or {}).get("ts", -1) == -1
    needle = search_term.casefold() if search_term else None
    return await repository.page_of_messages(
        repository.iter_room_messages(conn, room_id, newest_first=newest_first),
        lambda message: _matches(message, needle),
        offset=offset,
        count=count,
    )
