"""The Contact Center's pages (HTTP only): each reads the session, calls the API's endpoints
in-process (`ui.api`) or, for the filtered contact list and its saved filters, the contacts and
saved-filters services (which have no API endpoint), and renders."""

import base64
import binascii
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from omnicontacts.contacts import service as contacts_service
from omnicontacts.contacts.repository import LIST_SORTS, ListFilters
from omnicontacts.restapi.query import total_from_page
from omnicontacts.restapi.routing import AppState
from omnicontacts.savedfilters import service as saved_filters
from omnicontacts.ui import api
from omnicontacts.ui.api import ApiRefused
from omnicontacts.ui.pages import HERE, SECURITY_HEADERS, redirect, render
from omnicontacts.ui.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    Session,
    clear_session_cookie,
    csrf_ok,
    current_session,
    new_login_csrf,
    set_login_csrf_cookie,
    set_session_cookie,
)
from omnicontacts.ui.strings import TEXT

PAGE_SIZE = 25
MAX_TEXT = 256
MAX_FORM_BYTES = 64 * 1024
# Browser scripts come from the npm lock file, installed by `make setup` next to the project.
NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
VENDOR_FILES = {
    "htmx.min.js": NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js",
}
# The livechat settings the widget reads, in the order the admin corner shows them.
WIDGET_SETTINGS = (
    "Livechat_enabled",
    "Livechat_show_agent_info",
    "Livechat_request_comment_when_closing_conversation",
    "Livechat_accept_chats_with_no_agents",
    "Livechat_Routing_Method",
    "Livechat_enable_message_character_limit",
    "Livechat_message_character_limit",
)
Handler = Callable[[Request, Session], Awaitable[Response]]


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _text(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Refused(413, TEXT["error"])
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page for signed-in users: no session sends the browser to sign in."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        session = await current_session(request)
        if session is None:
            if request.headers.get("hx-request"):
                return PlainTextResponse("", status_code=401, headers={**SECURITY_HEADERS, "hx-redirect": "/ui/login"})
            return redirect("/ui/login")
        return _timed(await _guarded(handler, request, session), started)

    return endpoint


def action(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A state-changing POST: a session and this session's CSRF token (form field or htmx header)."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        session = await current_session(request)
        if session is None:
            return PlainTextResponse(TEXT["not_allowed"], status_code=401, headers=SECURITY_HEADERS)
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            given = (await _form(request)).get(CSRF_FIELD)
        if not csrf_ok(session.csrf, given):
            return render(request, "error.html", session, 403, message=TEXT["csrf_refused"])
        return _timed(await _guarded(handler, request, session), started)

    return endpoint


def _timed(response: Response, started: float) -> Response:
    """The server's own time for the page (Server-Timing), which the benchmark reads."""
    response.headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


async def _guarded(handler: Handler, request: Request, session: Session) -> Response:
    try:
        return await handler(request, session)
    except Refused as refused:
        return render(request, "error.html", session, refused.status, message=refused.message)
    except ApiRefused as refused:
        status = refused.status if refused.status in (400, 401, 403, 404) else 400
        message = TEXT["not_allowed"] if status == 403 else refused.message
        return render(request, "error.html", session, status, message=message)


# --- sign in / out ---------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if await current_session(request) is not None:
        return redirect("/ui/")
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = new_login_csrf()
    response = render(request, "login.html", None, status, login_csrf=token, error=error)
    set_login_csrf_cookie(response, request, token)
    return response


async def login_submit(request: Request) -> Response:
    form = await _form(request)
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get(CSRF_FIELD)):
        return _login_form(request, TEXT["csrf_refused"], 403)
    try:
        answer = await api.call(
            request, None, "POST", "login", {"user": _text(form.get("user")), "password": _text(form.get("password"))}
        )
    except ApiRefused:
        return _login_form(request, TEXT["login_failed"], 401)
    data = answer["data"]
    response = redirect("/ui/")
    set_session_cookie(response, request, data["userId"], data["authToken"])
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui")
    return response


async def _logout(request: Request, session: Session) -> Response:
    await api.call(request, session, "POST", "logout")
    response = redirect("/ui/login")
    clear_session_cookie(response, request)
    return response


async def _home(request: Request, session: Session) -> Response:
    if api.permitted(request, session, "GET", "omnichannel/contacts.search"):
        return redirect("/ui/contacts")
    return redirect("/ui/inbox")


# --- contacts list --------------------------------------------------------------------------------


def _day(value: str | None) -> str | None:
    """A YYYY-MM-DD form value as the start of that day in stored time format; bad input: None."""
    try:
        return date.fromisoformat(value).isoformat() + "T00:00:00.000Z" if value else None
    except ValueError:
        return None


def _next_day(value: str | None) -> str | None:
    try:
        return (date.fromisoformat(value) + timedelta(days=1)).isoformat() + "T00:00:00.000Z" if value else None
    except ValueError:
        return None


def _cursor(value: str | None, last_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([value, last_id])).decode().rstrip("=")


def _read_cursor(text: str) -> tuple[str | None, str] | None:
    if not text or len(text) > MAX_TEXT * 2:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and (value[0] is None or isinstance(value[0], str))
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    return None


def _list_query(request: Request) -> tuple[ListFilters, str, dict[str, str]]:
    return _list_query_from(request.query_params)


def _list_query_from(q: Mapping[str, str]) -> tuple[ListFilters, str, dict[str, str]]:
    """The list's filters, sort and the values the form shows, from URL parameters (or a form)."""
    sort = q.get("sort", "name")
    sort = sort if sort in LIST_SORTS else "name"
    shown = {
        "q": _text(q.get("q")),
        "sort": sort,
        "unknown": "on" if q.get("unknown") else "",
        "channel": _text(q.get("channel")),
        "blocked": "on" if q.get("blocked") else "",
        "manager": _text(q.get("manager")),
        "from": _text(q.get("from")),
        "to": _text(q.get("to")),
        "conflicts": "on" if q.get("conflicts") else "",
    }
    filters = ListFilters(
        term=shown["q"].strip().lower(),
        unknown=bool(shown["unknown"]),
        channel_type=shown["channel"] or None,
        blocked=bool(shown["blocked"]),
        manager=shown["manager"] or None,
        last_chat_from=_day(shown["from"]),
        last_chat_to=_next_day(shown["to"]),
        conflicts=bool(shown["conflicts"]),
    )
    return filters, sort, shown


def _require(request: Request, session: Session, method: str, path: str) -> None:
    if not api.permitted(request, session, method, path):
        raise Refused(403, TEXT["not_allowed"])


async def _contacts(
    request: Request,
    session: Session,
    params: Mapping[str, str],
    *,
    filter_error: str | None = None,
    status: int = 200,
) -> Response:
    """The list for `params` (the URL's, or a refused save form's filters)."""
    _require(request, session, "GET", "omnichannel/contacts.search")
    filters, sort, shown = _list_query_from(params)
    after = _read_cursor(params.get("after", ""))
    try:
        offset = max(0, min(int(params.get("offset", "0")), 10**7))
    except ValueError:
        offset = 0
    state: AppState = request.app.state.omni
    async with state.storage.connection() as conn:
        # One more than a page tells whether a next page exists without counting.
        rows = await contacts_service.list_contacts(
            conn, filters, sort=sort, count=PAGE_SIZE + 1, after=after, offset=offset
        )
        saved = await saved_filters.list_filters(conn, session.user.id)
    more = len(rows) > PAGE_SIZE
    contacts = rows[:PAGE_SIZE]
    base = {key: value for key, value in shown.items() if value}
    next_url = None
    if more:
        column = LIST_SORTS[sort][1]
        last = contacts[-1]
        if column is None:
            next_query = {**base, "offset": str(offset + PAGE_SIZE)}
        else:
            key = {"name": "name", "created_at": "createdAt"}[column]
            next_query = {**base, "after": _cursor(last.get(key), last["_id"])}
        next_url = "/ui/contacts?" + urlencode(next_query)
    first_page = after is None and offset == 0
    total = total_from_page(0, PAGE_SIZE, len(contacts)) if first_page and not more else None
    managers = await _agents_if_allowed(request, session)
    return render(
        request,
        "contacts.html",
        session,
        status,
        contacts=contacts,
        shown=shown,
        next_url=next_url,
        first_url=None if first_page else "/ui/contacts?" + urlencode(base),
        total=total,
        count_url="/ui/contacts/count?" + urlencode(base),
        managers=managers,
        channel_types=("widget", "email", "sms", "whatsapp", "api", "app", "other"),
        deleted=params.get("deleted") == "1",
        saved_filters=[(item.name, "/ui/contacts?" + urlencode(item.query)) for item in saved],
        filter_notice=_FILTER_NOTICES.get(params.get("filter", "")),
        filter_error=filter_error,
        filter_name_max=saved_filters.MAX_NAME,
    )


async def _contacts_count(request: Request, session: Session) -> Response:
    _require(request, session, "GET", "omnichannel/contacts.search")
    filters, _, _ = _list_query(request)
    state: AppState = request.app.state.omni
    async with state.storage.connection() as conn:
        total = await contacts_service.count_contacts(conn, filters)
    return render(request, "count.html", session, total=total)


# --- saved filters (the service: omnicontacts.savedfilters) ---------------------------------------

_FILTER_NOTICES = {"saved": TEXT["filter_saved"], "deleted": TEXT["filter_deleted"]}
_FILTER_REFUSALS = {
    "name_missing": TEXT["filter_name_missing"],
    "name_too_long": TEXT["filter_name_too_long"].format(limit=saved_filters.MAX_NAME),
    "too_many": TEXT["filter_too_many"].format(limit=saved_filters.MAX_PER_USER),
    "too_big": TEXT["error"],
}


async def _contacts_page(request: Request, session: Session) -> Response:
    return await _contacts(request, session, request.query_params)


async def _filter_save(request: Request, session: Session) -> Response:
    """Save the list's current filter set (the save form repeats it in hidden fields) by name."""
    _require(request, session, "GET", "omnichannel/contacts.search")
    form = await _form(request)
    # The same reading as the list's, so only its own parameters, bounded, are kept.
    _, _, shown = _list_query_from(form)
    kept = {key: value for key, value in shown.items() if value}
    state: AppState = request.app.state.omni
    try:
        async with state.storage.connection() as conn:
            await saved_filters.save(conn, session.user.id, form.get("name", "")[:MAX_TEXT], kept)
    except saved_filters.Rejected as rejected:
        # The list again, with its filters as they were and the reason beside the name field.
        return await _contacts(request, session, kept, filter_error=_FILTER_REFUSALS[rejected.reason], status=400)
    return redirect("/ui/contacts?" + urlencode({**kept, "filter": "saved"}))


async def _filter_delete(request: Request, session: Session) -> Response:
    _require(request, session, "GET", "omnichannel/contacts.search")
    form = await _form(request)
    state: AppState = request.app.state.omni
    async with state.storage.connection() as conn:
        if not await saved_filters.delete(conn, session.user.id, form.get("name", "")[:MAX_TEXT]):
            raise Refused(404, TEXT["not_found"])
    return redirect("/ui/contacts?filter=deleted")


async def _agents_if_allowed(request: Request, session: Session) -> list[dict[str, Any]]:
    if not api.permitted(request, session, "GET", "livechat/users/{user_type}/{user_id}"):
        return []
    answer = await api.call(
        request, session, "GET", "livechat/users/{user_type}", {"count": 100}, path_params={"user_type": "agent"}
    )
    users: list[dict[str, Any]] = answer.get("users") or []
    return users


# --- contact profile ------------------------------------------------------------------------------


def _contact_id(request: Request) -> str:
    return str(request.path_params["contact_id"])[:MAX_TEXT]


def _conflict_groups(contact: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for conflict in contact.get("conflictingFields") or []:
        field = conflict.get("field")
        if not isinstance(field, str):
            continue
        if field == "name":
            current = contact.get("name")
        elif field == "manager":
            current = contact.get("contactManager")
        elif field.startswith("customFields."):
            current = (contact.get("customFields") or {}).get(field.removeprefix("customFields."))
        else:
            current = None
        group = groups.setdefault(field, {"field": field, "current": current, "incoming": []})
        if conflict.get("value") not in group["incoming"]:
            group["incoming"].append(conflict.get("value"))
    return list(groups.values())


async def _profile_data(request: Request, session: Session, contact_id: str) -> dict[str, Any]:
    contact = (await api.call(request, session, "GET", "omnichannel/contacts.get", {"contactId": contact_id}))[
        "contact"
    ]
    can_history = api.permitted(request, session, "GET", "omnichannel/contacts.history")
    source = _text(request.query_params.get("source"))
    history: dict[str, Any] = {}
    events: dict[str, Any] = {}
    if can_history:
        query: dict[str, Any] = {"contactId": contact_id, "count": 20}
        if source:
            query["source"] = source
        history = await api.call(request, session, "GET", "omnichannel/contacts.history", query)
        events = await api.call(
            request, session, "GET", "omnichannel/contacts.events", {"contactId": contact_id, "count": 50}
        )
    fields: list[dict[str, Any]] = []
    if api.permitted(request, session, "GET", "livechat/custom-fields"):
        fields = (await api.call(request, session, "GET", "livechat/custom-fields", {"count": 100})).get(
            "customFields"
        ) or []
    return {
        "contact": contact,
        "history": history.get("history") or [],
        "history_total": history.get("total", 0),
        "source": source,
        "events": events.get("events") or [],
        "can_history": can_history,
        "conflicts": _conflict_groups(contact),
        "custom_fields": [field for field in fields if field.get("scope") == "visitor"],
        "can": {
            "edit": api.permitted(request, session, "POST", "omnichannel/contacts.update"),
            "resolve": api.permitted(request, session, "POST", "omnichannel/contacts.conflicts"),
            "block": api.permitted(request, session, "POST", "omnichannel/contacts.block"),
            "unblock": api.permitted(request, session, "POST", "omnichannel/contacts.unblock"),
            "delete": api.permitted(request, session, "POST", "omnichannel/contacts.delete"),
        },
    }


async def _profile(request: Request, session: Session, *, error: str | None = None, status: int = 200) -> Response:
    contact_id = _contact_id(request)
    try:
        data = await _profile_data(request, session, contact_id)
    except ApiRefused as refused:
        if refused.status == 404:
            raise Refused(404, TEXT["not_found"]) from refused
        raise
    notice = TEXT["saved"] if request.query_params.get("saved") == "1" else None
    return render(request, "profile.html", session, status, error=error, notice=notice, **data)


async def _profile_page(request: Request, session: Session) -> Response:
    return await _profile(request, session)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()][:50]


async def _profile_action(request: Request, session: Session, method: str, path: str, body: dict[str, Any]) -> Response:
    contact_id = _contact_id(request)
    try:
        await api.call(request, session, method, path, body)
    except ApiRefused as refused:
        if refused.status == 403:
            raise
        return await _profile(request, session, error=refused.message, status=400)
    return redirect(f"/ui/contacts/{contact_id}?saved=1")


async def _edit(request: Request, session: Session) -> Response:
    form = await _form(request)
    body: dict[str, Any] = {
        "contactId": _contact_id(request),
        "name": _text(form.get("name")),
        "emails": _lines(form.get("emails")),
        "phones": _lines(form.get("phones")),
    }
    manager = _text(form.get("contactManager")).strip()
    body["contactManager"] = manager
    custom = {key.removeprefix("cf_"): _text(value) for key, value in form.items() if key.startswith("cf_")}
    if custom:
        body["customFields"] = custom
    return await _profile_action(request, session, "POST", "omnichannel/contacts.update", body)


async def _resolve(request: Request, session: Session) -> Response:
    form = await _form(request)
    contact_id = _contact_id(request)
    contact = (await api.call(request, session, "GET", "omnichannel/contacts.get", {"contactId": contact_id}))[
        "contact"
    ]
    body: dict[str, Any] = {"contactId": contact_id, "wipeConflicts": True}
    custom: dict[str, Any] = {}
    for group in _conflict_groups(contact):
        choice = form.get("choice_" + group["field"], "current")
        if not choice.startswith("incoming_"):
            continue
        try:
            value = group["incoming"][int(choice.removeprefix("incoming_"))]
        except (ValueError, IndexError):
            continue
        if group["field"] == "name":
            body["name"] = value
        elif group["field"] == "manager":
            body["contactManager"] = value
        elif group["field"].startswith("customFields."):
            custom[group["field"].removeprefix("customFields.")] = value
    if custom:
        body["customFields"] = custom
    return await _profile_action(request, session, "POST", "omnichannel/contacts.conflicts", body)


async def _set_blocked(request: Request, session: Session, blocked: bool) -> Response:
    form = await _form(request)
    source: dict[str, Any] = {"type": _text(form.get("sourceType"))}
    if form.get("sourceId"):
        source["id"] = _text(form.get("sourceId"))
    body = {"visitor": {"visitorId": _text(form.get("visitorId")), "source": source}}
    path = "omnichannel/contacts.block" if blocked else "omnichannel/contacts.unblock"
    return await _profile_action(request, session, "POST", path, body)


async def _block(request: Request, session: Session) -> Response:
    return await _set_blocked(request, session, True)


async def _unblock(request: Request, session: Session) -> Response:
    return await _set_blocked(request, session, False)


async def _delete_confirm(request: Request, session: Session) -> Response:
    _require(request, session, "POST", "omnichannel/contacts.delete")
    contact_id = _contact_id(request)
    contact = (await api.call(request, session, "GET", "omnichannel/contacts.get", {"contactId": contact_id}))[
        "contact"
    ]
    rooms: int | None = None
    messages: int | None = None
    if api.permitted(request, session, "GET", "omnichannel/contacts.history"):
        history = await api.call(
            request, session, "GET", "omnichannel/contacts.history", {"contactId": contact_id, "count": 100}
        )
        rooms = int(history.get("total", 0))
        if rooms <= 100:
            messages = sum(int(item.get("msgs") or 0) for item in history.get("history") or [])
    visitors = len({(channel.get("visitor") or {}).get("visitorId") for channel in contact.get("channels") or []})
    return render(request, "delete.html", session, contact=contact, rooms=rooms, messages=messages, visitors=visitors)


async def _delete(request: Request, session: Session) -> Response:
    await api.call(request, session, "POST", "omnichannel/contacts.delete", {"contactId": _contact_id(request)})
    return redirect("/ui/contacts?deleted=1")


# --- transcript -----------------------------------------------------------------------------------


async def _room_and_messages(request: Request, session: Session, room_id: str) -> tuple[dict[str, Any], list[Any]]:
    room = (await api.call(request, session, "GET", "rooms.info", {"roomId": room_id}))["room"]
    answer = await api.call(
        request,
        session,
        "GET",
        "livechat/{rid}/messages",
        {"sort": '{"ts":1}', "count": 500},
        path_params={"rid": room_id},
    )
    return room, answer.get("messages") or []


async def _transcript(request: Request, session: Session) -> Response:
    room_id = str(request.path_params["room_id"])[:MAX_TEXT]
    room, messages = await _room_and_messages(request, session, room_id)
    return render(request, "transcript.html", session, room=room, messages=messages)


# --- agent inbox ----------------------------------------------------------------------------------


async def _inbox_data(request: Request, session: Session) -> dict[str, Any]:
    me = await api.call(request, session, "GET", "me")
    queue = await api.call(request, session, "GET", "livechat/inquiries.queuedForUser", {"count": 50})
    rooms_answer = await api.call(
        request, session, "GET", "livechat/rooms", {"agents": [session.user.id], "open": "true", "count": 50}
    )
    rooms = rooms_answer.get("rooms") or []
    for room in rooms:
        subscription = (await api.call(request, session, "GET", "subscriptions.getOne", {"roomId": room["_id"]})).get(
            "subscription"
        ) or {}
        room["_unread"] = int(subscription.get("unread") or 0)
    return {
        "agent_status": me.get("statusLivechat") or "not-available",
        "inquiries": queue.get("inquiries") or [],
        "rooms": rooms,
    }


async def _inbox(request: Request, session: Session) -> Response:
    _require(request, session, "GET", "livechat/inquiries.queuedForUser")
    data = await _inbox_data(request, session)
    room = None
    messages: list[Any] = []
    room_id = _text(request.query_params.get("room"))
    if room_id:
        room, messages = await _room_and_messages(request, session, room_id)
        if room.get("open"):
            # Not subscribed (a manager looking on): nothing to mark read.
            with contextlib.suppress(ApiRefused):
                await api.call(request, session, "POST", "subscriptions.read", {"rid": room_id})
    return render(request, "inbox.html", session, room=room, messages=messages, **data)


async def _inbox_queue(request: Request, session: Session) -> Response:
    _require(request, session, "GET", "livechat/inquiries.queuedForUser")
    data = await _inbox_data(request, session)
    room_id = _text(request.query_params.get("room"))
    return render(request, "inbox_lists.html", session, room={"_id": room_id} if room_id else None, **data)


async def _inbox_messages(request: Request, session: Session) -> Response:
    room_id = str(request.path_params["room_id"])[:MAX_TEXT]
    room, messages = await _room_and_messages(request, session, room_id)
    return render(request, "messages.html", session, room=room, messages=messages)


async def _inbox_status(request: Request, session: Session) -> Response:
    form = await _form(request)
    status = "available" if form.get("status") == "available" else "not-available"
    if status == "available":
        # Taking chats needs the user present too (not offline), as a client's connection makes it.
        await api.call(request, session, "POST", "users.setStatus", {"status": "online"})
    await api.call(request, session, "POST", "livechat/agent.status", {"status": status})
    return redirect("/ui/inbox")


async def _inbox_take(request: Request, session: Session) -> Response:
    form = await _form(request)
    inquiry_id = _text(form.get("inquiryId"))
    room_id = _text(form.get("rid"))
    await api.call(request, session, "POST", "livechat/inquiries.take", {"inquiryId": inquiry_id})
    return redirect("/ui/inbox?" + urlencode({"room": room_id}))


async def _inbox_send(request: Request, session: Session) -> Response:
    form = await _form(request)
    room_id = str(request.path_params["room_id"])[:MAX_TEXT]
    text = form.get("msg", "")
    if text.strip():
        await api.call(request, session, "POST", "chat.sendMessage", {"message": {"rid": room_id, "msg": text}})
    if request.headers.get("hx-request"):
        return await _inbox_messages(request, session)
    return redirect("/ui/inbox?" + urlencode({"room": room_id}))


async def _inbox_close(request: Request, session: Session) -> Response:
    form = await _form(request)
    room_id = str(request.path_params["room_id"])[:MAX_TEXT]
    tags = [tag.strip() for tag in _text(form.get("tags")).split(",") if tag.strip()][:20]
    body: dict[str, Any] = {"rid": room_id, "tags": tags}
    if form.get("comment", "").strip():
        body["comment"] = _text(form.get("comment"))
    await api.call(request, session, "POST", "livechat/room.closeByUser", body)
    return redirect("/ui/inbox")


# --- admin corner ---------------------------------------------------------------------------------


async def _admin(request: Request, session: Session, *, error: str | None = None, status: int = 200) -> Response:
    manager = api.permitted(request, session, "GET", "livechat/users/{user_type}/{user_id}")
    # The settings endpoint checks its permission inside its handler: ask it, do not restate it.
    settings: list[dict[str, Any]] = []
    try:
        for setting_id in WIDGET_SETTINGS:
            answer = await api.call(
                request, session, "GET", "settings/{setting_id}", path_params={"setting_id": setting_id}
            )
            settings.append({"id": setting_id, "value": answer.get("value")})
    except ApiRefused as refused:
        if refused.status != 403:
            raise
        settings = []
    settings_allowed = bool(settings)
    if not manager and not settings_allowed:
        raise Refused(403, TEXT["not_allowed"])
    agents = await _agents_if_allowed(request, session)
    fields: list[Any] = []
    if manager:
        fields = (await api.call(request, session, "GET", "livechat/custom-fields", {"count": 100})).get(
            "customFields"
        ) or []
    base = f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"
    return render(
        request,
        "admin.html",
        session,
        status,
        manager=manager,
        agents=agents,
        fields=fields,
        settings=settings,
        settings_allowed=settings_allowed,
        base_url=base,
        error=error,
    )


async def _admin_page(request: Request, session: Session) -> Response:
    return await _admin(request, session)


async def _admin_action(
    request: Request,
    session: Session,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    path_params: dict[str, str] | None = None,
) -> Response:
    try:
        await api.call(request, session, method, path, body, path_params=path_params)
    except ApiRefused as refused:
        if refused.status == 403:
            raise
        return await _admin(request, session, error=refused.message, status=400)
    return redirect("/ui/admin")


async def _agent_add(request: Request, session: Session) -> Response:
    form = await _form(request)
    return await _admin_action(
        request,
        session,
        "POST",
        "livechat/users/{user_type}",
        {"username": _text(form.get("username"))},
        {"user_type": "agent"},
    )


async def _agent_remove(request: Request, session: Session) -> Response:
    user_id = str(request.path_params["user_id"])[:MAX_TEXT]
    return await _admin_action(
        request,
        session,
        "DELETE",
        "livechat/users/{user_type}/{user_id}",
        None,
        {"user_type": "agent", "user_id": user_id},
    )


async def _field_save(request: Request, session: Session) -> Response:
    form = await _form(request)
    data: dict[str, Any] = {
        "field": _text(form.get("field")),
        "label": _text(form.get("label")),
        "scope": _text(form.get("scope")),
        "visibility": _text(form.get("visibility")) or "visible",
    }
    if form.get("regexp"):
        data["regexp"] = _text(form.get("regexp"))
    return await _admin_action(request, session, "POST", "livechat/custom-fields.save", {"customFieldData": data})


async def _field_delete(request: Request, session: Session) -> Response:
    field_id = str(request.path_params["field_id"])[:MAX_TEXT]
    return await _admin_action(request, session, "POST", "livechat/custom-fields.delete", {"customFieldId": field_id})


async def _setting_save(request: Request, session: Session) -> Response:
    form = await _form(request)
    setting_id = str(request.path_params["setting_id"])
    if setting_id not in WIDGET_SETTINGS:
        raise Refused(404, TEXT["not_found"])
    current = (
        await api.call(request, session, "GET", "settings/{setting_id}", path_params={"setting_id": setting_id})
    ).get("value")
    raw = form.get("value", "")
    value: Any
    if isinstance(current, bool):
        value = raw == "true"
    elif isinstance(current, int):
        try:
            value = int(raw)
        except ValueError:
            return await _admin(request, session, error=f"{setting_id}: {raw[:40]}", status=400)
    else:
        value = _text(raw)
    return await _admin_action(
        request, session, "POST", "settings/{setting_id}", {"value": value}, {"setting_id": setting_id}
    )


# --- assets ---------------------------------------------------------------------------------------


async def vendor_file(request: Request) -> Response:
    path = VENDOR_FILES.get(str(request.path_params["name"]))
    if path is None or not path.is_file():
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(path, media_type="text/javascript", headers={"cache-control": "public, max-age=3600"})


def routes() -> list[Route | Mount]:
    return [
        Route("/ui/login", login_page, methods=["GET"]),
        Route("/ui/login", login_submit, methods=["POST"]),
        Route("/ui/logout", action(_logout), methods=["POST"]),
        Route("/ui/", page(_home), methods=["GET"]),
        Route("/ui", page(_home), methods=["GET"]),
        Route("/ui/contacts", page(_contacts_page), methods=["GET"]),
        Route("/ui/saved-filters", action(_filter_save), methods=["POST"]),
        Route("/ui/saved-filters/delete", action(_filter_delete), methods=["POST"]),
        Route("/ui/contacts/count", page(_contacts_count), methods=["GET"]),
        Route("/ui/contacts/{contact_id}", page(_profile_page), methods=["GET"]),
        Route("/ui/contacts/{contact_id}/edit", action(_edit), methods=["POST"]),
        Route("/ui/contacts/{contact_id}/conflicts", action(_resolve), methods=["POST"]),
        Route("/ui/contacts/{contact_id}/block", action(_block), methods=["POST"]),
        Route("/ui/contacts/{contact_id}/unblock", action(_unblock), methods=["POST"]),
        Route("/ui/contacts/{contact_id}/delete", page(_delete_confirm), methods=["GET"]),
        Route("/ui/contacts/{contact_id}/delete", action(_delete), methods=["POST"]),
        Route("/ui/rooms/{room_id}", page(_transcript), methods=["GET"]),
        Route("/ui/inbox", page(_inbox), methods=["GET"]),
        Route("/ui/inbox/lists", page(_inbox_queue), methods=["GET"]),
        Route("/ui/inbox/status", action(_inbox_status), methods=["POST"]),
        Route("/ui/inbox/take", action(_inbox_take), methods=["POST"]),
        Route("/ui/inbox/rooms/{room_id}/messages", page(_inbox_messages), methods=["GET"]),
        Route("/ui/inbox/rooms/{room_id}/send", action(_inbox_send), methods=["POST"]),
        Route("/ui/inbox/rooms/{room_id}/close", action(_inbox_close), methods=["POST"]),
        Route("/ui/admin", page(_admin_page), methods=["GET"]),
        Route("/ui/admin/agents", action(_agent_add), methods=["POST"]),
        Route("/ui/admin/agents/{user_id}/remove", action(_agent_remove), methods=["POST"]),
        Route("/ui/admin/custom-fields", action(_field_save), methods=["POST"]),
        Route("/ui/admin/custom-fields/{field_id}/delete", action(_field_delete), methods=["POST"]),
        Route("/ui/admin/settings/{setting_id}", action(_setting_save), methods=["POST"]),
        Route("/ui/static/vendor/{name}", vendor_file, methods=["GET"]),
        Mount("/ui/static", app=StaticFiles(directory=HERE / "static"), name="ui-static"),
    ]


def install(app: Any, mounted: list[tuple[str, Any]]) -> None:
    """Mount the pages on `app`; `mounted` is every API endpoint with its prefix, which the pages
    call in-process."""
    app.state.ui_api = api.build_registry(mounted)
    app.router.routes.extend(routes())
