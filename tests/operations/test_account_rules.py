"""Rocket.Chat's username pattern and password policy on users.create."""

from typing import Any

import pytest

from tests.support import Api


def _create(api: Api, username: str, password: str) -> Any:
    return api.post(
        "users.create",
        {"email": f"{abs(hash(username))}@example.com", "name": "New", "username": username, "password": password},
    )


def test_username_with_a_space_is_refused(api: Api) -> None:
    response = _create(api, "john doe", "pass")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "john doe is not a valid username [error-input-is-not-a-valid-field]",
        "errorType": "error-input-is-not-a-valid-field",
        "details": {"method": "insertOrUpdateUser", "input": "john doe", "field": "Username"},
    }


def test_username_pattern_follows_the_setting(api: Api) -> None:
    assert api.post("settings/UTF8_User_Names_Validation", {"value": "[a-z]+"}).status_code == 200

    refused = _create(api, "john.doe", "pass")
    accepted = _create(api, "johndoe", "pass")

    assert refused.status_code == 400
    assert refused.json()["errorType"] == "error-input-is-not-a-valid-field"
    assert accepted.status_code == 200, accepted.text


def test_empty_password_is_required(api: Api) -> None:
    response = _create(api, "newuser", "")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The field Password is required [error-the-field-is-required]",
        "errorType": "error-the-field-is-required",
        "details": {"method": "insertOrUpdateUser", "field": "Password"},
    }


def test_blank_password_fails_the_policy_even_when_it_is_off(api: Api) -> None:
    response = _create(api, "newuser", "   ")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The password provided does not meet the server's password policy. [error-password-policy-not-met]",
        "errorType": "error-password-policy-not-met",
    }


def test_policy_off_by_default_accepts_a_short_password(api: Api) -> None:
    assert _create(api, "shorty", "a").status_code == 200


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        (
            "abc",
            ["minLength", "oneUppercase", "oneNumber", "oneSpecial"],
        ),
        ("Aaaaa1!x", ["repeatingCharacters"]),
        ("ABCDEFG1!", ["oneLowercase"]),
    ],
)
def test_policy_lists_every_unmet_rule(api: Api, password: str, reasons: list[str]) -> None:
    assert api.post("settings/Accounts_Password_Policy_Enabled", {"value": True}).status_code == 200

    response = _create(api, "policyuser", password)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == (
        "The password provided does not meet the server's password policy. [error-password-policy-not-met]"
    )
    assert body["errorType"] == "error-password-policy-not-met"
    assert [detail["error"] for detail in body["details"]] == [f"error-password-policy-not-met-{r}" for r in reasons]
    messages = {detail["error"]: detail["message"] for detail in body["details"]}
    if "minLength" in reasons:
        assert messages["error-password-policy-not-met-minLength"] == (
            "The password does not meet the minimum length password policy."
        )


def test_policy_accepts_a_good_password(api: Api) -> None:
    assert api.post("settings/Accounts_Password_Policy_Enabled", {"value": True}).status_code == 200

    assert _create(api, "gooduser", "Str0ng!pass").status_code == 200
