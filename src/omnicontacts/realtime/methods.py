"""The DDP methods this server answers itself; each calls the domain services, whose rules are
not repeated here. Other packages add theirs with `registry.method`."""

from datetime import timedelta
from typing import Any

from omnicontacts import jsonutil
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.livechat import chat, routing
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.rooms import can_access
from omnicontacts.realtime import streams
from omnicontacts.realtime.errors import LOGGED_OUT, DdpError
from omnicontacts.realtime.registry import Caller, method
from omnicontacts.restapi.routing import AuthUser
from omnicontacts.timeutil import parse_iso, to_iso

MATCH_FAILED = DdpError(400, "Match failed")
# Rocket.Chat's `Accounts_LoginExpiration` default, in days: what `tokenExpires` tells clients.
LOGIN_EXPIRATION_DAYS = 90
HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 1000


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise MATCH_FAILED
    return value


@method("login")
async def login(caller: Caller, request: Any) -> dict[str, Any]:
    """Resume login with the REST login token; the session then acts as that user."""
    if not isinstance(request, dict) or "resume" not in request:
        raise DdpError(400, "Unrecognized options for login request")
    token = request["resume"]
    if not isinstance(token, str) or not token:
        raise MATCH_FAILED
    hashed = hash_login_token(token)
    row = await accounts_repository.find_user_by_hashed_token(caller.conn, hashed)
    if row is None:
        raise LOGGED_OUT
    user = AuthUser(row["id"], row["username"], tuple(_roles(row["roles"])))
    if caller.session is not None:
        caller.session.sign_in(user, hashed)
    expires = to_iso(parse_iso(row["created_at"]) + timedelta(days=LOGIN_EXPIRATION_DAYS))
    return {"id": user.id, "token": token, "tokenExpires": expires, "type": "resume"}


def _roles(value: Any) -> list[str]:
    roles = jsonutil.loads(value) if isinstance(value, str | bytes) else value
    return [role for role in roles or [] if isinstance(role, str)]


@method("logout")
async def logout(caller: Caller) -> None:
    """Forget the user on this session (the token itself stays valid, as after a DDP logout
    of one connection)."""
    if caller.session is not None:
        caller.session.user = None
        caller.session.login_token_hash = None


@method("livechat:setUpConnection")
async def set_up_connection(caller: Caller, data: Any) -> None:
    """The widget names its visitor token for this connection."""
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):
        raise MATCH_FAILED
    if caller.session is not None and caller.session.visitor_token is None:
        caller.session.visitor_token = data["token"]


@method("livechat:loginByToken")
async def login_by_token(caller: Caller, token: Any) -> dict[str, Any] | None:
    visitor = await livechat_repository.find_visitor_by_token(caller.conn, _string(token))
    return None if visitor is None else {"_id": visitor["_id"]}


@method("sendMessage")
async def send_message(caller: Caller, message: Any, preview_urls: Any = None) -> dict[str, Any]:
    user = caller.require_user("sendMessage")
    if not isinstance(message, dict) or not isinstance(message.get("rid"), str):
        raise MATCH_FAILED
    for key in ("_id", "msg", "alias", "emoji", "avatar", "tmid"):
        if key in message and not isinstance(message[key], str):
            raise MATCH_FAILED
    async with caller.conn.transaction():
        return await chat.send_message(
            caller.conn,
            user_id=user.id,
            message=message,
            has_permission=caller.has_permission,
            settings=caller.settings,
        )


@method("loadHistory")
async def load_history(
    caller: Caller,
    rid: Any,
    end: Any = None,
    limit: Any = HISTORY_DEFAULT_LIMIT,
    ls: Any = None,
    show_thread_messages: Any = True,
) -> dict[str, Any] | bool:
    """A room's messages newest first, before `end` when given."""
    user = caller.require_user("loadHistory")
    room = await livechat_repository.find_room(caller.conn, _string(rid))
    if room is None or not await can_access(caller.conn, room, user.id, caller.has_permission):
        return False
    if end is not None and not isinstance(end, str):
        raise MATCH_FAILED
    count = limit if isinstance(limit, int) and not isinstance(limit, bool) else HISTORY_DEFAULT_LIMIT
    count = max(0, min(count, HISTORY_MAX_LIMIT))
    if count == 0:
        return {"messages": []}
    before = parse_iso(end) if end else None
    messages, _ = await livechat_repository.page_of_messages(
        livechat_repository.iter_room_messages(caller.conn, room["_id"], newest_first=True),
        lambda message: before is None or parse_iso(message["ts"]) < before,
        offset=0,
        count=count,
        total=False,
    )
    return {"messages": messages}


@method("livechat:returnAsInquiry")
async def return_as_inquiry(caller: Caller, rid: Any, department_id: Any = None) -> bool:
    if caller.user is None or not caller.has_permission("view-l-room"):
        raise DdpError("error-not-allowed", "Not allowed", routing.RETURN_DETAILS)
    user = await accounts_repository.find_user_doc(caller.conn, caller.user.id)
    if user is None:
        raise DdpError("error-not-allowed", "Not allowed", routing.RETURN_DETAILS)
    async with caller.conn.transaction():
        return await routing.return_to_queue(caller.conn, _string(rid), user)


@method("stream-notify-room")
async def notify_room(caller: Caller, event: Any, *args: Any) -> None:
    """A client tells a room it is typing; dropped silently when it may not (as Rocket.Chat)."""
    if not isinstance(event, str) or len(event) > streams.MAX_EVENT_NAME:
        return
    room_id = await streams.may_write_room_event(caller, event, list(args))
    if room_id is None or caller.realtime is None:
        return
    origin = caller.session.id if caller.session is not None else None
    await caller.realtime.broadcast(caller.conn, streams.NOTIFY_ROOM, event, list(args), origin=origin)
