"""HTTP side of the visitor directory (livechat/visitors.*) and of licenses.info."""

from collections.abc import Mapping
from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.livechat import directory
from omnicontacts.restapi.routing import RequestContext, Router
from omnicontacts.restapi.validation import Schema

router = Router()

_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_NUMBER = {"type": "number", "nullable": True}
_PAGINATION = {"count": _NULLABLE_NUMBER, "offset": _NULLABLE_NUMBER, "sort": _NULLABLE_STRING}


def _object(properties: Mapping[str, object], required: list[str]) -> Schema:
    return {"type": "object", "properties": dict(properties), "required": required, "additionalProperties": False}


VISITORS_INFO = _object({"visitorId": {"type": "string"}}, ["visitorId"])
PAGINATED = _object(_PAGINATION, [])
SEARCH_CHATS = _object(
    {
        **_PAGINATION,
        "searchText": _NULLABLE_STRING,
        "closedChatsOnly": _NULLABLE_STRING,
        "servedChatsOnly": _NULLABLE_STRING,
        "source": _NULLABLE_STRING,
    },
    [],
)
AUTOCOMPLETE = _object({"selector": {"type": "string"}}, ["selector"])
SEARCH = _object({**_PAGINATION, "term": _NULLABLE_STRING}, ["term"])
LICENSES_INFO = _object({"loadValues": {"type": "boolean", "nullable": True}}, [])


@router.get("livechat/visitors.info", permissions=("view-l-room",), query=VISITORS_INFO)
async def visitors_info(ctx: RequestContext) -> dict[str, Any]:
    return await directory.visitor_info(ctx.conn, ctx.params["visitorId"])


@router.get("livechat/visitors.pagesVisited/{roomId}", permissions=("view-l-room",), query=PAGINATED)
async def visitors_pages_visited(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await directory.pages_visited(ctx.conn, ctx.path["roomId"], sort=ctx.sort(), offset=offset, count=count)


@router.get(
    "livechat/visitors.chatHistory/room/{roomId}/visitor/{visitorId}", permissions=("view-l-room",), query=PAGINATED
)
async def visitors_chat_history(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await directory.chat_history(
        ctx.conn,
        room_id=ctx.path["roomId"],
        visitor_id=ctx.path["visitorId"],
        user_id=ctx.user_required.id,
        has_permission=ctx.has_permission,
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )


@router.get(
    "livechat/visitors.searchChats/room/{roomId}/visitor/{visitorId}", permissions=("view-l-room",), query=SEARCH_CHATS
)
async def visitors_search_chats(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await directory.search_chats(
        ctx.conn,
        room_id=ctx.path["roomId"],
        visitor_id=ctx.path["visitorId"],
        user_id=ctx.user_required.id,
        has_permission=ctx.has_permission,
        search_text=ctx.params.get("searchText"),
        # Rocket.Chat compares the strings: anything but 'true' is false.
        closed_only=ctx.params.get("closedChatsOnly") == "true",
        served_only=ctx.params.get("servedChatsOnly") == "true",
        source=ctx.params.get("source"),
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )


@router.get("livechat/visitors.autocomplete", permissions=("view-l-room",), query=AUTOCOMPLETE)
async def visitors_autocomplete(ctx: RequestContext) -> dict[str, Any]:
    return await directory.autocomplete(ctx.conn, ctx.params["selector"])


@router.get("livechat/visitors.search", permissions=("view-l-room",), query=SEARCH)
async def visitors_search(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await directory.search(ctx.conn, term=ctx.params.get("term"), sort=ctx.sort(), offset=offset, count=count)


@router.get("licenses.info", query=LICENSES_INFO)
async def licenses_info(ctx: RequestContext) -> dict[str, Any]:
    privileged = ctx.has_permission("view-privileged-setting")
    users = await accounts_repository.count_users(ctx.conn) if privileged else 0
    return directory.license_info(privileged=privileged, load_values=bool(ctx.params.get("loadValues")), users=users)
