"""From a record of either format to a contact to import, or the reason it cannot be.

The checks are the contacts family's own: Rocket.Chat's email rule, its contact manager rule
(a user with the livechat-agent role) and its custom field rules, reached through their
modules. What only an import needs is here: the CSV columns, the limits on what one row may
hold, and a row having at least a name, an email or a phone.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.contacts import schemas as contact_schemas
from omnicontacts.contacts.service import validate_contact_manager
from omnicontacts.customfields import service as customfields_service
from omnicontacts.customfields.service import AllowedField
from omnicontacts.livechat.visitors import valid_email
from omnicontacts.portability.reading import CsvRecord, JsonRecord, Rejected
from omnicontacts.restapi.errors import ApiError
from omnicontacts.restapi.validation import validate
from omnicontacts.storage import Connection

# Columns Rocket.Chat's contact importer gives a meaning; any other column is a custom field.
KNOWN_COLUMNS = ("name", "emails", "phones", "manager", "id")
SEPARATOR = ";"

# What one imported row may hold.
MAX_NAME = 256
MAX_ADDRESS = 254
MAX_PHONE = 64
MAX_VALUES = 20
MAX_ID = 256
MAX_FIELD_VALUE = 1024

# The POST omnichannel/contacts body, plus the source system's `id`.
JSONL_SCHEMA = {
    **contact_schemas.CONTACTS_CREATE,
    "properties": {**contact_schemas.CONTACTS_CREATE["properties"], "id": {"type": "string"}},
}


class BadHeader(ValueError):
    """A CSV whose header cannot be imported: nothing of the file is."""


@dataclass
class ImportRow:
    line: int
    import_id: str | None
    name: str
    emails: list[str]
    phones: list[str]
    custom_fields: dict[str, Any] = field(default_factory=dict)
    manager: str | None = None
    # CSV names the manager by username, JSON Lines by user id (as POST omnichannel/contacts).
    manager_is_id: bool = False
    # CSV keeps unknown columns out (Rocket.Chat's importer ignores them); JSON Lines refuses them.
    ignore_unknown_fields: bool = False
    # The checks that need no database passed already (done by the thread that reads the file).
    checked: bool = False


def check_header(fields: list[str]) -> list[str]:
    columns = [name.strip() for name in fields]
    if not {"name", "emails", "phones"} & set(columns):
        raise BadHeader("the header names none of the columns name, emails, phones")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise BadHeader(f"the header names a column twice: {', '.join(duplicates)}")
    return columns


def _split(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(SEPARATOR) if part.strip()))


def from_csv(columns: list[str], record: CsvRecord) -> ImportRow | Rejected:
    values: dict[str, str] = {}
    for index, value in enumerate(record.fields):
        # Rocket.Chat names a field past the header `column<index>`.
        values[columns[index] if index < len(columns) else f"column{index}"] = value
    name = values.get("name", "").strip()
    emails, phones = _split(values.get("emails", "")), _split(values.get("phones", ""))
    if not name and not emails and not phones:
        return Rejected(record.line, "no name, email or phone")
    import_id = values.get("id", "").strip() or None
    manager = values.get("manager", "").strip() or None
    custom = {key: value for key, value in values.items() if key not in KNOWN_COLUMNS}
    return ImportRow(record.line, import_id, name, emails, phones, custom, manager=manager, ignore_unknown_fields=True)


def from_json(record: JsonRecord) -> ImportRow | Rejected:
    value, messages = validate(JSONL_SCHEMA, record.value)
    if messages:
        return Rejected(record.line, "; ".join(messages))
    name, emails, phones = value["name"].strip(), value["emails"], value["phones"]
    if not name and not emails and not phones:
        return Rejected(record.line, "no name, email or phone")
    return ImportRow(
        record.line,
        value.get("id") or None,
        name,
        list(emails),
        list(phones),
        dict(value.get("customFields") or {}),
        manager=value.get("contactManager") or None,
        manager_is_id=True,
    )


def _over_limit(row: ImportRow) -> str | None:
    if len(row.name) > MAX_NAME:
        return f"name is longer than {MAX_NAME} characters"
    if row.import_id is not None and len(row.import_id) > MAX_ID:
        return f"id is longer than {MAX_ID} characters"
    for label, items, limit in (("emails", row.emails, MAX_ADDRESS), ("phones", row.phones, MAX_PHONE)):
        if len(items) > MAX_VALUES:
            return f"more than {MAX_VALUES} {label}"
        for item in items:
            if len(item) > limit:
                return f"{label} value longer than {limit} characters: {item[:40]}…"
    return None


class RowChecker:
    """Checks rows against the workspace: custom field definitions and managers, each read once
    per import."""

    def __init__(self, allowed: Iterable[AllowedField]) -> None:
        self.allowed = list(allowed)
        self._managers: dict[tuple[str, bool], str | None] = {}

    @classmethod
    async def load(cls, conn: Connection) -> "RowChecker":
        return cls(await customfields_service.allowed_visitor_fields(conn))

    async def _manager_id(self, conn: Connection, manager: str, is_id: bool) -> str | None:
        key = (manager, is_id)
        if key not in self._managers:
            user_id: str | None = manager
            if not is_id:
                user = await accounts_repository.find_user_by_username(conn, manager)
                user_id = None if user is None else str(user["_id"])
            if user_id is not None:
                try:
                    await validate_contact_manager(conn, user_id)
                except ApiError:
                    user_id = None
            self._managers[key] = user_id
        return self._managers[key]

    def check_offline(self, row: ImportRow) -> Rejected | None:
        """The checks that need no database: limits, emails, custom fields (whose definitions
        were read once). On success the row's custom fields are reduced to the accepted values."""
        reason = _over_limit(row)
        if reason:
            return Rejected(row.line, reason)
        for address in row.emails:
            if not valid_email(address):
                return Rejected(row.line, f"bad email: {address}")
        try:
            accepted = customfields_service.validate_custom_fields(
                self.allowed, row.custom_fields, ignore_additional=row.ignore_unknown_fields
            )
        except ApiError as error:
            return Rejected(row.line, str(error.body().get("error")))
        for key, value in accepted.items():
            if len(value) > MAX_FIELD_VALUE:
                return Rejected(row.line, f"custom field {key} is longer than {MAX_FIELD_VALUE} characters")
        row.custom_fields = accepted
        row.checked = True
        return None

    async def check(self, conn: Connection, row: ImportRow) -> Rejected | None:
        """Rejected, or None with the row's manager resolved to a user id and its custom
        fields reduced to the accepted values."""
        if not row.checked:
            rejected = self.check_offline(row)
            if rejected is not None:
                return rejected
        if row.manager is not None:
            manager_id = await self._manager_id(conn, row.manager, row.manager_is_id)
            if manager_id is None:
                return Rejected(row.line, f"unknown manager: {row.manager}")
            row.manager = manager_id
            row.manager_is_id = True
        return None
