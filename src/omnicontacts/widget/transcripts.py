"""Conversation transcripts by mail: asked for by the visitor (now), or by an agent for when the
room closes; and the offline form's message to the team.

The mails are queued in the outbox inside the caller's transaction (mail.service) and sent in the
background after commit; these functions only decide what to send and to whom.
"""

import contextlib
import html
from collections.abc import Mapping
from datetime import timedelta
from email.utils import formataddr
from typing import Any

from omnicontacts.accounts.config_cache import ConfigCache
from omnicontacts.livechat import closing
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.messages import add_system_message
from omnicontacts.mail import service as mail
from omnicontacts.restapi.errors import Failure, MeteorError
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso, parse_iso
from omnicontacts.widget.service import SYSTEM_USER

DEFAULT_SUBJECT = "Transcript of your livechat conversation"
# Notes that are about the conversation rather than part of it; never in a transcript.
_IGNORED_TYPES = {
    "livechat_navigation_history",
    "livechat_transcript_history",
    "command",
    "livechat-close",
    "livechat-started",
    "livechat_video_call",
    "omnichannel_priority_change_history",
}


def _when(ts: str, utc_offset: Any) -> str:
    moment = parse_iso(ts)
    if isinstance(utc_offset, int | float) and -14 <= utc_offset <= 14:
        moment = moment + timedelta(hours=utc_offset)
    return moment.strftime("%B %d, %Y %I:%M %p")


def _author(message: Mapping[str, Any], visitor: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    user = message.get("u") or {}
    if user.get("_id") == visitor["_id"]:
        return "You"
    if settings.get("Livechat_show_agent_info", True) is False:
        return "Agent"
    return str(user.get("name") or user.get("username") or "")


async def transcript_html(
    conn: Connection,
    room: Mapping[str, Any],
    visitor: Mapping[str, Any],
    settings: Mapping[str, Any],
    utc_offset: Any = None,
) -> str:
    """What was written, oldest first, up to the closing note; every text is HTML-escaped."""
    closing = (room.get("closingMessage") or {}).get("ts")
    show_system = bool(settings.get("Livechat_transcript_show_system_messages"))
    parts = ["<div> <hr>"]
    messages = livechat_repository.iter_room_messages(conn, room["_id"], newest_first=False)
    async with contextlib.aclosing(messages):  # read a batch at a time, closed at the closing note
        async for message in messages:
            kind = message.get("t")
            if kind in _IGNORED_TYPES or message.get("_hidden") or (kind and not show_system):
                continue
            if isinstance(closing, str) and message["ts"] >= closing:
                break
            text = html.escape(str(message.get("msg") or ""))
            content = f"<i>{html.escape(kind)}: {text}</i>" if kind else text
            parts.append(
                f"<p><strong>{html.escape(_author(message, visitor, settings))}</strong>  "
                f"<em>{_when(message['ts'], utc_offset)}</em></p><p>{content}</p>"
            )
    parts.append("</div>")
    return "".join(parts)


async def queue_transcript(
    conn: Connection,
    room: dict[str, Any],
    visitor: Mapping[str, Any],
    email: str,
    settings: Mapping[str, Any],
    *,
    subject: str | None = None,
    user: Mapping[str, Any] | None = None,
) -> None:
    """Queue the transcript of `room` to `email` and note in the room that it was sent. The
    caller saves the room."""
    sender = mail.from_address(settings)
    body = await transcript_html(conn, room, visitor, settings, (user or {}).get("utcOffset"))
    await mail.queue(
        conn,
        mail.Mail(
            to=email,
            subject=subject or settings.get("Livechat_transcript_email_subject") or DEFAULT_SUBJECT,
            html=body,
            from_=sender,
            reply_to=sender,
            kind="transcript",
        ),
    )
    by_agent = bool(user and user.get("username"))
    author: dict[str, Any] = dict(user or {}) if by_agent else dict(SYSTEM_USER)
    requester = {"type": "user" if by_agent else "visitor", "user": author}
    request_data = {
        "type": requester["type"],
        "visitor": {key: visitor[key] for key in ("_id", "token", "username", "name") if key in visitor},
        "user": requester["user"],
    }
    await add_system_message(conn, room, "livechat_transcript_history", "", author, requestData=request_data)


async def send_transcript_now(
    conn: Connection,
    token: str,
    room_id: str,
    email: str,
    settings: Mapping[str, Any],
    *,
    subject: str | None = None,
    user: Mapping[str, Any] | None = None,
) -> None:
    """`POST livechat/transcript` (the visitor, for their own room) and the DDP method
    `livechat:sendTranscript` (an agent, naming the room's visitor token): the transcript now."""
    # The room decides: its visitor may since have been given a new token (registering again
    # with the same address), and the token the room was opened with still reaches it.
    room = await livechat_repository.find_room(conn, room_id, for_update=True)
    room_visitor = (room or {}).get("v") or {}
    visitor = await livechat_repository.find_visitor(conn, room_visitor["_id"]) if room_visitor.get("_id") else None
    if visitor is None and await livechat_repository.find_visitor_by_token(conn, token) is None:
        raise Failure("error-invalid-token")
    if room is None or visitor is None or room.get("t") != "l" or room_visitor.get("token") != token:
        raise Failure("error-invalid-room")
    if not mail.is_address(email):
        raise Failure("error-invalid-email")
    await queue_transcript(conn, room, visitor, email, settings, subject=subject, user=user)
    await livechat_repository.save_room(conn, room)


async def request_transcript(conn: Connection, room_id: str, email: str, subject: str, user: Mapping[str, Any]) -> None:
    """`POST livechat/transcript/:rid`: an agent asks for the transcript to go out at closing."""
    room = await livechat_repository.find_room(conn, room_id, for_update=True)
    if room is None or room.get("t") != "l" or not room.get("open"):
        raise MeteorError("error-invalid-room", "Invalid room")
    if room.get("transcriptRequest"):
        raise MeteorError("error-transcript-already-requested", "Transcript already requested")
    requested_by = {key: user[key] for key in ("_id", "username", "name", "utcOffset") if key in user}
    room["transcriptRequest"] = {
        "requestedAt": now_iso(),
        "requestedBy": requested_by,
        "email": email,
        "subject": subject,
    }
    await livechat_repository.save_room(conn, room)


async def cancel_transcript(conn: Connection, room_id: str) -> None:
    """`DELETE livechat/transcript/:rid`."""
    room = await livechat_repository.find_room(conn, room_id, for_update=True)
    if room is None or not room.get("open"):
        raise Failure("error-invalid-room")
    if not room.get("transcriptRequest"):
        raise Failure("error-transcript-not-requested")
    room.pop("transcriptRequest")
    await livechat_repository.save_room(conn, room)


async def send_requested_on_close(conn: Connection, room: dict[str, Any], settings: Mapping[str, Any]) -> None:
    """Run as a room closes, in its transaction: the transcript an agent asked for goes out, and
    the request is done."""
    request = room.get("transcriptRequest")
    token = (room.get("v") or {}).get("token")
    if not isinstance(request, dict) or not token:
        return
    room.pop("transcriptRequest")
    visitor = await livechat_repository.find_visitor_by_token(conn, token)
    email = request.get("email")
    if visitor is not None and isinstance(email, str) and mail.is_address(email):
        await queue_transcript(
            conn, room, visitor, email, settings, subject=request.get("subject"), user=request.get("requestedBy")
        )
    await livechat_repository.save_room(conn, room)


# --- the offline form --------------------------------------------------------------------------


class OfflineMessageRefused(Exception):
    """Any reason the offline message cannot go out; the route answers one generic error."""


def _lines_as_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.splitlines())


async def queue_offline_message(
    conn: Connection,
    *,
    name: str,
    email: str,
    message: str,
    host: str | None,
    settings: Mapping[str, Any],
) -> None:
    """`POST livechat/offline.message`: the visitor's message, by mail to `Livechat_offline_email`.

    `Livechat_validate_offline_email` checks the address's form; Rocket.Chat also looks up the
    domain's mail servers, which needs DNS this server does not use (docs/compatibility.md)."""
    if not settings.get("Livechat_display_offline_form", True):
        raise OfflineMessageRefused("offline form disabled")
    if settings.get("Livechat_validate_offline_email", True) and not mail.is_address(email):
        raise OfflineMessageRefused("invalid visitor address")
    to = str(settings.get("Livechat_offline_email") or "").strip()
    if not mail.is_address(to):
        raise OfflineMessageRefused("Livechat_offline_email is not a valid address")
    parts = ["<h1>New livechat message</h1>"]
    if host:
        parts.append(f"<p><strong>Sent from:</strong> {html.escape(host)}</p>")
    parts.append(
        f"<p><strong>Visitor name:</strong> {html.escape(name)}</p>"
        f"<p><strong>Visitor email:</strong> {html.escape(email)}</p>"
        f"<p><strong>Message:</strong><br>{_lines_as_html(message)}</p>"
    )
    sender = mail.from_address(settings)
    await mail.queue(
        conn,
        mail.Mail(
            to=to,
            subject=f"Livechat offline message from {name}: {message[:20]}",
            html="".join(parts),
            from_=formataddr((f"{name} - {email}", sender)),
            reply_to=formataddr((name, email)) if mail.is_address(email) else None,
            kind="offline-message",
        ),
    )


_close_config = ConfigCache()


async def _on_close(conn: Connection, room: dict[str, Any]) -> None:
    if not room.get("transcriptRequest"):
        return
    await _close_config.ensure_fresh(conn)
    await send_requested_on_close(conn, room, _close_config.settings)


def install() -> None:
    """Start-up: transcripts an agent asked for go out when their room closes."""
    closing.on_close(_on_close)
