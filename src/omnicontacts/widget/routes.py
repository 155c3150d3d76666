"""HTTP side of the widget's REST calls. Handlers read the request, open the transaction, and
wake the mail sender once a queued mail is committed."""

from typing import Any

import orjson

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.restapi.errors import Failure, InvalidParams
from omnicontacts.restapi.routing import RequestContext, Router
from omnicontacts.restapi.validation import validate
from omnicontacts.widget import config, methods, schemas, service, transcripts

router = Router()
# The widget's DDP methods register with the realtime registry when this module is imported.
__all__ = ["methods", "router"]


def _kick_mail(ctx: RequestContext) -> None:
    """After commit: tell this process's mail sender there is something to send now."""
    sender = getattr(ctx.request.app.state, "mail_sender", None)
    if sender is not None:
        sender.kick()


@router.get("livechat/config", auth=False, query=schemas.CONFIG)
async def livechat_config(ctx: RequestContext) -> dict[str, Any]:
    settings = ctx.state.config.settings
    department = ctx.params.get("department")
    return {
        "config": await config.livechat_config(
            ctx.conn, ctx.params.get("token"), settings, department=department if isinstance(department, str) else None
        )
    }


@router.get("livechat/agent.info/{rid}/{token}", auth=False)
async def agent_info(ctx: RequestContext) -> dict[str, Any]:
    room = await service.agent_of_room(ctx.conn, ctx.path["token"], ctx.path["rid"])
    served_by = (room.get("servedBy") or {}).get("_id")
    agent = (
        await config.agent_info(ctx.conn, served_by, ctx.state.config.settings) if isinstance(served_by, str) else None
    )
    if agent is None:
        raise Failure("invalid-agent")
    return {"agent": agent}


@router.post("livechat/page.visited", auth=False, body=schemas.PAGE_VISITED)
async def page_visited(ctx: RequestContext) -> dict[str, Any] | None:
    body = ctx.params
    async with ctx.conn.transaction():
        page = await service.page_visited(
            ctx.conn, body["token"], body.get("rid"), body["pageInfo"], ctx.state.config.settings
        )
    return {"page": page} if page is not None else None


@router.post("livechat/visitor.status", auth=False, body=schemas.VISITOR_STATUS)
async def visitor_status(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        await service.visitor_status(ctx.conn, ctx.params["token"], ctx.params["status"])
    return {"token": ctx.params["token"], "status": ctx.params["status"]}


@router.post("livechat/visitor.callStatus", auth=False, body=schemas.VISITOR_CALL_STATUS)
async def visitor_call_status(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    async with ctx.conn.transaction():
        await service.call_status(ctx.conn, body["token"], body["rid"], body["callStatus"])
    return {"token": body["token"], "callStatus": body["callStatus"]}


@router.post("livechat/offline.message", auth=False, body=schemas.OFFLINE_MESSAGE)
async def offline_message(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    try:
        async with ctx.conn.transaction():
            await transcripts.queue_offline_message(
                ctx.conn,
                name=body["name"],
                email=body["email"],
                message=body["message"],
                host=body.get("host"),
                settings=ctx.state.config.settings,
            )
    except transcripts.OfflineMessageRefused:
        # Rocket.Chat answers every failure here with this one sentence.
        raise Failure("Error sending livechat offline message") from None
    _kick_mail(ctx)
    return {"message": "Livechat offline message sent"}


@router.post("livechat/transcript", auth=False, body=schemas.TRANSCRIPT)
async def transcript(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    async with ctx.conn.transaction():
        await transcripts.send_transcript_now(
            ctx.conn, body["token"], body["rid"], body["email"], ctx.state.config.settings
        )
    _kick_mail(ctx)
    return {"message": "Livechat transcript sent"}


@router.post(
    "livechat/transcript/{rid}", permissions=("send-omnichannel-chat-transcript",), body=schemas.TRANSCRIPT_REQUEST
)
async def transcript_request(ctx: RequestContext) -> None:
    user = await accounts_repository.find_user_doc(ctx.conn, ctx.user_required.id)
    if user is None:
        raise Failure("error-invalid-user")
    async with ctx.conn.transaction():
        await transcripts.request_transcript(
            ctx.conn, ctx.path["rid"], ctx.params["email"], ctx.params["subject"], user
        )


@router.delete("livechat/transcript/{rid}", permissions=("send-omnichannel-chat-transcript",))
async def transcript_cancel(ctx: RequestContext) -> None:
    async with ctx.conn.transaction():
        await transcripts.cancel_transcript(ctx.conn, ctx.path["rid"])


# --- the visitor's own messages -------------------------------------------------------------------


@router.get("livechat/message/{_id}", auth=False, query=schemas.MESSAGE_ID_GET)
async def message_get(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    return {"message": await service.get_message(ctx.conn, params["token"], params["rid"], ctx.path["_id"])}


@router.put("livechat/message/{_id}", auth=False, body=schemas.MESSAGE_ID_PUT)
async def message_edit(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    async with ctx.conn.transaction():
        message = await service.edit_message(
            ctx.conn, body["token"], body["rid"], ctx.path["_id"], body["msg"], ctx.state.config.settings
        )
    return {"message": message}


async def _delete_params(ctx: RequestContext) -> dict[str, Any]:
    """Rocket.Chat reads this DELETE's parameters from its body (the widget sends JSON there);
    the query string is read too, for clients that put them in the URL."""
    merged = dict(ctx.params)
    raw = await ctx.request.body()
    if raw:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = {}
        if isinstance(body, dict):
            merged.update(body)
    params, problems = validate(schemas.MESSAGE_ID_DELETE, merged)
    if problems:
        raise InvalidParams(problems)
    return params  # type: ignore[no-any-return]


@router.delete("livechat/message/{_id}", auth=False)
async def message_delete(ctx: RequestContext) -> dict[str, Any]:
    params = await _delete_params(ctx)
    async with ctx.conn.transaction():
        deleted = await service.delete_message(
            ctx.conn, params["token"], params["rid"], ctx.path["_id"], ctx.state.config.settings
        )
    return {"message": deleted}
