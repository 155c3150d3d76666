"""The visitor directory: how agents' clients find visitors and read a visitor's conversations
(livechat/visitors.*), from before contacts existed. Rules only; the SQL is in
`directory_repository`, the HTTP side in `directory_routes`."""

from collections.abc import Callable
from typing import Any

import orjson

from omnicontacts.livechat import directory_repository as repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.rooms import can_access
from omnicontacts.restapi.errors import Failure
from omnicontacts.restapi.query import total_from_page
from omnicontacts.storage import Connection

HasPermission = Callable[[str], bool]

# What visitors.search shows of each visitor (Rocket.Chat's projection), `_id` first.
SEARCH_FIELDS = ("username", "name", "phone", "livechatData", "visitorEmails", "lastChat")
# What searchChats shows of each room, besides `_id` and the closing message.
CHAT_FIELDS = frozenset({"fname", "ts", "v", "msgs", "servedBy", "closedAt", "closedBy", "closer", "tags"})
AUTOCOMPLETE_LIMIT = 10
NAVIGATION_MESSAGE = "livechat_navigation_history"
CLOSING_MESSAGE = "livechat-close"


def _project(doc: dict[str, Any], fields: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    """MongoDB's inclusion projection: `_id`, then the chosen fields in the document's order."""
    return {"_id": doc["_id"], **{key: value for key, value in doc.items() if key in fields and key != "_id"}}


async def visitor_info(conn: Connection, visitor_id: str) -> dict[str, Any]:
    visitor = await repository.enabled_visitor(conn, visitor_id)
    if visitor is None:
        raise Failure("visitor-not-found")
    return {"visitor": visitor}


async def search(
    conn: Connection, *, term: str | None, sort: dict[str, int] | None, offset: int, count: int
) -> dict[str, Any]:
    """An exact email address or phone number, or a case-insensitive substring of the name or
    username; no term lists every enabled visitor, newest first."""
    text = term or ""
    visitors = await repository.search_page(conn, term=text, sort=sort, offset=offset, count=count)
    total = total_from_page(offset, count, len(visitors))
    if total is None:
        total = await repository.search_total(conn, term=text)
    return {
        "visitors": [_project(visitor, SEARCH_FIELDS) for visitor in visitors],
        "count": len(visitors),
        "offset": offset,
        "total": total,
    }


def parse_selector(raw: str) -> tuple[str, list[str]]:
    """autocomplete's `selector`: JSON `{term, exceptions?, conditions?}`. `conditions` (raw
    MongoDB filters in Rocket.Chat) are not applied: no user-written query reaches the database."""
    try:
        selector = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Failure(f"{error.msg} in JSON at position {error.pos}") from error
    if not isinstance(selector, dict) or not isinstance(selector.get("term"), str):
        raise Failure("The 'selector' param must hold a string 'term'")
    exceptions = selector.get("exceptions") or []
    if isinstance(exceptions, str):
        exceptions = [exceptions]
    if not isinstance(exceptions, list) or not all(isinstance(item, str) for item in exceptions):
        raise Failure("The 'selector' param's 'exceptions' must be a list of strings")
    return selector["term"], exceptions


async def autocomplete(conn: Connection, selector: str) -> dict[str, Any]:
    """Up to ten visitors whose name starts with the term, case-insensitively."""
    term, exceptions = parse_selector(selector)
    visitors = await repository.name_prefix_page(
        conn, prefix=term.strip().lower(), exceptions=exceptions, limit=AUTOCOMPLETE_LIMIT
    )
    items = []
    for visitor in visitors:
        username, name = visitor.get("username"), visitor.get("name")
        item = _project(visitor, ("name", "username"))
        # MongoDB's $concat answers null when either part is missing.
        item["custom_name"] = f"{username} - {name}" if isinstance(username, str) and isinstance(name, str) else None
        items.append(item)
    return {"items": items}


async def _readable_room(conn: Connection, room_id: str, user_id: str, has_permission: HasPermission) -> None:
    room = await livechat_repository.find_room(conn, room_id)
    if room is None:
        raise Failure("invalid-room")
    if not await can_access(conn, room, user_id, has_permission):
        raise Failure("error-not-allowed")


async def pages_visited(
    conn: Connection, room_id: str, *, sort: dict[str, int] | None, offset: int, count: int
) -> dict[str, Any]:
    """The navigation history messages of one room (one conversation: read whole, then paged)."""
    if await livechat_repository.find_room(conn, room_id) is None:
        raise Failure("invalid-room")
    newest_first = not sort or next(iter(sort.values())) == -1
    page, total = await livechat_repository.page_of_messages(
        livechat_repository.iter_room_messages(conn, room_id, newest_first=newest_first),
        lambda message: message.get("t") == NAVIGATION_MESSAGE,
        offset=offset,
        count=count,
    )
    return {"pages": page, "count": len(page), "offset": offset, "total": total}


async def chat_history(
    conn: Connection,
    *,
    room_id: str,
    visitor_id: str,
    user_id: str,
    has_permission: HasPermission,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    """Every conversation of the visitor, for someone allowed to read the room they look from."""
    await _readable_room(conn, room_id, user_id, has_permission)
    history = await repository.rooms_of_visitor_page(conn, visitor_id, sort=sort, offset=offset, count=count)
    total = total_from_page(offset, count, len(history))
    if total is None:
        total = await repository.rooms_of_visitor_total(conn, visitor_id)
    return {"history": history, "count": len(history), "offset": offset, "total": total}


async def _with_closing_message(conn: Connection, room: dict[str, Any]) -> dict[str, Any]:
    item = _project(room, CHAT_FIELDS)
    if room.get("closedAt"):
        found, _ = await livechat_repository.page_of_messages(
            livechat_repository.iter_room_messages(conn, room["_id"], newest_first=False),
            lambda message: message.get("t") == CLOSING_MESSAGE,
            offset=0,
            count=1,
            total=False,
        )
        if found:
            item["closingMessage"] = found[0]
    return item


async def _mentions(conn: Connection, room_id: str, text: str) -> bool:
    found, _ = await livechat_repository.page_of_messages(
        livechat_repository.iter_room_messages(conn, room_id, newest_first=False),
        lambda message: isinstance(message.get("msg"), str) and text in message["msg"],
        offset=0,
        count=1,
        total=False,
    )
    return bool(found)


async def search_chats(
    conn: Connection,
    *,
    room_id: str,
    visitor_id: str,
    user_id: str,
    has_permission: HasPermission,
    search_text: str | None,
    closed_only: bool,
    served_only: bool,
    source: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    """The visitor's conversations, filtered: closed only, served only, by source (type or
    alias, case-insensitive substring) and by a literal text one of their messages holds."""
    await _readable_room(conn, room_id, user_id, has_permission)
    flags = repository.ChatFilter(closed_only=closed_only, served_only=served_only, source=source)
    if search_text:
        # The text is looked for in each conversation's messages: only this visitor's rooms.
        rooms = await repository.chats_of_visitor(conn, visitor_id, flags, sort=sort, offset=0, count=0)
        rooms = [room for room in rooms if await _mentions(conn, room["_id"], search_text)]
        total = len(rooms)
        rooms = rooms[offset : offset + count] if count else rooms[offset:]
    else:
        rooms = await repository.chats_of_visitor(conn, visitor_id, flags, sort=sort, offset=offset, count=count)
        found = total_from_page(offset, count, len(rooms))
        total = found if found is not None else await repository.chats_of_visitor_total(conn, visitor_id, flags)
    history = [await _with_closing_message(conn, room) for room in rooms]
    return {"history": history, "count": len(history), "offset": offset, "total": total}


def license_info(*, privileged: bool, load_values: bool, users: int) -> dict[str, Any]:
    """licenses.info of a workspace without a license: nothing prevented, every limit unlimited
    (-1). Monthly active contacts are not metered here, so their current value is 0."""
    info: dict[str, Any] = {"activeModules": [], "externalModules": []}
    kinds = ("activeUsers", "guestUsers", "roomsPerGuest", "privateApps", "marketplaceApps", "monthlyActiveContacts")
    info["preventedActions"] = {kind: False for kind in kinds}
    if privileged:
        values = {"activeUsers": users}
        info["limits"] = {
            kind: {"max": -1, **({"value": values.get(kind, 0)} if load_values else {})} for kind in kinds
        }
    else:
        info["limits"] = {}
    info.update({"tags": [], "trial": False, "hasValidLicense": False})
    return {"license": info}
