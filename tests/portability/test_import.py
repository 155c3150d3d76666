"""Bulk import through POST/GET omnichannel/contacts.import: the report of bad rows, re-runs,
and merges into contacts that already exist."""

from typing import Any

from tests.contacts.conversations import create_custom_field
from tests.livechat.steps import create_agent, create_contact, get_contact
from tests.portability.helpers import import_file, search, upload, wait
from tests.support import Api

BAD_ROWS = (
    b"name,emails,phones,manager,id,plan\n"  # 1
    b"Ann Lee,ann@example.com;ann.lee@example.org,+1 555 0100,{agent},s-1,gold\n"  # 2
    b"Bad Mail,not-an-email,,,s-2,\n"  # 3
    b",,,,s-3,\n"  # 4
    b"No Manager,nm@example.com,,ghost,s-4,\n"  # 5
    b"Bad Plan,bp@example.com,,,s-5,Gold1\n"  # 6
    b"{long},long@example.com,,,s-6,\n"  # 7
    b'"Broken quote,bq@example.com,,,s-7,\n'  # 8
    b"Good After,ga@example.com,,,s-8,\n"  # 9
)
LATIN1 = "Zoë Broken,zoe@example.com,,,s-9,\n".encode("latin-1")  # 10


def _contacts_by_name(api: Api) -> dict[str, dict[str, Any]]:
    return {contact["name"]: contact for contact in search(api)}


def test_every_kind_of_bad_row_is_reported_with_its_line(api: Api) -> None:
    create_custom_field(api, "plan", "Plan", regexp="^[a-z]+$")
    agent, _ = create_agent(api)
    content = BAD_ROWS.replace(b"{agent}", agent["username"].encode()).replace(b"{long}", b"x" * 300) + LATIN1

    body = import_file(api, content)

    job = body["import"]
    assert job["status"] == "done"
    assert job["counts"] == {"rows": 9, "created": 2, "updated": 0, "merged": 0, "unchanged": 0, "rejected": 7}
    assert body["rejections"] == [
        {"line": 3, "reason": "bad email: not-an-email"},
        {"line": 4, "reason": "no name, email or phone"},
        {"line": 5, "reason": "unknown manager: ghost"},
        {"line": 6, "reason": "Invalid value for Plan field"},
        {"line": 7, "reason": "name is longer than 256 characters"},
        {"line": 8, "reason": "broken quoting"},
        {"line": 10, "reason": "wrong encoding (the line is not UTF-8)"},
    ]
    contacts = _contacts_by_name(api)
    assert set(contacts) == {"Ann Lee", "Good After"}
    ann = get_contact(api, contacts["Ann Lee"]["_id"])
    assert ann["emails"] == [{"address": "ann@example.com"}, {"address": "ann.lee@example.org"}]
    assert ann["phones"] == [{"phoneNumber": "+1 555 0100"}]
    assert ann["contactManager"] == agent["_id"]
    assert ann["customFields"] == {"plan": "gold"}
    assert ann["importIds"] == ["s-1"]
    assert ann["preRegistration"] is True
    assert ann["unknown"] is False
    assert ann["channels"] == []


def test_a_rerun_of_the_same_file_updates_instead_of_duplicating(api: Api) -> None:
    first = import_file(api, b"id,name,emails\ns-1,Ann,ann@example.com\ns-2,Bob,bob@example.com\n")
    assert first["import"]["counts"]["created"] == 2

    again = import_file(api, b"id,name,emails\ns-1,Ann,ann@example.com\ns-2,Bob,bob@example.com\n")
    changed = import_file(api, b"id,name,emails\ns-1,Ann Marie,ann@example.com\ns-2,Bob,bob@example.com\n")

    assert again["import"]["counts"] == {
        "rows": 2,
        "created": 0,
        "updated": 0,
        "merged": 0,
        "unchanged": 2,
        "rejected": 0,
    }
    assert changed["import"]["counts"]["updated"] == 1
    assert sorted(contact["name"] for contact in search(api)) == ["Ann Marie", "Bob"]


def test_a_row_matching_a_registered_contact_merges_with_a_conflict(api: Api) -> None:
    contact_id = create_contact(api, "Ann Lee", ["ann@example.com"], [])

    body = import_file(api, b"name,emails,phones\nAnn Smith,ann@example.com,+1 555 0199\n")

    assert body["import"]["counts"]["merged"] == 1
    contact = get_contact(api, contact_id)
    assert contact["name"] == "Ann Lee"
    assert contact["conflictingFields"] == [{"field": "name", "value": "Ann Smith"}]
    assert contact["phones"] == [{"phoneNumber": "+1 555 0199"}]
    events = api.get("omnichannel/contacts.events", params={"contactId": contact_id}).json()["events"]
    assert events[0]["type"] == "merged"
    assert events[0]["actor"]["type"] == "import"
    assert events[0]["actor"]["_id"] == body["import"]["_id"]
    assert events[0]["changes"] == {
        "phones": ["+1 555 0199"],
        "conflictingFields": [{"field": "name", "value": "Ann Smith"}],
    }
    assert len(search(api)) == 1


def test_rows_sharing_an_email_in_one_file_become_one_contact(api: Api) -> None:
    body = import_file(api, b"name,emails\nAnn,ann@example.com\nAnnie,ann@example.com;a2@example.com\n")

    assert body["import"]["counts"]["created"] == 1
    assert body["import"]["counts"]["merged"] == 1
    (contact,) = search(api)
    assert contact["name"] == "Ann"
    assert contact["conflictingFields"] == [{"field": "name", "value": "Annie"}]


def test_json_lines_take_the_create_contact_shape(api: Api) -> None:
    agent, _ = create_agent(api)
    lines = [
        b'{"id": "j-1", "name": "Jo", "emails": ["jo@example.com"], "phones": [], "contactManager": "%s"}'
        % agent["_id"].encode(),
        b'{"name": "No Lists"}',
        b'{"name": "Extra", "emails": [], "phones": [], "color": "red"}',
        b"{not json",
        b'{"name": "Dup", "emails": ["d@example.com", "d@example.com"], "phones": []}',
    ]

    body = import_file(api, b"\n".join(lines) + b"\n", "contacts.jsonl")

    assert body["import"]["format"] == "jsonl"
    assert body["import"]["counts"]["created"] == 1
    reasons = {item["line"]: item["reason"] for item in body["rejections"]}
    assert reasons[2] == "must have required property 'emails'"
    assert reasons[3] == "must NOT have additional properties"
    assert reasons[4].startswith("invalid JSON: ")
    assert reasons[5] == "must NOT have duplicate items (items ## 1 and 0 are identical)"
    (contact,) = search(api)
    assert get_contact(api, contact["_id"])["contactManager"] == agent["_id"]


def test_a_header_without_contact_columns_fails_the_import(api: Api) -> None:
    body = import_file(api, b"foo,bar\n1,2\n")

    assert body["import"]["status"] == "failed"
    assert body["import"]["error"] == "the header names none of the columns name, emails, phones"
    assert search(api) == []


def test_import_permissions_and_errors(api: Api) -> None:
    _agent, agent_api = create_agent(api)
    denied = agent_api.client.post("/api/v1/omnichannel/contacts.import", files={"file": ("a.csv", b"name\nx\n")})
    assert denied.status_code == 403
    assert agent_api.get("omnichannel/contacts.import", params={"importId": "x"}).status_code == 403
    no_file = api.client.post("/api/v1/omnichannel/contacts.import", data={"format": "csv"})
    assert no_file.status_code == 400
    assert no_file.json() == {"success": False, "error": "The 'file' param is required"}
    bad_format = api.client.post(
        "/api/v1/omnichannel/contacts.import", files={"file": ("a.csv", b"name\nx\n")}, data={"format": "xml"}
    )
    assert bad_format.status_code == 400
    assert bad_format.json()["errorType"] == "invalid-params"
    assert api.get("omnichannel/contacts.import", params={"importId": "nope"}).json() == {
        "success": False,
        "error": "error-import-not-found",
    }
    assert api.anonymous().get("omnichannel/contacts.import", params={"importId": "x"}).status_code == 401
    import_id = upload(api, b"name\nx\n")
    assert api.get("omnichannel/contacts.import", params={"importId": import_id}).status_code == 200
    assert wait(api, import_id)["import"]["status"] == "done"
