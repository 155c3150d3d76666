"""Export of contacts as the CSV and JSON Lines the importer reads back.

Contacts are read in pages of ids (keyset: each page costs the same however far in), each page
on a connection of its own, so a long download never holds a connection, or SQLite's lock,
between pages, and memory holds one page whatever the number of contacts.

What is written is what an import takes: the source `id` (the contact's first import id, else
its own `_id`), name, emails, phones, the manager (username in CSV, user id in JSON Lines, as
POST omnichannel/contacts takes it) and the values of the registered visitor custom fields.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import orjson

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.customfields import service as customfields_service
from omnicontacts.portability.rows import SEPARATOR
from omnicontacts.storage import Storage

PAGE = 1000
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


async def count(storage: Storage, *, search: str | None, unknown: bool | None) -> int:
    async with storage.connection() as conn:
        return await contacts_repository.export_total(conn, term=(search or "").lower(), unknown=unknown)


def _source_id(contact: dict[str, Any]) -> str:
    import_ids = [item for item in contact.get("importIds") or [] if isinstance(item, str)]
    return import_ids[0] if import_ids else str(contact["_id"])


def _values(contact: dict[str, Any], key: str, inner: str) -> list[str]:
    return [str(item[inner]) for item in contact.get(key) or [] if isinstance(item, dict) and inner in item]


async def chunks(
    storage: Storage, *, fmt: str, search: str | None, unknown: bool | None, page: int = PAGE
) -> AsyncIterator[tuple[bytes, int]]:
    """The file, one page of contacts at a time: (bytes, how many contacts they hold)."""
    async with storage.connection() as conn:
        fields = [field.id for field in await customfields_service.allowed_visitor_fields(conn)]
    if fmt == "csv":
        yield _csv_line(["id", "name", "emails", "phones", "manager", *fields]), 0
    after = ""
    term = (search or "").lower()
    while True:
        async with storage.connection() as conn:
            contacts = await contacts_repository.export_page(
                conn, term=term, unknown=unknown, after_id=after, limit=page
            )
            managers = sorted({c["contactManager"] for c in contacts if isinstance(c.get("contactManager"), str)})
            users = await accounts_repository.find_user_docs(conn, managers) if fmt == "csv" and managers else {}
        if not contacts:
            return
        after = str(contacts[-1]["_id"])
        out = bytearray()
        for contact in contacts:
            custom = contact.get("customFields") or {}
            if fmt == "csv":
                manager = users.get(contact.get("contactManager") or "", {}).get("username", "")
                out += _csv_line(
                    [
                        _source_id(contact),
                        contact.get("name") or "",
                        SEPARATOR.join(_values(contact, "emails", "address")),
                        SEPARATOR.join(_values(contact, "phones", "phoneNumber")),
                        manager,
                        *(str(custom.get(key, "")) for key in fields),
                    ]
                )
            else:
                row: dict[str, Any] = {
                    "id": _source_id(contact),
                    "name": contact.get("name") or "",
                    "emails": _values(contact, "emails", "address"),
                    "phones": _values(contact, "phones", "phoneNumber"),
                    "customFields": {key: custom[key] for key in fields if key in custom},
                }
                if isinstance(contact.get("contactManager"), str):
                    row["contactManager"] = contact["contactManager"]
                out += orjson.dumps(row) + b"\n"
        yield bytes(out), len(contacts)


def _csv_line(values: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()
