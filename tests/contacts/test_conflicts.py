"""POST omnichannel/contacts.conflicts: spec §2.6 and e2e test 35."""

from typing import Any

import pytest

from tests.contacts.conversations import contact_doc, store_contacts
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer

CONFLICTS = [
    {"field": "name", "value": "Visitor Name"},
    {"field": "manager", "value": "agent-2"},
    {"field": "customFields.cf1", "value": "456"},
    {"field": "customFields.cf2", "value": "9"},
]


@pytest.fixture
def conflicted(api: Api, server: RunningServer) -> dict[str, Any]:
    contact = contact_doc(
        "Contact Name", unknown=True, customFields={"cf1": "123", "legacy": "x"}, conflictingFields=CONFLICTS
    )
    store_contacts(server, contact)
    return contact


def resolve(api: Api, body: Any) -> Any:
    return api.post("omnichannel/contacts.conflicts", body)


def test_resolves_a_custom_field_conflict(api: Api, conflicted: dict[str, Any]) -> None:
    response = resolve(api, {"contactId": conflicted["_id"], "customFields": {"cf1": "123"}})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["result", "success"]
    result = body["result"]
    assert result["customFields"] == {"cf1": "123", "legacy": "x"}
    assert result["conflictingFields"] == [CONFLICTS[0], CONFLICTS[1], CONFLICTS[3]]
    assert result["unknown"] is False
    assert result == api.get("omnichannel/contacts.get", {"contactId": conflicted["_id"]}).json()["contact"]


def test_merges_custom_fields_without_validation(api: Api, conflicted: dict[str, Any]) -> None:
    result = resolve(api, {"contactId": conflicted["_id"], "customFields": {"cf2": "anything", "new": 1}}).json()

    assert result["result"]["customFields"] == {"cf1": "123", "legacy": "x", "cf2": "anything", "new": 1}


def test_name_and_manager(api: Api, conflicted: dict[str, Any]) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])

    result = resolve(
        api, {"contactId": conflicted["_id"], "name": "Visitor Name", "contactManager": agent["_id"]}
    ).json()["result"]

    assert result["name"] == "Visitor Name"
    assert result["contactManager"] == agent["_id"]
    assert result["conflictingFields"] == CONFLICTS[2:]


def test_empty_manager_unsets_it_and_resolves_the_manager_conflict(api: Api, server: RunningServer) -> None:
    contact = contact_doc("C", contactManager="someone", conflictingFields=CONFLICTS[1:2])
    store_contacts(server, contact)

    result = resolve(api, {"contactId": contact["_id"], "contactManager": ""}).json()["result"]

    assert "contactManager" not in result
    assert result["conflictingFields"] == []


def test_wipe_conflicts_counts_them(api: Api, conflicted: dict[str, Any]) -> None:
    result = resolve(api, {"contactId": conflicted["_id"], "wipeConflicts": True}).json()["result"]

    assert result["conflictingFields"] == []
    assert api.get("settings/Resolved_Conflicts_Count").json()["value"] == 4


def test_records_an_event(api: Api, conflicted: dict[str, Any], server: RunningServer) -> None:
    from tests.contacts.conversations import run

    resolve(api, {"contactId": conflicted["_id"], "name": "Visitor Name"})

    rows = run(
        server, lambda conn: conn.fetch("SELECT doc FROM contact_events WHERE contact_id = $1", conflicted["_id"])
    )
    assert len(rows) == 1
    assert '"conflicts-resolved"' in rows[0]["doc"]


def test_a_contact_without_conflicts(api: Api, server: RunningServer) -> None:
    contact = contact_doc("Calm", conflictingFields=[])
    store_contacts(server, contact)

    response = resolve(api, {"contactId": contact["_id"], "name": "x"})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-contact-has-no-conflicts"}


def test_unknown_contact_and_bad_manager(api: Api, conflicted: dict[str, Any]) -> None:
    assert resolve(api, {"contactId": "invalid"}).json() == {"success": False, "error": "error-contact-not-found"}
    response = resolve(api, {"contactId": conflicted["_id"], "contactManager": "nobody"})
    assert response.json() == {"success": False, "error": "error-contact-manager-not-found"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "must have required property 'contactId'"),
        ({"contactId": "x", "customFields": None}, "must be object"),
        ({"contactId": "x", "emails": []}, "must NOT have additional properties"),
    ],
)
def test_validation(api: Api, body: dict[str, Any], error: str) -> None:
    response = resolve(api, body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": f"{error} [invalid-params]", "errorType": "invalid-params"}


def test_permission_and_login(api: Api, anon: Api, conflicted: dict[str, Any]) -> None:
    assert resolve(anon, {"contactId": conflicted["_id"]}).json() == LOGGED_OUT
    api.set_permission("update-livechat-contact", [])

    response = resolve(api, {"contactId": conflicted["_id"]})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
