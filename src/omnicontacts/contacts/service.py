"""Contacts rules. Never imports HTTP code: the routes, the CLI and the UI all call these.

Writers run inside the caller's transaction and read the contact with a row lock
(`find_doc(..., for_update=True)`), so concurrent changes to one contact never lose a field.
Documents are changed in place the way MongoDB's $set/$unset would: a key that exists keeps its
position, a new key goes last, so the stored JSON reads like Rocket.Chat's.
"""

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from omnicontacts import ids, jsonutil
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.contacts import repository
from omnicontacts.contacts.events import actor_user, record_contact_event
from omnicontacts.customfields import service as customfields_service
from omnicontacts.customfields.service import AllowedField
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat.closing import close_room
from omnicontacts.livechat.visitors import remove_guest
from omnicontacts.restapi.errors import Failure, NotFound
from omnicontacts.restapi.query import total_from_page
from omnicontacts.restapi.streaming import StreamedList
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso, parse_iso

NOT_FOUND = "error-contact-not-found"
BLOCKED_ROOM_COMMENT = "This channel has been blocked"
# A contact's soft delete unsets these (Rocket.Chat's disableByContactId).
ERASED_CONTACT_FIELDS = ("emails", "customFields", "lastChat", "channels", "name", "phones", "conflictingFields")
# An erased visitor keeps only its id, `_updatedAt` and `disabled` (Rocket.Chat's disableById).


def remove_empty(params: Mapping[str, Any]) -> dict[str, Any]:
    """Rocket.Chat's removeEmpty: drop null values, keep '' and []."""
    return {key: value for key, value in params.items() if value is not None}


async def validate_contact_manager(conn: Connection, user_id: str) -> None:
    """A contact manager must be a user with the livechat-agent role."""
    user = await accounts_repository.find_user_doc(conn, user_id)
    if user is None or "livechat-agent" not in (user.get("roles") or []):
        raise Failure("error-contact-manager-not-found")


async def _enabled_contact_for_update(conn: Connection, contact_id: str) -> dict[str, Any]:
    contact = await repository.find_doc(conn, contact_id, for_update=True)
    if contact is None or contact.get("enabled") is False:
        raise Failure(NOT_FOUND)
    return contact


async def _count_resolved_conflicts(conn: Connection, resolved: int) -> None:
    """Rocket.Chat keeps a workspace-wide tally of resolved conflicts in a setting; workers
    reload their cached settings on their next request."""
    if not resolved:
        return
    if await repository.increment_setting(conn, "Resolved_Conflicts_Count", resolved, now_iso()) is not None:
        await accounts_repository.bump_config_version(conn)


# --- create ------------------------------------------------------------------------------------


async def create_contact(
    conn: Connection,
    *,
    name: str,
    emails: list[str],
    phones: list[str],
    custom_fields: Mapping[str, Any] | None,
    contact_manager: str | None,
) -> str:
    """POST omnichannel/contacts: a known, pre-registered contact without channels."""
    if contact_manager:
        await validate_contact_manager(conn, contact_manager)
    allowed = await customfields_service.allowed_visitor_fields(conn)
    accepted = customfields_service.validate_custom_fields(allowed, custom_fields or {})
    doc = new_contact_doc(
        name=name, emails=emails, phones=phones, custom_fields=accepted, contact_manager=contact_manager
    )
    await repository.insert_contact(conn, doc)
    return str(doc["_id"])


def new_contact_doc(
    *,
    name: str,
    emails: list[str],
    phones: list[str],
    custom_fields: dict[str, Any],
    contact_manager: str | None,
    import_ids: list[str] | None = None,
    contact_id: str | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """A pre-registered contact as POST omnichannel/contacts stores it, its values already
    checked (the bulk import builds many with it, with ids and a time made once per batch,
    then stores them at once)."""
    now = now or now_iso()
    doc: dict[str, Any] = {
        "_id": contact_id or ids.object_id(),
        "createdAt": now,
        "name": name,
        "emails": [{"address": address} for address in emails],
        "phones": [{"phoneNumber": phone} for phone in phones],
    }
    # An absent manager stays absent: clients test for the key, not for null.
    if contact_manager:
        doc["contactManager"] = contact_manager
    doc.update({"channels": [], "customFields": custom_fields, "unknown": False, "preRegistration": True})
    if import_ids:
        doc["importIds"] = import_ids
    doc["_updatedAt"] = now
    return doc


# --- update ------------------------------------------------------------------------------------


def _updated_custom_fields(
    allowed: list[AllowedField], received: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """The contact's new customFields (spec §2.5 step 4).

    Keys stored on the contact that are no longer registered ("legacy" keys) may be sent without
    error but keep their stored value; optional registered keys that are not sent are dropped.
    """
    registered = {field.id for field in allowed}
    legacy = [key for key in stored if key not in registered]
    accepted: dict[str, Any] = customfields_service.validate_custom_fields(
        allowed, received, ignore_additional=bool(legacy)
    )
    if legacy:
        customfields_service.validate_custom_fields([*allowed, *(AllowedField(id=key) for key in legacy)], received)
        for key in legacy:
            accepted[key] = stored[key]
    return accepted


async def _rename_conversations(conn: Connection, contact: dict[str, Any], name: str) -> None:
    """A new contact name shows on its rooms, and on the subscriptions and inquiries of its
    channels' visitors."""
    # Locked, so a message stored meanwhile is not overwritten by the renamed document.
    rooms = await livechat_repository.find_rooms_by_contact(conn, contact["_id"], for_update=True)
    await livechat_repository.rename_rooms(conn, rooms, name)
    visitor_ids = sorted({channel["visitor"]["visitorId"] for channel in contact.get("channels") or []})
    await livechat_repository.rename_subscriptions_by_visitors(conn, visitor_ids, name)
    await livechat_repository.rename_inquiries_by_visitors(conn, visitor_ids, name)


def _patch(doc: dict[str, Any], changes: Mapping[str, Any], removals: tuple[str, ...] = ()) -> None:
    """MongoDB's patchContact: $set the changes and `unknown: false`, $unset the removals."""
    doc.update(changes)
    for key in removals:
        doc.pop(key, None)
    doc["unknown"] = False
    doc["_updatedAt"] = now_iso()


async def update_contact(conn: Connection, params: Mapping[str, Any]) -> dict[str, Any]:
    """POST omnichannel/contacts.update (nulls already removed); answers the updated contact."""
    contact = await _enabled_contact_for_update(conn, params["contactId"])
    manager = params.get("contactManager")
    if manager:
        await validate_contact_manager(conn, manager)
    wipe = bool(params.get("wipeConflicts"))
    if wipe:
        await _count_resolved_conflicts(conn, len(contact.get("conflictingFields") or []))

    changes: dict[str, Any] = {}
    if "name" in params:
        changes["name"] = params["name"]
    if "emails" in params:
        changes["emails"] = [{"address": address} for address in params["emails"]]
    if "phones" in params:
        changes["phones"] = [{"phoneNumber": phone} for phone in params["phones"]]
    if manager:
        changes["contactManager"] = manager
    if "customFields" in params:
        allowed = await customfields_service.allowed_visitor_fields(conn)
        changes["customFields"] = _updated_custom_fields(
            allowed, params["customFields"], contact.get("customFields") or {}
        )
    if wipe:
        changes["conflictingFields"] = []
    removals = ("contactManager",) if "contactManager" in params and not manager else ()
    if not changes and not removals:
        # Nothing to write: Rocket.Chat answers the contact as it is (`unknown` untouched).
        return contact

    old_name = contact.get("name")
    _patch(contact, changes, removals)
    await repository.save_contact(conn, contact)
    if "name" in params and params["name"] != old_name:
        await _rename_conversations(conn, contact, params["name"])
    return contact


# --- conflicts ---------------------------------------------------------------------------------


def _remaining_conflicts(conflicts: list[dict[str, Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    resolved: set[str] = set()
    if params.get("name"):
        resolved.add("name")
    if "contactManager" in params:
        resolved.add("manager")
    resolved.update(f"customFields.{key}" for key in params.get("customFields") or {})
    return [conflict for conflict in conflicts if conflict.get("field") not in resolved]


async def resolve_conflicts(conn: Connection, params: Mapping[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
    """POST omnichannel/contacts.conflicts (nulls already removed); answers the updated contact.

    Custom fields are merged into the stored ones without validation, as Rocket.Chat does.
    """
    contact = await _enabled_contact_for_update(conn, params["contactId"])
    conflicts: list[dict[str, Any]] = list(contact.get("conflictingFields") or [])
    if not conflicts:
        raise Failure("error-contact-has-no-conflicts")
    manager = params.get("contactManager")
    if manager:
        await validate_contact_manager(conn, manager)
    if params.get("wipeConflicts"):
        await _count_resolved_conflicts(conn, len(conflicts))
        remaining: list[dict[str, Any]] = []
    else:
        remaining = _remaining_conflicts(conflicts, params)

    changes: dict[str, Any] = {}
    if params.get("name"):
        changes["name"] = params["name"]
    if manager:
        changes["contactManager"] = manager
    if "customFields" in params:
        changes["customFields"] = {**(contact.get("customFields") or {}), **params["customFields"]}
    changes["conflictingFields"] = remaining
    removals = ("contactManager",) if "contactManager" in params and not manager else ()
    _patch(contact, changes, removals)
    await repository.save_contact(conn, contact)
    await record_contact_event(
        conn,
        contact["_id"],
        "conflicts-resolved",
        actor=actor,
        changes={"resolved": [item for item in conflicts if item not in remaining]},
    )
    return contact


# --- search ------------------------------------------------------------------------------------


async def _expand_managers(conn: Connection, contacts: list[dict[str, Any]]) -> None:
    """Replace each contactManager id by `{_id, name, username}`; a vanished user drops the key."""
    manager_ids = sorted({doc["contactManager"] for doc in contacts if isinstance(doc.get("contactManager"), str)})
    users = await accounts_repository.find_user_docs(conn, manager_ids)
    for doc in contacts:
        manager_id = doc.get("contactManager")
        if manager_id is None:
            continue
        user = users.get(manager_id) if isinstance(manager_id, str) else None
        if user is None:
            del doc["contactManager"]
            continue
        doc["contactManager"] = {key: user[key] for key in ("_id", "name", "username") if key in user}


async def search_contacts(
    conn: Connection,
    *,
    search_text: str | None,
    unknown: bool,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    """GET omnichannel/contacts.search: a case-insensitive literal substring of name, emails or
    phones, among enabled contacts whose `unknown` equals the filter.

    `count` echoes the page size asked for (Rocket.Chat's quirk), not the number of items.
    """
    term = (search_text or "").lower()
    contacts = await repository.search_page(conn, term=term, unknown=unknown, sort=sort, offset=offset, count=count)
    total = total_from_page(offset, count, len(contacts))
    if total is None:
        total = await repository.search_total(conn, term=term, unknown=unknown)
    await _expand_managers(conn, contacts)
    return {"contacts": contacts, "count": count, "offset": offset, "total": total}


def search_contacts_streamed(
    *, search_text: str | None, unknown: bool, sort: dict[str, int] | None, offset: int
) -> StreamedList:
    """contacts.search with count=0: every match, sent as it is read (see `search_contacts`)."""
    term = (search_text or "").lower()

    async def items(conn: Connection) -> AsyncIterator[list[dict[str, Any] | bytes]]:
        async for texts in repository.search_all(conn, term=term, unknown=unknown, sort=sort, offset=offset):
            # A contact without a manager goes out as stored; the others get theirs expanded.
            managed = [jsonutil.loads(text) for text in texts if '"contactManager"' in text]
            await _expand_managers(conn, managed)
            expanded = iter(managed)
            yield [next(expanded) if '"contactManager"' in text else text.encode() for text in texts]

    async def tail(conn: Connection, sent: int) -> dict[str, Any]:
        total = total_from_page(offset, 0, sent)
        if total is None:
            total = await repository.search_total(conn, term=term, unknown=unknown)
        return {"count": 0, "offset": offset, "total": total}

    return StreamedList("contacts", items, tail)


async def list_contacts(
    conn: Connection,
    filters: repository.ListFilters,
    *,
    sort: str,
    count: int,
    after: tuple[str | None, str] | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The Contact Center's list: contacts.search's match (same term rules, same index) narrowed
    by its filters, a keyset page in the order asked for, managers expanded as search does."""
    contacts = await repository.list_page(conn, filters, sort=sort, count=count, after=after, offset=offset)
    await _expand_managers(conn, contacts)
    return contacts


async def count_contacts(conn: Connection, filters: repository.ListFilters) -> int:
    return await repository.list_total(conn, filters)


# --- checkExistence and channels ---------------------------------------------------------------


async def contact_exists(conn: Connection, *, contact_id: str | None, email: str | None, phone: str | None) -> bool:
    """Exact equality on one key; a deleted contact still exists by id (its emails and phones
    are gone)."""
    if contact_id is not None:
        return await repository.id_exists(conn, contact_id)
    if email is not None:
        return await repository.email_exists(conn, email)
    if phone is not None:
        return await repository.phone_exists(conn, phone)
    return False


def _last_chat_time(channel: Mapping[str, Any]) -> datetime | None:
    ts = (channel.get("lastChat") or {}).get("ts")
    try:
        return parse_iso(ts) if isinstance(ts, str) else None
    except ValueError:
        return None


def group_channels(channels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One channel per name, the one with the newest `lastChat.ts` (missing counts as oldest,
    ties keep the first); names in order of first appearance."""
    chosen: dict[str, dict[str, Any]] = {}
    for channel in channels:
        name = channel.get("name")
        key = name if isinstance(name, str) else ""
        current = chosen.get(key)
        if current is None:
            chosen[key] = channel
            continue
        newer, older = _last_chat_time(channel), _last_chat_time(current)
        if newer is not None and (older is None or newer > older):
            chosen[key] = channel
    return list(chosen.values())


async def contact_channels(conn: Connection, contact_id: str) -> list[dict[str, Any]]:
    """Channels of any contact (deleted ones have none); an unknown id answers no channels."""
    contact = await repository.find_doc(conn, contact_id)
    return group_channels((contact or {}).get("channels") or [])


# --- delete (soft delete with GDPR erasure) ----------------------------------------------------


async def delete_contact(conn: Connection, contact_id: str, *, actor: dict[str, Any]) -> None:
    """POST omnichannel/contacts.delete: disable the contact (its `_id` survives) and erase the
    data of every visitor it was reached through."""
    contact = await repository.find_doc(conn, contact_id, for_update=True)
    if contact is None or contact.get("enabled") is False:
        raise NotFound(NOT_FOUND)
    visitor_ids = sorted({channel["visitor"]["visitorId"] for channel in contact.get("channels") or []})
    erasures = [await remove_guest(conn, visitor_id, keep_open_rooms=True) for visitor_id in visitor_ids]
    for key in ERASED_CONTACT_FIELDS:
        contact.pop(key, None)
    contact["enabled"] = False
    contact["_updatedAt"] = now_iso()
    await repository.save_contact(conn, contact)
    await record_contact_event(conn, contact_id, "erased", actor=actor, changes={"visitors": erasures})


# --- history ---------------------------------------------------------------------------------


async def contact_history(
    conn: Connection,
    contact_id: str,
    *,
    source: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    """Closed conversations of an enabled contact, newest closed first unless sorted otherwise.

    `source` (a case-insensitive substring of the room's source type or alias) is open to every
    user: Rocket.Chat keeps it for its paid edition, we do not.
    """
    if not await repository.enabled_exists(conn, contact_id):
        raise Failure("error-contact-not-found")
    source = source if isinstance(source, str) and source else None
    history = await repository.history_page(conn, contact_id, source=source, sort=sort, offset=offset, count=count)
    total = total_from_page(offset, count, len(history))
    if total is None:
        total = await repository.history_total(conn, contact_id, source=source)
    return {"history": history, "count": len(history), "offset": offset, "total": total}


async def contact_history_streamed(
    conn: Connection, contact_id: str, *, source: str | None, sort: dict[str, int] | None, offset: int
) -> StreamedList:
    """contacts.history with count=0: every closed conversation, sent as it is read."""
    if not await repository.enabled_exists(conn, contact_id):
        raise Failure("error-contact-not-found")
    source = source if isinstance(source, str) and source else None

    def items(conn: Connection) -> AsyncIterator[list[dict[str, Any] | bytes]]:
        return repository.history_all(conn, contact_id, source=source, sort=sort, offset=offset)

    async def tail(conn: Connection, sent: int) -> dict[str, Any]:
        total = total_from_page(offset, 0, sent)
        if total is None:
            total = await repository.history_total(conn, contact_id, source=source)
        return {"count": sent, "offset": offset, "total": total}

    return StreamedList("history", items, tail)


# --- block / unblock ---------------------------------------------------------------------------


def _matches(channel: Mapping[str, Any], association: Mapping[str, Any]) -> bool:
    visitor = channel.get("visitor") or {}
    source = visitor.get("source") or {}
    wanted = association["source"]
    return (
        visitor.get("visitorId") == association["visitorId"]
        and source.get("type") == wanted["type"]
        and (not wanted.get("id") or source.get("id") == wanted["id"])
    )


async def set_channel_blocked(
    conn: Connection, association: Mapping[str, Any], *, blocked: bool, user: dict[str, Any]
) -> bool:
    """Block or unblock the channel of one (visitor, source) association.

    Repeating it succeeds: Rocket.Chat's update always touches `_updatedAt`, so only a channel
    that does not exist answers `error-contact-not-found`. Blocking also closes the channel's
    open room. Answers False when the channel's visitor no longer exists (after writing the
    block, as Rocket.Chat does).
    """
    source = association["source"]
    contact_id = await repository.find_contact_id_by_association(
        conn, association["visitorId"], source["type"], source.get("id")
    )
    contact = await repository.find_doc(conn, contact_id, for_update=True) if contact_id else None
    channel = next((item for item in (contact or {}).get("channels") or [] if _matches(item, association)), None)
    if contact is None or channel is None:
        raise Failure(NOT_FOUND)
    channel["blocked"] = blocked
    contact["_updatedAt"] = now_iso()
    await repository.save_contact(conn, contact)
    actor = actor_user(user["_id"], user["username"])
    await record_contact_event(
        conn,
        contact["_id"],
        "blocked" if blocked else "unblocked",
        actor=actor,
        changes={"visitor": channel["visitor"]},
    )
    if not blocked:
        return True
    if await livechat_repository.find_visitor(conn, association["visitorId"]) is None:
        return False
    room = await livechat_repository.find_open_room_by_association(
        conn, association["visitorId"], source["type"], source.get("id")
    )
    # Read again under the row lock (contact, then room: the livechat lock order).
    room = await livechat_repository.find_room(conn, room["_id"], for_update=True) if room is not None else None
    if room is not None and room.get("open"):
        await close_room(conn, room, closer="user", user=user, comment=BLOCKED_ROOM_COMMENT)
    return True
