"""Custom field definitions and the validation of custom field values. No HTTP imports."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from omnicontacts import userregex
from omnicontacts.customfields import repository
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso


@dataclass(frozen=True)
class AllowedField:
    """What value validation needs of a definition (Rocket.Chat projects the same four keys)."""

    id: str
    label: str | None = None
    regexp: str | None = None
    required: bool = False

    @property
    def display_name(self) -> str:
        return self.label or self.id


async def allowed_visitor_fields(conn: Connection) -> list[AllowedField]:
    """Visitor-scope definitions that are not hidden: the keys a contact's customFields may use."""
    return [
        AllowedField(
            id=doc["_id"],
            label=doc.get("label") if isinstance(doc.get("label"), str) else None,
            regexp=doc.get("regexp") if isinstance(doc.get("regexp"), str) else None,
            required=bool(doc.get("required")),
        )
        for doc in await repository.find_by_scope(conn, "visitor")
        if doc.get("visibility") != "hidden"
    ]


def _invalid(field: AllowedField) -> Failure:
    return Failure(f"Invalid value for {field.display_name} field")


def _matches(pattern: str, value: str) -> bool:
    # JavaScript's RegExp.test is an unanchored search, here in linear time (userregex). A
    # definition whose pattern cannot compile never matches, so the value is refused.
    return userregex.search(pattern, value)


def validate_custom_fields(
    allowed: Iterable[AllowedField],
    values: Mapping[str, Any],
    *,
    ignore_additional: bool = False,
    ignore_errors: bool = False,
) -> dict[str, str]:
    """Rocket.Chat's custom field rules (spec §2.4.1); answers the accepted values, trimmed.

    A value that is not a string counts as empty (Rocket.Chat only ever stores strings here).
    """
    allowed = list(allowed)
    accepted: dict[str, str] = {}
    for field in allowed:
        if field.id not in values:
            if field.required and not ignore_errors:
                raise _invalid(field)
            continue
        raw = values[field.id]
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if field.required and not ignore_errors:
                raise _invalid(field)
            continue
        if len(value) > limits.TEXT or (field.regexp and not _matches(field.regexp, value)):
            if ignore_errors:
                continue
            raise _invalid(field)
        accepted[field.id] = value
    if not ignore_additional:
        known = {field.id for field in allowed}
        for key in values:
            if key not in known:
                raise Failure(f"Custom field {key} is not allowed")
    return accepted


async def searchable_visitor_field_ids(conn: Connection, ids: Iterable[str]) -> list[str]:
    """Of `ids`, those naming a searchable visitor-scope definition (legacy contact.search)."""
    wanted = set(ids)
    return [
        doc["_id"]
        for doc in await repository.find_by_scope(conn, "visitor")
        if doc["_id"] in wanted and doc.get("searchable") is True
    ]


# --- definitions (livechat/custom-fields*) -------------------------------------------------------


async def list_custom_fields(
    conn: Connection, *, text: str | None, sort: dict[str, int] | None, offset: int, count: int
) -> dict[str, Any]:
    fields = await repository.page(conn, text=text, sort=sort, offset=offset, count=count)
    total = await repository.total(conn, text=text)
    return {"customFields": fields, "count": len(fields), "offset": offset, "total": total}


async def get_custom_field(conn: Connection, field_id: str) -> dict[str, Any] | None:
    return await repository.find(conn, field_id)


async def save_custom_field(conn: Connection, field_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """Create (no id) or update a definition; answers the written record as Rocket.Chat does.

    The record is `{label, scope, visibility, ...extra}`; a new one also gets `_id` (= `field`),
    and both get `_updatedAt`. The id of an existing definition never changes.
    """
    regexp = data.get("regexp")
    if isinstance(regexp, str) and regexp and not userregex.is_valid(regexp):
        # Patterns run on RE2 (linear time): look-around and back-references are refused here,
        # when the field is defined, rather than failing every value later.
        raise Failure(f"Invalid regular expression for field {data['field']}: {regexp}")
    existing = await repository.find(conn, field_id) if field_id else None
    if field_id and existing is None:
        raise Failure("Custom Field Not found")
    if not field_id and await repository.find(conn, data["field"]) is not None:
        raise Failure("Custom Field already exists")
    extra = {key: value for key, value in data.items() if key not in ("field", "label", "scope", "visibility")}
    record: dict[str, Any] = {"label": data["label"], "scope": data["scope"], "visibility": data["visibility"], **extra}
    if existing is not None:
        record["_updatedAt"] = now_iso()
        await repository.update(conn, {**existing, **record})
        return record
    record["_id"] = data["field"]
    record["_updatedAt"] = now_iso()
    await repository.insert(conn, {"_id": record["_id"], **record})
    return record


async def delete_custom_field(conn: Connection, field_id: str) -> None:
    if not await repository.delete(conn, field_id):
        raise Failure("Custom field not found")
