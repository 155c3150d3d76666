"""The right of access (GDPR article 15): everything held about one contact, in one document.

The contact as stored, its channels, the visitors it was reached through, every conversation of
the contact or of those visitors with all its messages, its custom field values with their
definitions, and its event log (kept after an erasure, which is when it tells the most).
"""

from typing import Any

from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.customfields import service as customfields_service
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso


async def contact_data(conn: Connection, contact_id: str) -> dict[str, Any]:
    contact = await contacts_repository.find_doc(conn, contact_id)
    if contact is None:
        raise Failure("error-contact-not-found")
    channels = contact.get("channels") or []
    visitor_ids = list(dict.fromkeys(channel["visitor"]["visitorId"] for channel in channels))
    visitors = [
        visitor for visitor in [await livechat_repository.find_visitor(conn, v) for v in visitor_ids] if visitor
    ]

    room_ids = [room["_id"] for room in await livechat_repository.find_rooms_by_contact(conn, contact_id)]
    for visitor_id in visitor_ids:
        room_ids += await livechat_repository.room_ids_of_visitor(conn, visitor_id)
    rooms = []
    for room_id in dict.fromkeys(room_ids):
        room = await livechat_repository.find_room(conn, room_id)
        if room is not None:
            rooms.append(room)
    rooms.sort(key=lambda room: (str(room.get("ts")), room["_id"]))
    conversations = [
        {"room": room, "messages": await livechat_repository.room_messages(conn, room["_id"], newest_first=False)}
        for room in rooms
    ]

    values = contact.get("customFields") or {}
    custom_fields = []
    for key, value in values.items():
        definition = await customfields_service.get_custom_field(conn, key)
        custom_fields.append({"field": key, "value": value, **({"definition": definition} if definition else {})})
    events = await contacts_repository.events_page(conn, contact_id, offset=0, count=0)
    events.reverse()
    return {
        "generatedAt": now_iso(),
        "contact": contact,
        "channels": channels,
        "visitors": visitors,
        "conversations": conversations,
        "customFields": custom_fields,
        "events": events,
    }
