"""HTTP side of the Omnichannel Contacts family (spec §2)."""

from typing import Any

from starlette.responses import Response

from omnicontacts.contacts import legacy, repository, schemas, service
from omnicontacts.contacts.events import actor_user
from omnicontacts.restapi.errors import Failure, NotFound
from omnicontacts.restapi.meteor_check import check
from omnicontacts.restapi.routing import AuthUser, RequestContext, Router, json_response
from omnicontacts.restapi.streaming import StreamedList

router = Router()


def _user(user: AuthUser) -> dict[str, Any]:
    return {"_id": user.id, "username": user.username}


@router.get("omnichannel/contacts.get", permissions=("view-livechat-contact",), query=schemas.CONTACTS_GET)
async def contacts_get(ctx: RequestContext) -> Response:
    doc = await repository.find_enabled_doc_text(ctx.conn, ctx.params["contactId"])
    if doc is None:
        raise NotFound()
    # The stored document goes out as stored: no parse, no re-encode.
    return json_response(b'{"contact":' + doc.encode() + b',"success":true}')


@router.get(
    "omnichannel/contacts.history",
    permissions=("view-livechat-contact-history",),
    query=schemas.CONTACTS_HISTORY,
)
async def contacts_history(ctx: RequestContext) -> dict[str, Any] | StreamedList:
    offset, count = ctx.page()
    if count == 0:
        return await service.contact_history_streamed(
            ctx.conn, ctx.params["contactId"], source=ctx.params.get("source"), sort=ctx.sort(), offset=offset
        )
    return await service.contact_history(
        ctx.conn,
        ctx.params["contactId"],
        source=ctx.params.get("source"),
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )


@router.post("omnichannel/contacts", permissions=("create-livechat-contact",), body=schemas.CONTACTS_CREATE)
async def contacts_create(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.params
    async with ctx.conn.transaction():
        contact_id = await service.create_contact(
            ctx.conn,
            name=body["name"],
            emails=body["emails"],
            phones=body["phones"],
            custom_fields=body.get("customFields"),
            contact_manager=body.get("contactManager"),
        )
    return {"contactId": contact_id}


@router.post("omnichannel/contacts.update", permissions=("update-livechat-contact",), body=schemas.CONTACTS_UPDATE)
async def contacts_update(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        contact = await service.update_contact(ctx.conn, service.remove_empty(ctx.params))
    return {"contact": contact}


@router.post(
    "omnichannel/contacts.conflicts", permissions=("update-livechat-contact",), body=schemas.CONTACTS_CONFLICTS
)
async def contacts_conflicts(ctx: RequestContext) -> dict[str, Any]:
    user = ctx.user_required
    async with ctx.conn.transaction():
        contact = await service.resolve_conflicts(
            ctx.conn, service.remove_empty(ctx.params), actor=actor_user(user.id, user.username)
        )
    # `result`, not `contact`: what Rocket.Chat's handler sends, whatever its typings say.
    return {"result": contact}


@router.get("omnichannel/contacts.search", permissions=("view-livechat-contact",), query=schemas.CONTACTS_SEARCH)
async def contacts_search(ctx: RequestContext) -> dict[str, Any] | StreamedList:
    offset, count = ctx.page()
    if count == 0:
        return service.search_contacts_streamed(
            search_text=ctx.params.get("searchText"),
            unknown=bool(ctx.params.get("unknown", False)),
            sort=ctx.sort(),
            offset=offset,
        )
    return await service.search_contacts(
        ctx.conn,
        search_text=ctx.params.get("searchText"),
        unknown=bool(ctx.params.get("unknown", False)),
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )


@router.get(
    "omnichannel/contacts.checkExistence",
    permissions=("view-livechat-contact",),
    query=schemas.CONTACTS_CHECK_EXISTENCE,
)
async def contacts_check_existence(ctx: RequestContext) -> dict[str, Any]:
    exists = await service.contact_exists(
        ctx.conn,
        contact_id=ctx.params.get("contactId"),
        email=ctx.params.get("email"),
        phone=ctx.params.get("phone"),
    )
    return {"exists": exists}


@router.get("omnichannel/contacts.channels", permissions=("view-livechat-contact",), query=schemas.CONTACTS_CHANNELS)
async def contacts_channels(ctx: RequestContext) -> dict[str, Any]:
    return {"channels": await service.contact_channels(ctx.conn, ctx.params["contactId"])}


@router.post(
    "omnichannel/contacts.delete",
    permissions=("delete-livechat-contact",),
    body=schemas.CONTACTS_DELETE,
    typed=True,
)
async def contacts_delete(ctx: RequestContext) -> None:
    user = ctx.user_required
    async with ctx.conn.transaction():
        await service.delete_contact(ctx.conn, ctx.params["contactId"], actor=actor_user(user.id, user.username))


async def _set_blocked(ctx: RequestContext, *, blocked: bool) -> None:
    async with ctx.conn.transaction():
        visitor_found = await service.set_channel_blocked(
            ctx.conn, ctx.params["visitor"], blocked=blocked, user=_user(ctx.user_required)
        )
    if not visitor_found:
        # The block is written; only closing the visitor's room could not happen.
        raise Failure("error-visitor-not-found")


@router.post("omnichannel/contacts.block", permissions=("block-livechat-contact",), body=schemas.CONTACTS_BLOCK)
async def contacts_block(ctx: RequestContext) -> None:
    await _set_blocked(ctx, blocked=True)


@router.post("omnichannel/contacts.unblock", permissions=("unblock-livechat-contact",), body=schemas.CONTACTS_BLOCK)
async def contacts_unblock(ctx: RequestContext) -> None:
    await _set_blocked(ctx, blocked=False)


# --- legacy visitor endpoints (spec §2.1-§2.3): Meteor check() instead of AJV -----------------


@router.get("omnichannel/contact", permissions=("view-l-room",))
async def legacy_contact_get(ctx: RequestContext) -> dict[str, Any]:
    params = check(ctx.params, legacy.GET_PATTERN)
    return {"contact": await legacy.get_visitor(ctx.conn, params["contactId"])}


@router.post("omnichannel/contact", permissions=("view-l-room",))
async def legacy_contact_register(ctx: RequestContext) -> dict[str, Any]:
    body = check(ctx.params, legacy.REGISTER_PATTERN)
    async with ctx.conn.transaction():
        visitor_id = await legacy.register_contact(ctx.conn, body)
    return {"contact": visitor_id}


@router.get("omnichannel/contact.search", permissions=("view-l-room",))
async def legacy_contact_search(ctx: RequestContext) -> dict[str, Any]:
    params = check(ctx.params, legacy.SEARCH_PATTERN)
    contact = await legacy.search_visitor(
        ctx.conn, email=params.get("email"), phone=params.get("phone"), custom=params.get("custom")
    )
    return {"contact": contact}
