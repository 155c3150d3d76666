"""HTTP side of livechat: agents, visitors, rooms, messages, inquiries, subscriptions.

Handlers only read the request, open the transaction and shape the answer; the rules live in the
service modules next to this one.
"""

from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.contacts.lifecycle import CustomFieldValue
from omnicontacts.livechat import (
    agents,
    custom_fields,
    listing,
    messages,
    repository,
    rooms,
    routing,
    schemas,
    unread,
    visitors,
)
from omnicontacts.livechat.chat import max_size
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import Failure, Forbidden, InvalidParams, MeteorError, RawError
from omnicontacts.restapi.limits import too_long
from omnicontacts.restapi.meteor_check import Maybe, Text, check
from omnicontacts.restapi.query import page_number
from omnicontacts.restapi.ratelimit import Limit
from omnicontacts.restapi.routing import RequestContext, Router
from omnicontacts.restapi.streaming import StreamedList
from omnicontacts.restapi.validation import validate

router = Router()

ROOM_NOT_FOUND = 'The required "roomId" or "roomName" param provided does not match any channel'


# --- agents and managers -------------------------------------------------------------------------


@router.post("livechat/users/{user_type}", permissions=("view-livechat-manager",), body=schemas.USERS_TYPE_POST)
async def users_add(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        user = await agents.add(ctx.conn, ctx.path["user_type"], ctx.params["username"])
    return {"user": user}


@router.get("livechat/users/{user_type}", query=schemas.USERS_TYPE_LIST)
async def users_list(ctx: RequestContext) -> dict[str, Any]:
    user_type = ctx.path["user_type"]
    agents.role_for(user_type)
    allowed = (
        ctx.has_permission("transfer-livechat-guest") or ctx.has_permission("edit-omnichannel-contact")
        if user_type == "agent"
        else ctx.has_permission("view-livechat-manager")
    )
    if not allowed:
        raise Forbidden("unauthorized")
    offset, count = ctx.page()
    return await agents.listing(
        ctx.conn,
        user_type,
        text=ctx.params.get("text"),
        only_available=bool(ctx.params.get("onlyAvailable")),
        exclude_id=ctx.params.get("excludeId"),
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )


@router.get("livechat/users/{user_type}/{user_id}", permissions=("view-livechat-manager",))
async def users_get(ctx: RequestContext) -> dict[str, Any]:
    return {"user": await agents.one(ctx.conn, ctx.path["user_type"], ctx.path["user_id"])}


@router.delete("livechat/users/{user_type}/{user_id}", permissions=("view-livechat-manager",))
async def users_remove(ctx: RequestContext) -> None:
    async with ctx.conn.transaction():
        await agents.remove(ctx.conn, ctx.path["user_type"], ctx.path["user_id"])


@router.post("livechat/agent.status", permissions=("view-l-room",), body=schemas.AGENT_STATUS)
async def agent_status(ctx: RequestContext) -> dict[str, Any]:
    caller = ctx.user_required
    agent_id = ctx.params.get("agentId") or caller.id
    if agent_id != caller.id and not ctx.has_permission("manage-livechat-agents"):
        raise Forbidden()
    async with ctx.conn.transaction():
        status = await agents.set_status(ctx.conn, agent_id, ctx.params.get("status"))
    return {"status": status}


# --- visitors ------------------------------------------------------------------------------------


# Rocket.Chat's own limit for registrations: 5 a minute per address.
@router.post("livechat/visitor", auth=False, rate_limit=Limit(calls=5, interval_ms=60_000))
async def visitor_register(ctx: RequestContext) -> dict[str, Any]:
    registration = visitors.parse_registration(ctx.params)
    async with ctx.conn.transaction():
        visitor = await visitors.register(ctx.conn, registration)
    return {"visitor": visitor}


@router.get("livechat/visitor/{token}", auth=False)
async def visitor_get(ctx: RequestContext) -> dict[str, Any]:
    visitor = await repository.find_visitor_by_token(ctx.conn, ctx.path["token"])
    if visitor is None:
        raise MeteorError("invalid-token")
    return {"visitor": visitor}


@router.delete("livechat/visitor/{token}", auth=False)
async def visitor_erase(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        erased = await visitors.erase(ctx.conn, ctx.path["token"], ctx.state.config.settings)
    return {"visitor": erased}


@router.post("livechat/custom.field", auth=False, body=schemas.CUSTOM_FIELD)
async def custom_field(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    value = CustomFieldValue(key=body["key"], value=body["value"], overwrite=body["overwrite"])
    async with ctx.conn.transaction():
        await custom_fields.set_one(ctx.conn, body["token"], value)
    return {"field": {"key": value.key, "value": value.value, "overwrite": value.overwrite}}


@router.post("livechat/custom.fields", auth=False, body=schemas.CUSTOM_FIELDS)
async def custom_fields_many(ctx: RequestContext) -> dict[str, Any]:
    values = [
        CustomFieldValue(key=item["key"], value=item["value"], overwrite=item["overwrite"])
        for item in ctx.params["customFields"]
    ]
    async with ctx.conn.transaction():
        applied = await custom_fields.set_many(ctx.conn, ctx.params["token"], values)
    # Rocket.Chat answers with a capital `Key`.
    return {"fields": [{"Key": item.key, "value": item.value, "overwrite": item.overwrite} for item in applied]}


# --- rooms ---------------------------------------------------------------------------------------


def _is_widget(ctx: RequestContext) -> bool:
    cookies = ctx.request.cookies
    return cookies.get("rc_room_type") == "l" and cookies.get("rc_is_widget") == "t"


ROOM_QUERY_PATTERN = {
    "token": Text(limits.TOKEN),
    "rid": Maybe(Text(limits.ID)),
    "agentId": Maybe(Text(limits.ID)),
    "sla": Maybe(Text(limits.ID)),
    "priority": Maybe(Text(limits.ID)),
}


@router.get("livechat/room", auth=False)
async def room_get(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    # `sla` and `priority` are the paid edition's additions; we accept and ignore them.
    check(params, ROOM_QUERY_PATTERN)
    token, room_id, agent_id = params["token"], params.get("rid"), params.get("agentId")
    existing = await rooms.existing_room(ctx.conn, token, room_id)
    if existing is not None:
        return {"room": existing, "newRoom": False}
    source = rooms.room_source(is_widget=_is_widget(ctx), host=ctx.request.headers.get("host"))
    async with ctx.conn.transaction():
        room, is_new = await rooms.open_room(
            ctx.conn,
            token,
            room_id=room_id,
            agent_id=agent_id,
            source=source,
            settings=ctx.state.config.settings,
        )
    return {"room": room, "newRoom": is_new}


@router.post("livechat/room.close", auth=False, body=schemas.ROOM_CLOSE)
async def room_close(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        comment = await rooms.close_by_visitor(
            ctx.conn, ctx.params["token"], ctx.params["rid"], ctx.state.config.settings
        )
    return {"rid": ctx.params["rid"], "comment": comment}


@router.post("livechat/room.closeByUser", permissions=("close-livechat-room",), body=schemas.ROOM_CLOSE_BY_USER)
async def room_close_by_user(ctx: RequestContext) -> None:
    user = ctx.user_required
    async with ctx.conn.transaction():
        await rooms.close_by_user(
            ctx.conn,
            ctx.params["rid"],
            user={"_id": user.id, "username": user.username},
            comment=ctx.params.get("comment"),
            tags=ctx.params.get("tags"),
            has_permission=ctx.has_permission,
            settings=ctx.state.config.settings,
            transcript_email=ctx.params.get("transcriptEmail"),
        )


@router.get("livechat/rooms")
async def rooms_list(ctx: RequestContext) -> dict[str, Any] | StreamedList:
    # Who may list depends on the `agents` asked for, so the permission is checked here, still
    # before the parameters: a caller without it learns nothing about them.
    user = ctx.user_required
    if not listing.may_list_rooms(ctx.has_permission, user.id, ctx.params.get("agents")):
        raise Forbidden("unauthorized")
    ctx.params, problems = validate(schemas.ROOMS_LIST, ctx.params)
    if problems:
        raise InvalidParams(problems)
    offset, count = ctx.page()
    if count == 0:
        return listing.rooms_streamed(ctx.params, sort=ctx.sort(), offset=offset)
    return await listing.rooms(ctx.conn, ctx.params, sort=ctx.sort(), offset=offset, count=count)


async def _readable_room(ctx: RequestContext, room_id: str) -> dict[str, Any] | None:
    room = await repository.find_room(ctx.conn, room_id)
    if room is None:
        return None
    if not await rooms.can_access(ctx.conn, room, ctx.user_required.id, ctx.has_permission):
        raise RawError(400, {"success": False, "error": "not-allowed", "errorType": "Not Allowed"})
    return room


@router.get("rooms.info", query=schemas.ROOMS_INFO)
async def rooms_info(ctx: RequestContext) -> dict[str, Any]:
    room_id, room_name = ctx.params.get("roomId"), ctx.params.get("roomName")
    if not room_id and not room_name:
        raise MeteorError("error-roomid-param-not-provided", 'The parameter "roomId" or "roomName" is required')
    # Livechat rooms have no `name`; a room name never finds one.
    room = await _readable_room(ctx, room_id) if room_id else None
    if room is None:
        raise MeteorError("error-room-not-found", ROOM_NOT_FOUND)
    return {"room": room}


@router.get("channels.info", query=schemas.CHANNELS_INFO, typed=True)
async def channels_info(ctx: RequestContext) -> dict[str, Any]:
    room_id = ctx.params.get("roomId")
    room = await repository.find_room(ctx.conn, room_id) if room_id else None
    # A livechat room the caller may not read answers as if it did not exist.
    if room is None or not await rooms.can_access(ctx.conn, room, ctx.user_required.id, ctx.has_permission):
        raise MeteorError("error-room-not-found", ROOM_NOT_FOUND)
    return {"channel": room}


# --- messages ------------------------------------------------------------------------------------


@router.post("livechat/message", auth=False, body=schemas.MESSAGE)
async def message_send(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    # The same bound as an agent's text (Message_MaxAllowedSize), in the validation's words.
    limit = max_size(ctx.state.config.settings)
    if len(body["msg"]) > limit:
        raise InvalidParams([too_long(limit)])
    async with ctx.conn.transaction():
        visitor = await visitors.find_by_token(ctx.conn, body["token"])
        message = await messages.send_visitor_message(
            ctx.conn,
            visitor,
            body["rid"],
            body["msg"],
            message_id=body.get("_id"),
            settings=ctx.state.config.settings,
        )
    return {"message": message}


@router.get("livechat/messages.history/{rid}", auth=False, query=schemas.MESSAGES_HISTORY)
async def messages_history(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    if not params.get("token"):
        raise Failure("error-token-param-not-provided")
    visitor = await visitors.find_by_token(ctx.conn, params["token"])
    offset, _ = ctx.page()
    limit = params.get("limit")
    found = await messages.visitor_history(
        ctx.conn,
        visitor,
        ctx.path["rid"],
        limit=page_number(limit) if limit is not None else 20,
        offset=offset,
        end=params.get("end"),
    )
    return {"messages": found}


@router.get("livechat/{rid}/messages", permissions=("view-l-room",), query=schemas.ROOM_MESSAGES)
async def room_transcript(ctx: RequestContext) -> dict[str, Any]:
    room_id = ctx.path["rid"]
    room = await repository.find_room(ctx.conn, room_id)
    if room is None or room.get("t") != "l":
        raise Failure("invalid-room")
    if not await rooms.can_access(ctx.conn, room, ctx.user_required.id, ctx.has_permission):
        raise Failure("not-allowed")
    offset, count = ctx.page()
    page, total = await messages.transcript(
        ctx.conn, room_id, search_term=ctx.params.get("searchTerm"), sort=ctx.sort(), offset=offset, count=count
    )
    return {"messages": page, "offset": offset, "count": count, "total": total}


# --- inquiries and subscriptions -------------------------------------------------------------------


@router.get("livechat/inquiries.getOne", permissions=("view-l-room",), query=schemas.ROOM_ID_QUERY)
async def inquiry_get(ctx: RequestContext) -> dict[str, Any]:
    return {"inquiry": await repository.find_inquiry_by_room(ctx.conn, ctx.params["roomId"])}


@router.get("livechat/inquiries.list", permissions=("view-livechat-manager",), query=schemas.INQUIRIES_LIST)
async def inquiries_list(ctx: RequestContext) -> dict[str, Any]:
    # `department` names a department; there are none, so it narrows nothing (as in Rocket.Chat
    # when the department is not found).
    offset, count = ctx.page()
    return await listing.queued_inquiries(ctx.conn, sort=ctx.sort(), offset=offset, count=count)


async def _agent_queue(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await listing.queue_for_agent(ctx.conn, sort=ctx.sort(), offset=offset, count=count)


# The newest name, and the older one clients still call.
router.get("livechat/inquiries.queuedForUser", permissions=("view-l-room",), query=schemas.INQUIRIES_LIST)(_agent_queue)
router.get("livechat/inquiries.queued", permissions=("view-l-room",), query=schemas.INQUIRIES_LIST)(_agent_queue)


@router.post("livechat/inquiries.take", permissions=("view-l-room",), body=schemas.INQUIRY_TAKE)
async def inquiry_take(ctx: RequestContext) -> None:
    agent_id = ctx.params.get("userId") or ctx.user_required.id
    if "userId" in ctx.params and await accounts_repository.find_user_doc(ctx.conn, agent_id) is None:
        raise Failure("The user is invalid")
    async with ctx.conn.transaction():
        await routing.take(ctx.conn, ctx.params["inquiryId"], agent_id)


@router.post("subscriptions.read", body=schemas.SUBSCRIPTIONS_READ)
async def subscription_read(ctx: RequestContext) -> None:
    # The schema admits either key (one branch of its anyOf), possibly as an empty string.
    room_id = ctx.params["rid"] if "rid" in ctx.params else ctx.params["roomId"]
    async with ctx.conn.transaction():
        if not await unread.read_room(ctx.conn, room_id, ctx.user_required.id):
            raise Failure("error-invalid-subscription")


@router.get("subscriptions.getOne", query=schemas.ROOM_ID_QUERY)
async def subscription_get(ctx: RequestContext) -> dict[str, Any]:
    subscription = await repository.find_subscription(ctx.conn, ctx.params["roomId"], ctx.user_required.id)
    return {"subscription": subscription}
