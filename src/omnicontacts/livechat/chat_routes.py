"""HTTP side of `chat.sendMessage` and `chat.postMessage`: how agents answer visitors."""

import time
from typing import Any

from omnicontacts.livechat import chat, schemas
from omnicontacts.restapi.errors import MeteorError
from omnicontacts.restapi.routing import RequestContext, Router

router = Router()


@router.post("chat.sendMessage", body=schemas.CHAT_SEND_MESSAGE)
async def send_message(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        message = await chat.send_message(
            ctx.conn,
            user_id=ctx.user_required.id,
            message=ctx.params["message"],
            has_permission=ctx.has_permission,
            settings=ctx.state.config.settings,
        )
    return {"message": message}


@router.post("chat.postMessage", body=schemas.CHAT_POST_MESSAGE)
async def post_message(ctx: RequestContext) -> dict[str, Any]:
    if ctx.params.get("tmid"):
        # Threads are not modelled here (see chat.send_message).
        raise MeteorError("error-not-allowed", "not-allowed", chat.SEND_DETAILS)
    async with ctx.conn.transaction():
        sent = await chat.post_message(
            ctx.conn,
            user_id=ctx.user_required.id,
            body=ctx.params,
            has_permission=ctx.has_permission,
            settings=ctx.state.config.settings,
        )
    # Rocket.Chat answers the server's clock in milliseconds, then the channel and the message.
    return {"ts": int(time.time() * 1000), **sent}
