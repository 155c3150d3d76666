"""Agents answering visitors: `chat.sendMessage` and `chat.postMessage` in livechat rooms.

Rocket.Chat's rules (`executeSendMessage`, `processWebhookMessage`, `canSendMessage`): whoever
may read a livechat room may write in it (see `rooms.can_access`); `alias` and `avatar` need
`message-impersonate`; `Message_MaxAllowedSize` bounds the text. We add one rule: a closed
conversation takes no more messages (`room-closed`, the word livechat/message answers the
visitor), so a closed room's transcript and last message stay what they were when it closed.

The message is stored like a visitor's (livechat/messages.py) but written by the agent:
`u: {_id, username, name}`, no `token`. The room's `msgs`, `lm` and `lastMessage` follow, and the
first answer after the visitor wrote marks the room answered (`responseBy`, `waitingResponse`
removed), as Rocket.Chat's `markRoomResponded` does.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from omnicontacts import ids
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.livechat import messages, repository
from omnicontacts.livechat.rooms import can_access
from omnicontacts.restapi.errors import Failure, MeteorError
from omnicontacts.restapi.meteor_check import ANY, Maybe, check
from omnicontacts.storage import Connection

HasPermission = Callable[[str], bool]

DEFAULT_MAX_SIZE = 5000
SEND_DETAILS = {"method": "sendMessage"}

# Attachment keys that become links in clients: they must be http(s) URLs (or our own file
# paths), never `javascript:` (Rocket.Chat's validFullURLParam).
_ATTACHMENT_URL_KEYS = (
    "thumb_url",
    "message_link",
    "author_link",
    "author_icon",
    "title_link",
    "image_url",
    "audio_url",
    "video_url",
)
_ACTION_URL_KEYS = ("url", "image_url")
_FULL_URL = re.compile(r"^https?://", re.IGNORECASE)
_JAVASCRIPT = re.compile(r"^\s*javascript:", re.IGNORECASE)
FILE_UPLOAD_PATH = "/file-upload/"


@dataclass
class Outgoing:
    """What the agent sends, from either endpoint."""

    text: str
    message_id: str | None = None
    alias: str | None = None
    emoji: str | None = None
    avatar: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    # chat.postMessage's messages are never grouped with the previous one.
    groupable: bool | None = None
    custom_fields: Any = None


def max_size(settings: Mapping[str, Any]) -> int:
    value = settings.get("Message_MaxAllowedSize", DEFAULT_MAX_SIZE)
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_MAX_SIZE


async def _author(conn: Connection, user_id: str) -> dict[str, Any]:
    user = await accounts_repository.find_user_doc(conn, user_id)
    if user is None or not user.get("username"):
        raise MeteorError("error-invalid-user", "Invalid user")
    return user


async def _writable_room(
    conn: Connection, room_id: str, user_id: str, has_permission: HasPermission, *, missing: Exception
) -> dict[str, Any]:
    room = await repository.find_room(conn, room_id, for_update=True)
    if room is None:
        raise missing
    if not await can_access(conn, room, user_id, has_permission):
        raise Failure("error-not-allowed")
    if room.get("t", "l") == "l" and not room.get("open"):
        raise Failure("room-closed")
    return room


def _is_full_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_FULL_URL.match(value) or value.startswith(FILE_UPLOAD_PATH))


def _check_link(value: Any, *, partial: bool = False) -> None:
    """Rocket.Chat's validFullURLParam / validPartialURLParam."""
    relative = partial and isinstance(value, str) and value.startswith("/") and not value.startswith("//")
    if not (_is_full_url(value) or relative) or _JAVASCRIPT.match(value):
        raise Failure("Invalid href value provided")


# Rocket.Chat checks `fields` and `actions` to be arrays (`[Match.Any]`) before their items.
_ATTACHMENT_LISTS = {"fields": Maybe([ANY]), "actions": Maybe([ANY])}


def _check_attachments(attachments: list[dict[str, Any]]) -> None:
    for attachment in attachments:
        for key in _ATTACHMENT_URL_KEYS:
            if attachment.get(key) is not None:
                _check_link(attachment[key])
        check({key: attachment[key] for key in _ATTACHMENT_LISTS if key in attachment}, _ATTACHMENT_LISTS)
        for item in attachment.get("fields") or []:
            if not isinstance(item, dict) or not item.get("value") or not item.get("title"):
                raise Failure("Invalid attachment field, title and value is required")
        for action in attachment.get("actions") or []:
            if isinstance(action, dict):
                for key in _ACTION_URL_KEYS:
                    if action.get(key) is not None:
                        _check_link(action[key])


async def _deliver(
    conn: Connection,
    room: dict[str, Any],
    author: dict[str, Any],
    outgoing: Outgoing,
    has_permission: HasPermission,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """Rocket.Chat's sendMessage: its `validateMessage` checks in their order, then store the
    message and update the room and its subscriptions."""
    if outgoing.avatar:
        _check_link(outgoing.avatar, partial=True)
    if (outgoing.alias or outgoing.avatar) and not has_permission("message-impersonate"):
        raise Failure("Not enough permission")
    _check_attachments(outgoing.attachments)
    if outgoing.custom_fields is not None:
        # Message custom fields (`Message_CustomFields_Enabled`) are not modelled: always off.
        raise Failure("Custom fields not enabled")
    if outgoing.message_id:
        existing = await repository.find_message(conn, outgoing.message_id)
        if existing is not None:
            # A retry of the caller's own message answers it again; nobody reuses another's id.
            if existing.get("rid") == room["_id"] and (existing.get("u") or {}).get("_id") == author["_id"]:
                return existing
            raise Failure("error-not-allowed")

    ts = await repository.next_message_ts(conn, room["_id"])
    sender: dict[str, Any] = {"_id": author["_id"], "username": author["username"]}
    if author.get("name"):
        sender["name"] = author["name"]
    message: dict[str, Any] = {
        "_id": outgoing.message_id or ids.meteor_id(),
        "rid": room["_id"],
        "msg": outgoing.text,
        "ts": ts,
        "u": sender,
    }
    for key, value in (
        ("alias", outgoing.alias),
        ("emoji", outgoing.emoji),
        ("avatar", outgoing.avatar),
        ("attachments", outgoing.attachments),
        ("blocks", outgoing.blocks),
    ):
        if value:
            message[key] = value
    if outgoing.groupable is not None:
        message["groupable"] = outgoing.groupable
    message["_updatedAt"] = ts
    await messages.store_message(conn, room, message, sender_id=author["_id"], settings=settings)
    _mark_responded(room, sender, ts)
    room["_updatedAt"] = ts
    await repository.save_room(conn, room)
    return message


def _mark_responded(room: dict[str, Any], sender: dict[str, Any], ts: str) -> None:
    """The first answer after the visitor wrote records who answered, and when; later answers
    move `responseBy.lastMessageTs` (Rocket.Chat's markRoomResponded)."""
    if room.get("t", "l") != "l":
        return
    if room.get("waitingResponse"):
        room["responseBy"] = room.get("responseBy") or {
            "_id": sender["_id"],
            "username": sender["username"],
            "firstResponseTs": ts,
            "lastMessageTs": ts,
        }
        room.pop("waitingResponse", None)
    elif isinstance(room.get("responseBy"), dict):
        room["responseBy"] = {**room["responseBy"], "lastMessageTs": ts}


async def send_message(
    conn: Connection,
    *,
    user_id: str,
    message: Mapping[str, Any],
    has_permission: HasPermission,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """`chat.sendMessage`, in `executeSendMessage`'s order of checks."""
    if message.get("t"):
        raise Failure("Cannot send system messages using 'chat.sendMessage'")
    if message.get("tshow") and not message.get("tmid"):
        raise MeteorError("invalid-params", "tshow provided but missing tmid", SEND_DETAILS)
    if message.get("tmid"):
        # Threads are not modelled here: as Rocket.Chat with `Threads_enabled` off.
        raise MeteorError("error-not-allowed", "not-allowed", SEND_DETAILS)
    text = message.get("msg")
    text = text if isinstance(text, str) else ""
    if len(text) > max_size(settings):
        raise MeteorError("error-message-size-exceeded", "Message size exceeds Message_MaxAllowedSize", SEND_DETAILS)
    author = await _author(conn, user_id)
    room_id = message.get("rid")
    if not room_id:
        raise Failure("The 'rid' property on the message object is missing.")
    room = await _writable_room(conn, room_id, user_id, has_permission, missing=Failure("error-invalid-room"))
    outgoing = Outgoing(
        text=text,
        message_id=message.get("_id") or None,
        alias=message.get("alias") or None,
        emoji=message.get("emoji") or None,
        avatar=message.get("avatar") or None,
        attachments=list(message.get("attachments") or []),
        blocks=list(message.get("blocks") or []),
        custom_fields=message.get("customFields"),
    )
    return await _deliver(conn, room, author, outgoing, has_permission, settings)


def _targets(value: str | list[str]) -> list[str]:
    """Each channel once, in the order given."""
    seen: list[str] = []
    for item in [value] if isinstance(value, str) else value:
        if item not in seen:
            seen.append(item)
    return seen


async def post_message(
    conn: Connection,
    *,
    user_id: str,
    body: Mapping[str, Any],
    has_permission: HasPermission,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """`chat.postMessage`: `roomId` or `channel` (one or several) gets the text; answers
    `{ts, channel, message}` for the first. Only livechat rooms exist here: `#name` and `@user`
    (a direct message) find nothing and answer `invalid-channel`."""
    text = body.get("text")
    limit = max_size(settings)
    attachments = list(body.get("attachments") or [])
    if isinstance(text, str) and len(text) > limit:
        raise Failure("error-message-size-exceeded")
    if any(isinstance(item.get("text"), str) and len(item["text"]) > limit for item in attachments):
        raise Failure("error-message-size-exceeded")
    author = await _author(conn, user_id)
    for attachment in attachments:
        # Rocket.Chat reads an attachment's `msg` as its text.
        if isinstance(attachment.get("msg"), str):
            attachment["text"] = attachment.pop("msg").strip()
    outgoing = Outgoing(
        text=(text or "").strip(),
        alias=body.get("alias") or None,
        emoji=None if body.get("avatar") else body.get("emoji") or None,
        avatar=body.get("avatar") or None,
        attachments=attachments,
        groupable=False,
        custom_fields=body.get("customFields"),
    )
    sent: list[tuple[str, dict[str, Any]]] = []
    # JavaScript's `channel || roomId || ''`: an empty list is truthy there, and sends nothing.
    target = body.get("channel")
    if target is None or target == "":
        target = body.get("roomId")
    for channel in _targets(target if target is not None else ""):
        room_id = channel[1:] if channel.startswith("#") else channel
        if channel.startswith("@") or not room_id:
            raise MeteorError("invalid-channel")
        room = await _writable_room(conn, room_id, user_id, has_permission, missing=MeteorError("invalid-channel"))
        sent.append((channel, await _deliver(conn, room, author, outgoing, has_permission, settings)))
    if not sent:
        raise Failure("unknown-error")
    channel, message = sent[0]
    return {"channel": channel, "message": message}
