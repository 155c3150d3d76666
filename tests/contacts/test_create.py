"""POST omnichannel/contacts: spec §2.4 and §2.4.1, e2e tests 1-19."""

from typing import Any

import pytest

from tests.contacts.conversations import create_custom_field, find_contact
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer

CONTACT = {"name": "Jane Roe", "emails": ["jane@example.com"], "phones": ["+1 (555) 010-9999"]}


def create(api: Api, body: Any) -> Any:
    return api.post("omnichannel/contacts", body)


def invalid(error: str) -> dict[str, Any]:
    return {"success": False, "error": f"{error} [invalid-params]", "errorType": "invalid-params"}


def test_creates_a_known_pre_registered_contact(api: Api, server: RunningServer) -> None:
    response = create(api, CONTACT)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["contactId", "success"]
    assert body["success"] is True
    contact_id = body["contactId"]
    assert len(contact_id) == 24 and int(contact_id, 16) >= 0

    contact = api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]
    assert list(contact) == [
        "_id", "createdAt", "name", "emails", "phones", "channels", "customFields", "unknown",
        "preRegistration", "_updatedAt",
    ]  # fmt: skip
    assert contact["_id"] == contact_id
    assert contact["name"] == "Jane Roe"
    assert contact["emails"] == [{"address": "jane@example.com"}]
    assert contact["phones"] == [{"phoneNumber": "+1 (555) 010-9999"}]
    assert contact["channels"] == []
    assert contact["customFields"] == {}
    assert contact["unknown"] is False
    assert contact["preRegistration"] is True
    assert contact["createdAt"] == contact["_updatedAt"]
    assert contact["createdAt"].endswith("Z") and len(contact["createdAt"]) == 24


def test_emails_are_stored_as_sent(api: Api) -> None:
    contact_id = create(api, {"name": "Case", "emails": ["Mixed.Case@Example.COM"], "phones": []}).json()["contactId"]

    contact = api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]

    assert contact["emails"] == [{"address": "Mixed.Case@Example.COM"}]
    assert contact["phones"] == []


def test_numbers_are_coerced_to_strings(api: Api) -> None:
    contact_id = create(api, {"name": 42, "emails": [], "phones": [5550100]}).json()["contactId"]

    contact = api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]

    assert contact["name"] == "42"
    assert contact["phones"] == [{"phoneNumber": "5550100"}]


def test_duplicates_across_contacts_are_allowed(api: Api) -> None:
    first = create(api, CONTACT).json()["contactId"]
    second = create(api, CONTACT).json()["contactId"]

    assert first != second


def test_null_manager_and_custom_fields_are_absent_or_empty(api: Api) -> None:
    contact_id = create(api, {**CONTACT, "contactManager": None, "customFields": None}).json()["contactId"]

    contact = api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]

    assert "contactManager" not in contact
    assert contact["customFields"] == {}


def test_a_contact_manager_who_is_an_agent(api: Api) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])

    contact_id = create(api, {**CONTACT, "contactManager": agent["_id"]}).json()["contactId"]

    contact = api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]
    assert contact["contactManager"] == agent["_id"]
    assert list(contact).index("contactManager") == list(contact).index("phones") + 1


@pytest.mark.parametrize("manager", ["invalid", "user"])
def test_a_contact_manager_must_be_an_existing_agent(api: Api, server: RunningServer, manager: str) -> None:
    manager_id = api.create_user()["_id"] if manager == "user" else manager

    response = create(api, {**CONTACT, "contactManager": manager_id})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-contact-manager-not-found"}


def test_permission_is_required(api: Api) -> None:
    api.set_permission("create-livechat-contact", [])

    response = create(api, CONTACT)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_permission_is_checked_before_parameters(api: Api) -> None:
    api.set_permission("create-livechat-contact", [])

    response = create(api, {})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_an_agent_may_create(api: Api) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])
    agent_api = api.as_user(api.login(agent["username"]))

    assert create(agent_api, CONTACT).status_code == 200
    assert create(api.as_user(api.login(api.create_user()["username"])), CONTACT).status_code == 403


def test_login_is_required(anon: Api) -> None:
    response = create(anon, CONTACT)

    assert response.status_code == 401
    assert response.json() == LOGGED_OUT


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"emails": [], "phones": []}, "must have required property 'name'"),
        ({"name": "x", "phones": []}, "must have required property 'emails'"),
        ({"name": "x", "emails": []}, "must have required property 'phones'"),
        ({"name": "x", "emails": "invalid", "phones": []}, "must be array"),
        ({"name": "x", "emails": [{"invalid": True}], "phones": []}, "must be string"),
        ({"name": "x", "emails": [], "phones": [{"invalid": True}]}, "must be string"),
        ({**CONTACT, "additional": "invalid"}, "must NOT have additional properties"),
        ({**CONTACT, "customFields": "x"}, "must be object"),
        ({**CONTACT, "contactManager": {"id": 1}}, "must be string"),
        (
            {"name": "x", "emails": ["a@b.c", "a@b.c"], "phones": []},
            "must NOT have duplicate items (items ## 1 and 0 are identical)",
        ),
    ],
)
def test_validation_messages(api: Api, body: dict[str, Any], error: str) -> None:
    response = create(api, body)

    assert response.status_code == 400
    assert response.json() == invalid(error)


class TestCustomFields:
    @pytest.fixture(autouse=True)
    def fields(self, api: Api) -> None:
        create_custom_field(api, "cf1", "Custom Field 1", required=True, regexp="^[0-9]+$")
        create_custom_field(api, "cf2", "Custom Field 2", regexp="^[0-9]+$")
        create_custom_field(api, "hiddenField", "Hidden", visibility="hidden", required=True)
        api.post(
            "livechat/custom-fields.save",
            {
                "customFieldId": None,
                "customFieldData": {"field": "roomField", "label": "Room", "scope": "room", "visibility": "public"},
            },
        )

    def test_valid_values_are_trimmed_and_kept(self, api: Api, server: RunningServer) -> None:
        body = {**CONTACT, "customFields": {"cf1": " 123 ", "cf2": "456"}}

        contact_id = create(api, body).json()["contactId"]

        contact = find_contact(server, contact_id)
        assert contact is not None
        assert contact["customFields"] == {"cf1": "123", "cf2": "456"}

    def test_optional_empty_values_are_dropped(self, api: Api, server: RunningServer) -> None:
        contact_id = create(api, {**CONTACT, "customFields": {"cf1": "1", "cf2": "  "}}).json()["contactId"]

        contact = find_contact(server, contact_id)
        assert contact is not None
        assert contact["customFields"] == {"cf1": "1"}

    @pytest.mark.parametrize(
        "custom_fields",
        [None, {}, {"cf1": ""}, {"cf1": "   "}, {"cf1": "invalid"}, {"cf1": 123}, {"cf1": "12", "cf2": "x"}],
    )
    def test_required_or_mismatching_values_are_refused(self, api: Api, custom_fields: Any) -> None:
        body = {**CONTACT, **({"customFields": custom_fields} if custom_fields is not None else {})}

        response = create(api, body)

        assert response.status_code == 400
        label = "Custom Field 2" if custom_fields == {"cf1": "12", "cf2": "x"} else "Custom Field 1"
        assert response.json() == {"success": False, "error": f"Invalid value for {label} field"}

    @pytest.mark.parametrize("key", ["cf3", "hiddenField", "roomField"])
    def test_unknown_hidden_and_room_keys_are_not_allowed(self, api: Api, key: str) -> None:
        response = create(api, {**CONTACT, "customFields": {"cf1": "1", key: "1"}})

        assert response.status_code == 400
        assert response.json() == {"success": False, "error": f"Custom field {key} is not allowed"}

    def test_the_id_names_a_field_without_label(self, api: Api) -> None:
        create_custom_field(api, "nolabel", "", required=True)

        response = create(api, {**CONTACT, "customFields": {"cf1": "1"}})

        assert response.json() == {"success": False, "error": "Invalid value for nolabel field"}
