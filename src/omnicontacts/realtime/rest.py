"""Rocket.Chat's REST wrappers around DDP methods: `method.call/:method` (logged in) and
`method.callAnon/:method`. The body is `{message: "<EJSON method message>"}`; the answer is
always 200 `{message: "<EJSON result message>", success: true}`, errors included, as the
method's `result` message would carry them over a WebSocket."""

import logging
from typing import Any

import orjson

from omnicontacts.realtime import ejson, registry
from omnicontacts.realtime.errors import INTERNAL, as_ddp_error
from omnicontacts.restapi.errors import Failure
from omnicontacts.restapi.routing import RequestContext, Router

log = logging.getLogger("omnicontacts.realtime")

router = Router()

METEOR_CALL = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "additionalProperties": False,
}
_CALL_KEYS = frozenset({"method", "params", "id", "msg"})


def _method_call(text: str) -> dict[str, Any]:
    """The DDP method message, shaped as Rocket.Chat's isMethodCallProps wants it."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise Failure("Invalid method call") from error
    if (
        not isinstance(data, dict)
        or set(data) != _CALL_KEYS
        or not isinstance(data["method"], str)
        or not isinstance(data["params"], list)
        or not isinstance(data["id"], str)
        or data["msg"] != "method"
    ):
        raise Failure("Invalid method call")
    return data


async def _call(ctx: RequestContext) -> dict[str, Any]:
    data = _method_call(ctx.params["message"])
    caller = registry.Caller(ctx.conn, ctx.state, ctx.user, None, realtime=ctx.request.app.state.realtime)
    reply: dict[str, Any] = {"msg": "result", "id": data["id"]}
    try:
        result = await registry.call(data["method"], caller, ejson.from_ejson(data["params"]))
        if result is not None:
            reply["result"] = ejson.to_ejson(result)
    except Exception as error:
        mapped = as_ddp_error(error)
        if mapped is None:
            log.exception("realtime: unexpected error in method %s", data["method"])
            mapped = INTERNAL
        reply = {"msg": "result", "id": data["id"], "error": mapped.to_json()}
    return {"message": ejson.dumps(reply)}


router.post("method.call/{method}", body=METEOR_CALL)(_call)
router.post("method.callAnon/{method}", auth=False, body=METEOR_CALL)(_call)
