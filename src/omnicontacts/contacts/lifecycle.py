"""How conversations make contacts (spec §6.1 to §6.4).

Every new livechat room needs a contact: the one that already holds the room's channel (the
visitor over that source), else a pre-registered contact with one of the visitor's exact emails
or phones (the visitor is merged into it), else a new `unknown` contact made from the visitor.
Later, what the visitor tells about themselves (registration, custom fields) is merged into every
contact that holds one of their channels: set when the contact lacks it, recorded as a conflict
when it already has another value. Every merge, creation and erasure lands in the contact's event
log, in the caller's transaction.

Everything here runs inside the caller's transaction and never imports HTTP code.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from omnicontacts import ids, jsonutil, userregex
from omnicontacts.contacts import repository
from omnicontacts.contacts.events import actor_visitor, record_contact_event
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

# Fields a disabled (erased) contact loses; the document and its id stay.
ERASED_FIELDS = ("name", "emails", "phones", "customFields", "lastChat", "channels", "conflictingFields")


def association(visitor_id: str, source: dict[str, Any]) -> dict[str, Any]:
    """The channel key: the visitor and the source type, plus the source id only when there is one."""
    key: dict[str, Any] = {"type": source.get("type")}
    if source.get("id"):
        key["id"] = source["id"]
    return {"visitorId": visitor_id, "source": key}


def same_association(first: dict[str, Any], second: dict[str, Any]) -> bool:
    a_source, b_source = first.get("source") or {}, second.get("source") or {}
    return (
        first.get("visitorId") == second.get("visitorId")
        and a_source.get("type") == b_source.get("type")
        and (a_source.get("id") or None) == (b_source.get("id") or None)
    )


def new_channel(visitor_id: str, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": source.get("label") or source.get("type"),
        "visitor": association(visitor_id, source),
        "blocked": False,
        "verified": False,
        "details": dict(source),
    }


def channel_of(contact: dict[str, Any], key: dict[str, Any]) -> dict[str, Any] | None:
    for channel in contact.get("channels") or []:
        if same_association(channel.get("visitor") or {}, key):
            return channel  # type: ignore[no-any-return]
    return None


async def is_channel_blocked(conn: Connection, key: dict[str, Any]) -> bool:
    source = key["source"]
    return await repository.channel_is_blocked(conn, key["visitorId"], source["type"], source.get("id"))


# --- merging -----------------------------------------------------------------------------------


@dataclass
class Incoming:
    """Values offered to a contact by a visitor; lists keep the order they were offered in."""

    names: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    custom_fields: list[tuple[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _conflict_key(field_name: str, value: Any) -> str:
    return jsonutil.dumps_str([field_name, value])


def merge_into(contact: dict[str, Any], incoming: Incoming, *, overwrite: bool) -> dict[str, Any]:
    """Apply `incoming` to `contact` in place; answer what changed (empty: nothing did).

    Emails, phones and channels are added when new. A name (or, for a contact without any name,
    a username) is set when the contact has none or `overwrite` is on; otherwise each new name
    becomes a `{field: 'name', value}` conflict. A custom field is set when the contact lacks it
    or `overwrite` is on; a different value for a field it has is dropped (spec §6.3). Values the
    contact already has, or already holds as a conflict, count as known.
    """
    changes: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = list(contact.get("conflictingFields") or [])
    known_conflicts = {_conflict_key(item.get("field", ""), item.get("value")) for item in conflicts}

    have_emails = {item.get("address") for item in contact.get("emails") or []}
    emails = [email for email in _unique(incoming.emails) if email not in have_emails]
    if emails:
        contact["emails"] = [*(contact.get("emails") or []), *({"address": email} for email in emails)]
        changes["emails"] = emails

    have_phones = {item.get("phoneNumber") for item in contact.get("phones") or []}
    phones = [phone for phone in _unique(incoming.phones) if phone not in have_phones]
    if phones:
        contact["phones"] = [*(contact.get("phones") or []), *({"phoneNumber": phone} for phone in phones)]
        changes["phones"] = phones

    channels: list[dict[str, Any]] = []
    for channel in incoming.channels:
        present = [*(contact.get("channels") or []), *channels]
        if not any(same_association(other.get("visitor") or {}, channel["visitor"]) for other in present):
            channels.append(channel)
    if channels:
        contact["channels"] = [*(contact.get("channels") or []), *channels]
        contact["preRegistration"] = False
        changes["channels"] = [channel["visitor"] for channel in channels]

    current_name = contact.get("name") or None
    names = [
        name
        for name in _unique(incoming.names)
        if name != current_name and _conflict_key("name", name) not in known_conflicts
    ]
    has_any_name = bool(current_name) or any(item.get("field") == "name" for item in conflicts)
    # A username only names a contact that has no name at all and is offered no real name.
    usernames = [] if has_any_name or names else _unique(incoming.usernames)
    candidates = names + usernames
    if candidates and (not current_name or overwrite):
        contact["name"] = candidates.pop(0)
        changes["name"] = contact["name"]
    new_conflicts = [] if overwrite else [{"field": "name", "value": name} for name in candidates]

    custom_fields = dict(contact.get("customFields") or {})
    offered: set[str] = set()
    set_fields: dict[str, Any] = {}
    for key, value in incoming.custom_fields:
        if key in offered or custom_fields.get(key) == value:
            continue
        if _conflict_key(f"customFields.{key}", value) in known_conflicts:
            continue
        offered.add(key)
        if not custom_fields.get(key) or overwrite:
            custom_fields[key] = value
            set_fields[key] = value
    if set_fields:
        contact["customFields"] = custom_fields
        changes["customFields"] = set_fields

    added = _add_conflicts(contact, conflicts, known_conflicts, new_conflicts)
    if added:
        changes["conflictingFields"] = added
    if changes:
        contact["_updatedAt"] = now_iso()
    return changes


def _add_conflicts(
    contact: dict[str, Any],
    conflicts: list[dict[str, Any]],
    known: set[str],
    new_conflicts: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    added = []
    for conflict in new_conflicts:
        key = _conflict_key(conflict["field"], conflict["value"])
        if key not in known:
            known.add(key)
            added.append(conflict)
    if added:
        contact["conflictingFields"] = [*conflicts, *added]
    return added


def incoming_from_visitor(visitor: dict[str, Any], source: dict[str, Any] | None) -> Incoming:
    incoming = Incoming(
        names=[visitor["name"]] if visitor.get("name") else [],
        usernames=[visitor["username"]] if visitor.get("username") else [],
        emails=[item["address"] for item in visitor.get("visitorEmails") or [] if item.get("address")],
        phones=[item["phoneNumber"] for item in visitor.get("phone") or [] if item.get("phoneNumber")],
        custom_fields=list((visitor.get("livechatData") or {}).items()),
    )
    if source is not None:
        incoming.channels = [new_channel(visitor["_id"], source)]
    return incoming


# --- the contact of a new room -----------------------------------------------------------------


def _allowed_custom_fields(data: dict[str, Any], definitions: list[dict[str, Any]]) -> dict[str, Any]:
    """The visitor's custom field values a new contact keeps: registered visitor fields that are
    not hidden, with a non-empty value that passes the field's pattern. Anything else is dropped
    silently, as Rocket.Chat does when it maps a visitor to a contact."""
    kept: dict[str, Any] = {}
    for definition in definitions:
        if definition.get("scope", "visitor") != "visitor" or definition.get("visibility") == "hidden":
            continue
        value = data.get(definition["_id"])
        if not isinstance(value, str) or not value.strip():
            continue
        if not matches_pattern(definition.get("regexp"), value.strip()):
            continue
        kept[definition["_id"]] = value.strip()
    return kept


def matches_pattern(pattern: Any, value: str) -> bool:
    """A custom field's `regexp`, searched like JavaScript's `RegExp.test` (unanchored), in linear
    time (userregex). A pattern that cannot compile does not reject values: the definition is what
    is broken."""
    if not isinstance(pattern, str) or not pattern or not userregex.is_valid(pattern):
        return True
    return userregex.search(pattern, value)


def contact_from_visitor(
    visitor: dict[str, Any], source: dict[str, Any], custom_field_definitions: list[dict[str, Any]]
) -> dict[str, Any]:
    """A new contact for a visitor nobody registered: `unknown`, with the room's channel."""
    now = now_iso()
    contact: dict[str, Any] = {
        "_id": ids.object_id(),
        "createdAt": now,
        "name": visitor.get("name") or visitor.get("username") or "",
    }
    emails = _unique(item.get("address", "") for item in visitor.get("visitorEmails") or [])
    if emails:
        contact["emails"] = [{"address": email} for email in emails]
    phones = _unique(item.get("phoneNumber", "") for item in visitor.get("phone") or [])
    if phones:
        contact["phones"] = [{"phoneNumber": phone} for phone in phones]
    channel = new_channel(visitor["_id"], source)
    if visitor.get("lastChat"):
        channel["lastChat"] = visitor["lastChat"]
    contact["channels"] = [channel]
    contact["customFields"] = _allowed_custom_fields(visitor.get("livechatData") or {}, custom_field_definitions)
    if visitor.get("lastChat"):
        contact["lastChat"] = visitor["lastChat"]
    # Rocket.Chat calls a contact unknown until the visitor shows activity; ours never do yet.
    contact["unknown"] = not visitor.get("activity")
    contact["preRegistration"] = False
    contact["_updatedAt"] = now
    return contact


async def contact_for_new_room(
    conn: Connection,
    visitor: dict[str, Any],
    source: dict[str, Any],
    *,
    custom_field_definitions: list[dict[str, Any]],
) -> dict[str, Any]:
    """The contact a new room of `visitor` over `source` belongs to, found, merged or created."""
    key = association(visitor["_id"], source)
    contact_id = await repository.find_contact_id_by_association(
        conn, visitor["_id"], key["source"]["type"], key["source"].get("id")
    )
    if contact_id is not None:
        found = await repository.find_doc(conn, contact_id, for_update=True)
        if found is not None and found.get("enabled", True) is not False:
            return found

    emails = [item["address"] for item in visitor.get("visitorEmails") or [] if item.get("address")]
    phones = [item["phoneNumber"] for item in visitor.get("phone") or [] if item.get("phoneNumber")]
    matched = await repository.find_preregistered_contact(conn, emails, phones, for_update=True)
    # Re-checked under the row lock: another visitor may have just been merged into it.
    if matched is not None and matched.get("preRegistration") and matched.get("enabled", True) is not False:
        changes = merge_into(matched, incoming_from_visitor(visitor, source), overwrite=bool(matched.get("unknown")))
        await repository.save_contact(conn, matched)
        await record_contact_event(conn, matched["_id"], "merged", actor=actor_visitor(visitor["_id"]), changes=changes)
        return matched

    created = contact_from_visitor(visitor, source, custom_field_definitions)
    await repository.insert_contact(conn, created)
    await record_contact_event(
        conn, created["_id"], "created", actor=actor_visitor(visitor["_id"]), changes={"channels": [key]}
    )
    return created


async def record_last_chat(
    conn: Connection, contact: dict[str, Any], key: dict[str, Any], last_chat: dict[str, Any]
) -> None:
    """The contact's and the channel's `lastChat` point at the newest room (spec §6.2)."""
    contact["lastChat"] = last_chat
    channel = channel_of(contact, key)
    if channel is not None:
        channel["lastChat"] = last_chat
    contact["_updatedAt"] = last_chat["ts"]
    await repository.save_contact(conn, contact)


# --- what a visitor tells later ----------------------------------------------------------------


async def register_guest_data(conn: Connection, visitor: dict[str, Any], incoming: Incoming) -> None:
    """A visitor registered again (`livechat/visitor`): their name, email, phone and username go
    to every contact holding one of their channels: set on unknown contacts, else conflicts."""
    for contact in await repository.contacts_of_visitor(conn, visitor["_id"], for_update=True):
        changes = merge_into(contact, incoming, overwrite=bool(contact.get("unknown")))
        if changes:
            await repository.save_contact(conn, contact)
            await record_contact_event(
                conn, contact["_id"], "merged", actor=actor_visitor(visitor["_id"]), changes=changes
            )


@dataclass(frozen=True)
class CustomFieldValue:
    key: str
    value: str
    overwrite: bool


def apply_custom_field_values(contact: dict[str, Any], values: list[CustomFieldValue]) -> dict[str, Any]:
    """Visitor custom field values on a contact: `overwrite` (or a field the contact lacks) sets
    it; a different value for a field it has becomes a `customFields.<key>` conflict."""
    custom_fields = dict(contact.get("customFields") or {})
    conflicts: list[dict[str, Any]] = list(contact.get("conflictingFields") or [])
    known = {_conflict_key(item.get("field", ""), item.get("value")) for item in conflicts}
    set_fields: dict[str, Any] = {}
    new_conflicts: list[dict[str, Any]] = []
    for item in values:
        if item.overwrite or not custom_fields.get(item.key):
            if custom_fields.get(item.key) != item.value:
                custom_fields[item.key] = item.value
                set_fields[item.key] = item.value
        elif custom_fields.get(item.key) != item.value:
            new_conflicts.append({"field": f"customFields.{item.key}", "value": item.value})
    changes: dict[str, Any] = {}
    if set_fields:
        contact["customFields"] = custom_fields
        changes["customFields"] = set_fields
    added = _add_conflicts(contact, conflicts, known, new_conflicts)
    if added:
        changes["conflictingFields"] = added
    if changes:
        contact["_updatedAt"] = now_iso()
    return changes


async def apply_visitor_custom_fields(conn: Connection, visitor_id: str, values: list[CustomFieldValue]) -> None:
    for contact in await repository.contacts_of_visitor(conn, visitor_id, for_update=True):
        changes = apply_custom_field_values(contact, values)
        if changes:
            await repository.save_contact(conn, contact)
            await record_contact_event(conn, contact["_id"], "merged", actor=actor_visitor(visitor_id), changes=changes)


# --- erasure -----------------------------------------------------------------------------------


async def erase_contacts_of_visitor(conn: Connection, visitor_id: str) -> list[str]:
    """Disable every contact holding a channel of this visitor (the data goes, the id stays);
    answer the visitor ids of all their channels, whose conversations the caller removes."""
    visitor_ids: list[str] = []
    for contact in await repository.contacts_of_visitor(conn, visitor_id, for_update=True):
        for channel in contact.get("channels") or []:
            channel_visitor = (channel.get("visitor") or {}).get("visitorId")
            if channel_visitor and channel_visitor not in visitor_ids:
                visitor_ids.append(channel_visitor)
        for name in ERASED_FIELDS:
            contact.pop(name, None)
        contact["enabled"] = False
        contact["_updatedAt"] = now_iso()
        await repository.save_contact(conn, contact)
        await record_contact_event(
            conn, contact["_id"], "erased", actor=actor_visitor(visitor_id), changes={"removed": list(ERASED_FIELDS)}
        )
    return visitor_ids


# --- the event log -------------------------------------------------------------------------------


async def event_log(conn: Connection, contact_id: str, *, offset: int, count: int) -> dict[str, Any]:
    """A contact's events, newest first. Erased contacts keep theirs: that is when they matter."""
    if await repository.find_doc(conn, contact_id) is None:
        raise Failure("error-contact-not-found")
    events = await repository.events_page(conn, contact_id, offset=offset, count=count)
    total = await repository.events_total(conn, contact_id)
    return {"events": events, "count": len(events), "offset": offset, "total": total}
