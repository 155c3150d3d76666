"""HTTP side of the contact event log: `omnichannel/contacts.events` (ours; Rocket.Chat has none)."""

from typing import Any

from omnicontacts.contacts import lifecycle
from omnicontacts.restapi import limits
from omnicontacts.restapi.limits import string
from omnicontacts.restapi.routing import RequestContext, Router
from omnicontacts.restapi.validation import Schema

router = Router()

CONTACT_EVENTS: Schema = {
    "type": "object",
    "properties": {"contactId": string(limits.ID), "count": {"type": "number"}, "offset": {"type": "number"}},
    "required": ["contactId"],
    "additionalProperties": False,
}


@router.get("omnichannel/contacts.events", permissions=("view-livechat-contact-history",), query=CONTACT_EVENTS)
async def contact_events(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await lifecycle.event_log(ctx.conn, ctx.params["contactId"], offset=offset, count=count)
