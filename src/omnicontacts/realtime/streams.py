"""The streams clients subscribe to, and who may read each (Rocket.Chat's read rules).

A subscription is `sub` with `name` = stream and `params` = `[eventName, {useCollection, args}]`.
Visitors prove who they are with `args[0]` = `{token, visitorToken}`; users by having logged in
on the session.
"""

from typing import Any

from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.rooms import can_access
from omnicontacts.realtime.registry import Caller

ROOM_MESSAGES = "stream-room-messages"
NOTIFY_ROOM = "stream-notify-room"
NOTIFY_USER = "stream-notify-user"
LIVECHAT_ROOM = "stream-livechat-room"
INQUIRY_QUEUE = "stream-livechat-inquiry-queue-observer"

STREAMS = (ROOM_MESSAGES, NOTIFY_ROOM, NOTIFY_USER, LIVECHAT_ROOM, INQUIRY_QUEUE)

# `stream-notify-room` events a client may follow (`<rid>/<event>`), and those it may send.
ROOM_EVENTS = frozenset({"typing", "user-activity", "deleteMessage"})
ROOM_WRITE_EVENTS = frozenset({"typing", "user-activity"})
# `stream-notify-user` events (`<uid>/<event>`).
USER_EVENTS = frozenset({"subscriptions-changed", "rooms-changed", "notification", "message", "otr", "webrtc"})
MY_MESSAGES = "__my_messages__"

MAX_EVENT_NAME = 200


def visitor_token(args: Any) -> str | None:
    """The visitor token a widget sends with a subscription or a stream write."""
    if isinstance(args, list) and args and isinstance(args[-1], dict):
        extra = args[-1]
        token = extra.get("visitorToken") or extra.get("token")
        return token if isinstance(token, str) and token else None
    return None


async def may_read_room(caller: Caller, room_id: str, token: str | None) -> bool:
    """A visitor reads their own livechat room; a user reads what `can_access` allows."""
    room = await livechat_repository.find_room(caller.conn, room_id)
    if room is None:
        return False
    if token is not None and caller.user is None:
        return room.get("t") == "l" and (room.get("v") or {}).get("token") == token
    if caller.user is None:
        return False
    return await can_access(caller.conn, room, caller.user.id, caller.has_permission)


async def may_read(caller: Caller, stream: str, event: str, args: Any) -> bool:
    token = visitor_token(args)
    if stream in (ROOM_MESSAGES, LIVECHAT_ROOM):
        if stream == ROOM_MESSAGES and event == MY_MESSAGES:
            return caller.user is not None
        return await may_read_room(caller, event, token)
    if stream == NOTIFY_ROOM:
        room_id, _, name = event.rpartition("/")
        return bool(room_id) and name in ROOM_EVENTS and await may_read_room(caller, room_id, token)
    if stream == NOTIFY_USER:
        user_id, _, name = event.partition("/")
        return caller.user is not None and user_id == caller.user.id and name in USER_EVENTS
    if stream == INQUIRY_QUEUE:
        return event == "public" and caller.has_permission("view-l-room")
    return False


async def may_write_room_event(caller: Caller, event: str, args: list[Any]) -> str | None:
    """`stream-notify-room` written by a client: typing and user-activity of a room the writer
    is in, under their own name. Answers the room id, or None to drop the event silently."""
    room_id, _, name = event.rpartition("/")
    if not room_id or name not in ROOM_WRITE_EVENTS or len(args) < 2 or not isinstance(args[0], str):
        return None
    room = await livechat_repository.find_room(caller.conn, room_id)
    if room is None:
        return None
    token = visitor_token(args[2:])
    if token is not None and room.get("t") == "l" and (room.get("v") or {}).get("token") == token:
        return room_id
    if caller.user is None or args[0] != caller.user.username:
        return None
    return room_id if await can_access(caller.conn, room, caller.user.id, caller.has_permission) else None
