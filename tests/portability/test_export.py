"""GET omnichannel/contacts.export and `omnicontacts export`: CSV and JSON Lines that the import
reads back into the same contacts, streamed page by page."""

import asyncio
import csv
import io
import tracemalloc
from typing import Any

import orjson
import pytest

from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.contacts import service
from omnicontacts.portability import exporter
from omnicontacts.storage import Connection, open_storage
from tests.contacts.conversations import create_custom_field, run
from tests.livechat.steps import create_agent, create_contact, get_contact
from tests.portability.helpers import import_file, search
from tests.support import Api, RunningServer

KEPT = ("name", "emails", "phones", "customFields", "contactManager", "importIds")


def _forget_contacts(server: RunningServer) -> None:
    """Empty the contact tables only (custom field definitions and users stay)."""

    async def forget(conn: Connection) -> None:
        for table in ("contact_import_ids", "contact_events", "contact_number_keys", "contact_emails"):
            await conn.execute(f"DELETE FROM {table}")
        for table in ("contact_phones", "contact_channels", "contacts"):
            await conn.execute(f"DELETE FROM {table}")

    run(server, forget)


def _seed(api: Api) -> tuple[dict[str, Any], list[str]]:
    create_custom_field(api, "plan", "Plan")
    agent, _ = create_agent(api)
    ids = [
        create_contact(
            api,
            'Ann, "the" Lee',
            ["ann@example.com", "ann2@example.com"],
            ["+1 555 0100"],
            customFields={"plan": "gold"},
            contactManager=agent["_id"],
        ),
        create_contact(api, "Bob", [], ["+1 555 0200"]),
        create_contact(api, "Cid\nMultiline", ["cid@example.com"], []),
    ]
    return agent, ids


def _comparable(api: Api, contact_ids: list[str] | None = None) -> list[dict[str, Any]]:
    found = contact_ids or [contact["_id"] for contact in search(api)]
    docs = [get_contact(api, contact_id) for contact_id in found]
    return sorted(({key: doc.get(key) for key in KEPT if key != "importIds"} for doc in docs), key=lambda d: d["name"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_imported_again_gives_back_the_same_contacts(api: Api, server: RunningServer, fmt: str) -> None:
    _, ids = _seed(api)
    before = _comparable(api, ids)

    response = api.get("omnichannel/contacts.export", params={"format": fmt})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(exporter.MEDIA_TYPES[fmt].split(";")[0])
    assert response.headers["content-disposition"] == f'attachment; filename="contacts.{fmt}"'
    _forget_contacts(server)
    body = import_file(api, response.content, f"contacts.{fmt}")
    assert body["import"]["counts"]["created"] == 3, body
    assert _comparable(api) == before
    # The source ids are the exported contacts' ids: a second import of it changes nothing.
    assert sorted(contact["importIds"][0] for contact in search(api)) == sorted(ids)
    again = import_file(api, response.content, f"contacts.{fmt}")
    assert again["import"]["counts"]["unchanged"] == 3


def test_csv_export_content_and_filters(api: Api) -> None:
    agent, ids = _seed(api)

    rows = list(csv.reader(io.StringIO(api.get("omnichannel/contacts.export").text)))

    assert rows[0] == ["id", "name", "emails", "phones", "manager", "plan"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[ids[0]] == [
        ids[0],
        'Ann, "the" Lee',
        "ann@example.com;ann2@example.com",
        "+1 555 0100",
        agent["username"],
        "gold",
    ]
    assert by_id[ids[2]][1] == "Cid\nMultiline"
    only_bob = api.get("omnichannel/contacts.export", params={"format": "jsonl", "searchText": "bob"}).content
    assert [orjson.loads(line)["name"] for line in only_bob.splitlines()] == ["Bob"]
    none_unknown = api.get("omnichannel/contacts.export", params={"format": "jsonl", "unknown": "true"}).content
    assert none_unknown == b""


def test_export_permissions_and_errors(api: Api) -> None:
    assert api.get("omnichannel/contacts.export", params={"format": "xml"}).status_code == 400
    api.set_permission("view-livechat-contact", [])
    denied = api.get("omnichannel/contacts.export")
    assert denied.status_code == 403
    assert api.anonymous().get("omnichannel/contacts.export").status_code == 401


def _store_many(server: RunningServer, count: int) -> None:
    async def store(conn: Connection) -> None:
        docs = [
            service.new_contact_doc(
                name=f"Person {index}",
                emails=[f"p{index}@example.com", f"q{index}@example.org"],
                phones=[f"+1 555 {index:07d}"],
                custom_fields={},
                contact_manager=None,
            )
            for index in range(count)
        ]
        await contacts_repository.insert_contacts(conn, docs)

    run(server, store)


def _peak_while_exporting(server: RunningServer) -> tuple[int, int]:
    """(contacts written, peak bytes allocated while writing them to nowhere)."""

    async def export() -> int:
        storage = await open_storage(server.settings)
        written = 0
        try:
            async for _, rows in exporter.chunks(storage, fmt="csv", search=None, unknown=None, page=500):
                written += rows
        finally:
            await storage.close()
        return written

    tracemalloc.start()
    try:
        written = asyncio.run(export())
        return written, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_the_number_of_contacts(api: Api, server: RunningServer) -> None:
    _store_many(server, 2000)
    small, small_peak = _peak_while_exporting(server)
    _store_many(server, 14000)
    large, large_peak = _peak_while_exporting(server)

    assert (small, large) == (2000, 16000)
    # Eight times the contacts, about the same peak: one page is held at a time.
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)
    # And the REST download arrives in pieces, without a length announced up front.
    with api.client.stream("GET", "/api/v1/omnichannel/contacts.export") as response:
        assert "content-length" not in response.headers
        pieces = sum(1 for _ in response.iter_raw())
    assert pieces > 1
