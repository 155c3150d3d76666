"""Listings for managers and agents: rooms (`livechat/rooms`) and the inquiry queue
(`livechat/inquiries.list`, `livechat/inquiries.queuedForUser`).

Every filter becomes SQL with parameters (see `repository.RoomCriteria`); no client text is ever
run as a pattern. Rocket.Chat matches `roomName` and custom field values with regular
expressions; we match them as case-insensitive literal substrings.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson

from omnicontacts.livechat import repository
from omnicontacts.livechat.repository import RoomCriteria
from omnicontacts.restapi.errors import Failure
from omnicontacts.restapi.query import total_from_page
from omnicontacts.restapi.streaming import StreamedList
from omnicontacts.storage import Connection
from omnicontacts.timeutil import parse_client_date, to_iso

# What livechat/inquiries.list shows of each inquiry (MongoDB keeps the document's key order).
INQUIRY_LIST_FIELDS = frozenset({"_id", "rid", "name", "ts", "status", "department"})
QUEUED = "queued"
_TRUE_STRINGS = ("t", "true", "1")


def may_list_rooms(has_permission: Any, user_id: str, agents: Any) -> bool:
    """Managers (`view-livechat-rooms`) list every room; an agent (`view-l-room`) only asking
    for their own rooms (`agents` is exactly their id) lists those."""
    if has_permission("view-livechat-rooms"):
        return True
    return bool(has_permission("view-l-room") and agents == [user_id])


def _parse_date(text: Any, name: str) -> str | None:
    """JavaScript's `Date.parse` for the ISO-8601 forms clients send; answers the stored form.
    A date without a time is midnight UTC, as in JavaScript; a time without an offset is read
    as UTC (the server's clock zone)."""
    if not text:
        return None
    moment = parse_client_date(text) if isinstance(text, str) else None
    if moment is None:
        raise Failure(f'The "{name}" query parameter must be a valid date.')
    return to_iso(moment)


def _date_range(raw: Any, property_name: str) -> tuple[str | None, str | None]:
    if not raw:
        return None, None
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Failure(f'The "{property_name}" query parameter must be a valid JSON.') from None
    if not isinstance(parsed, dict):
        return None, None
    start = _parse_date(parsed.get("start"), f"{property_name}.start")
    end = _parse_date(parsed.get("end"), f"{property_name}.end")
    return start, end


def _custom_fields(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise Failure('The "customFields" query parameter must be a valid JSON.')
    # A value that is not text matches nothing in Rocket.Chat's regex either; keep text only.
    return {str(key): value.lower() for key, value in parsed.items() if isinstance(value, str) and value}


def _is_true(value: Any) -> bool:
    """Rocket.Chat's `['t', 'true', '1'].includes(`${value}`)`."""
    return value is True or value in _TRUE_STRINGS


def _is_boolean_text(value: Any) -> bool:
    return value in ("true", "false") or isinstance(value, bool)


def room_criteria(params: Mapping[str, Any]) -> RoomCriteria:
    """livechat/rooms' validated query as SQL criteria, with Rocket.Chat's rules:

    - `agents`: served by one of them; `roomName`: a case-insensitive substring of the name, or
      the exact name when quoted (`"Ana"`);
    - `open=true`: open and served by an agent; `open=false`: closed; other text: no filter;
    - `queued=true`: open and not served (wins over `open`); `onhold=true`: rooms on hold (none
      here); `departmentId` (one or a list; the text "undefined" is none): rooms of those
      departments; `units`: no room belongs to one here;
    - `createdAt` / `closedAt`: JSON `{"start", "end"}`, both ends included;
    - `tags`: any of them; `customFields`: JSON `{key: text}`, each a substring of the value.
    """
    criteria = RoomCriteria()
    created = _date_range(params.get("createdAt"), "createdAt")
    closed = _date_range(params.get("closedAt"), "closedAt")
    criteria.created_from, criteria.created_to = created
    criteria.closed_from, criteria.closed_to = closed
    criteria.custom_fields = _custom_fields(params.get("customFields"))

    agents = params.get("agents")
    if agents is not None:
        criteria.agents = list(agents)
    room_name = params.get("roomName")
    if room_name:
        if room_name.startswith('"') and room_name.endswith('"'):
            criteria.exact_name = room_name[1:-1]
        else:
            criteria.name_part = room_name.lower()
    open_param = params.get("open")
    if _is_boolean_text(open_param):
        is_open = open_param in ("true", True)
        criteria.open = is_open
        if is_open:
            criteria.served = True
    if _is_true(params.get("queued")):
        criteria.served = False
        criteria.open = True
    tags = params.get("tags")
    if tags is not None:
        criteria.tags = list(tags)

    department = params.get("departmentId")
    # JavaScript's truthiness: any list counts, the text "undefined" does not.
    if isinstance(department, list):
        criteria.departments = list(department)
    elif department and department != "undefined":
        criteria.departments = [department]
    if "units" in params or _is_true(params.get("onhold")):
        criteria.impossible = True
    return criteria


async def rooms(
    conn: Connection, params: Mapping[str, Any], *, sort: dict[str, int] | None, offset: int, count: int
) -> dict[str, Any]:
    criteria = room_criteria(params)
    page = await repository.list_rooms(conn, criteria, sort=sort, offset=offset, count=count)
    total = await repository.count_rooms(conn, criteria)
    return {"rooms": page, "count": len(page), "offset": offset, "total": total}


def rooms_streamed(params: Mapping[str, Any], *, sort: dict[str, int] | None, offset: int) -> StreamedList:
    """livechat/rooms with count=0: every matching room, sent as it is read."""
    criteria = room_criteria(params)

    def items(conn: Connection) -> AsyncIterator[list[dict[str, Any] | bytes]]:
        return repository.list_all_rooms(conn, criteria, sort=sort, offset=offset)

    async def tail(conn: Connection, sent: int) -> dict[str, Any]:
        total = total_from_page(offset, 0, sent)
        if total is None:
            total = await repository.count_rooms(conn, criteria)
        return {"count": sent, "offset": offset, "total": total}

    return StreamedList("rooms", items, tail)


async def queued_inquiries(conn: Connection, *, sort: dict[str, int] | None, offset: int, count: int) -> dict[str, Any]:
    """`livechat/inquiries.list`: the queue as managers see it, newest first by default; each
    inquiry shows `_id, rid, name, ts, status` (and `department`, which none has here)."""
    found = await repository.list_inquiries(
        conn, QUEUED, sort=sort, default_order="ts DESC, id DESC", offset=offset, count=count
    )
    total = await repository.count_inquiries(conn, QUEUED)
    inquiries = [{key: value for key, value in item.items() if key in INQUIRY_LIST_FIELDS} for item in found]
    return {"inquiries": inquiries, "offset": offset, "count": len(inquiries), "total": total}


async def queue_for_agent(conn: Connection, *, sort: dict[str, int] | None, offset: int, count: int) -> dict[str, Any]:
    """`livechat/inquiries.queuedForUser`: the queued inquiries an agent may take, whole, in queue
    order. Rocket.Chat puts the queue order (`ts` ascending) after the client's keys and over a
    client `ts`; with no departments every queued inquiry is in every agent's queue."""
    order = {key: direction for key, direction in (sort or {}).items() if key != "ts"}
    order["ts"] = 1
    found = await repository.list_inquiries(
        conn, QUEUED, sort=order, default_order="ts ASC, id ASC", offset=offset, count=count
    )
    total = await repository.count_inquiries(conn, QUEUED)
    return {"inquiries": found, "count": len(found), "offset": offset, "total": total}
