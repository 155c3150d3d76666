"""GET omnichannel/contacts.checkExistence: spec §2.9, e2e tests 53-61."""

from typing import Any

import pytest

from tests.support import FORBIDDEN, LOGGED_OUT, Api

PHONE = "(555) 123-4567 x89"
EMAIL = "Someone@Example.com"


@pytest.fixture
def contact_id(api: Api) -> str:
    response = api.post("omnichannel/contacts", {"name": "Exists", "emails": [EMAIL], "phones": [PHONE]})
    return str(response.json()["contactId"])


def check(api: Api, **params: Any) -> Any:
    return api.get("omnichannel/contacts.checkExistence", params)


@pytest.mark.parametrize(
    ("key", "value", "exists"),
    [
        ("email", EMAIL, True),
        ("email", "someone@example.com", False),
        ("email", "invalid-email@example.com", False),
        ("phone", PHONE, True),
        ("phone", "5551234567", False),
        ("phone", "invalid-phone", False),
        ("contactId", "invalid-contact-id", False),
    ],
)
def test_exact_equality(api: Api, contact_id: str, key: str, value: str, exists: bool) -> None:
    response = check(api, **{key: value})

    assert response.status_code == 200
    assert response.json() == {"exists": exists, "success": True}


def test_by_id(api: Api, contact_id: str) -> None:
    assert check(api, contactId=contact_id).json() == {"exists": True, "success": True}


def test_a_deleted_contact_exists_by_id_only(api: Api, contact_id: str) -> None:
    assert api.post("omnichannel/contacts.delete", {"contactId": contact_id}).status_code == 200

    assert check(api, contactId=contact_id).json()["exists"] is True
    assert check(api, email=EMAIL).json()["exists"] is False
    assert check(api, phone=PHONE).json()["exists"] is False


def test_an_updated_email_is_found_and_the_old_one_is_not(api: Api, contact_id: str) -> None:
    api.post("omnichannel/contacts.update", {"contactId": contact_id, "emails": ["new@example.com"]})

    assert check(api, email="new@example.com").json()["exists"] is True
    assert check(api, email=EMAIL).json()["exists"] is False


def lines(response: Any) -> list[str]:
    body = response.json()
    assert body["success"] is False
    assert body["errorType"] == "invalid-params"
    return [line.strip() for line in body["error"].split("\n")]


def test_none_given(api: Api) -> None:
    response = check(api)

    assert response.status_code == 400
    assert lines(response) == [
        "must have required property 'contactId'",
        "must have required property 'email'",
        "must have required property 'phone'",
        "must match exactly one schema in oneOf [invalid-params]",
    ]


def test_all_given(api: Api) -> None:
    response = check(api, contactId="x", email="a@b", phone="1")

    assert response.status_code == 400
    assert lines(response) == ["must NOT have additional properties"] * 3 + [
        "must match exactly one schema in oneOf [invalid-params]"
    ]


def test_malformed_email_and_empty_values(api: Api) -> None:
    assert lines(check(api, email="no-at-sign")) == [
        "must have required property 'contactId'",
        'must match format "basic_email"',
        "must have required property 'phone'",
        "must match exactly one schema in oneOf [invalid-params]",
    ]
    assert lines(check(api, phone=" ")) == [
        "must have required property 'contactId'",
        "must have required property 'email'",
        'must pass "isNotEmpty" keyword validation',
        "must match exactly one schema in oneOf [invalid-params]",
    ]


def test_permission_and_login(api: Api, anon: Api, contact_id: str) -> None:
    assert check(anon, contactId=contact_id).json() == LOGGED_OUT
    api.set_permission("view-livechat-contact", [])

    response = check(api, contactId=contact_id)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
