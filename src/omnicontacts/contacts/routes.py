"""HTTP side of the Omnichannel Contacts family (spec §2)."""

from typing import Any

from starlette.responses import Response

from omnicontacts.contacts import repository, schemas, service
from omnicontacts.restapi.errors import NotFound
from omnicontacts.restapi.routing import RequestContext, Router, json_response

router = Router()


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
async def contacts_history(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await service.contact_history(
        ctx.conn,
        ctx.params["contactId"],
        source=ctx.params.get("source"),
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )
