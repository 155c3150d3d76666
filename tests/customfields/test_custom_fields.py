"""Livechat custom field definitions: GET livechat/custom-fields(/:_id), POST .save and .delete
(supporting research §11.2)."""

from typing import Any

import pytest

from tests.support import FORBIDDEN, LOGGED_OUT, Api

FIELD = {
    "field": "cf1",
    "label": "Custom Field 1",
    "scope": "visitor",
    "visibility": "public",
    "type": "input",
    "regexp": "^[0-9]+$",
    "searchable": True,
    "public": True,
    "required": True,
}


def save(api: Api, data: dict[str, Any], field_id: str | None = None) -> Any:
    return api.post("livechat/custom-fields.save", {"customFieldId": field_id, "customFieldData": data})


def test_create_answers_the_record(api: Api) -> None:
    response = save(api, FIELD)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["customField", "success"]
    record = body["customField"]
    assert list(record) == [
        "label", "scope", "visibility", "type", "regexp", "searchable", "public", "required", "_id", "_updatedAt",
    ]  # fmt: skip
    assert record["_id"] == "cf1"
    assert record["label"] == "Custom Field 1"

    stored = api.get("livechat/custom-fields/cf1").json()
    assert stored["customField"]["_id"] == "cf1"
    assert next(iter(stored["customField"])) == "_id"
    assert {key: value for key, value in stored["customField"].items() if key != "_id"} == {
        key: value for key, value in record.items() if key != "_id"
    }


def test_create_twice_fails(api: Api) -> None:
    save(api, FIELD)

    response = save(api, {**FIELD, "label": "Other"})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "Custom Field already exists"}
    assert api.get("livechat/custom-fields/cf1").json()["customField"]["label"] == "Custom Field 1"


def test_update_keeps_the_id_and_answers_without_it(api: Api) -> None:
    save(api, FIELD)

    response = save(api, {**FIELD, "field": "ignored", "label": "Renamed", "required": False}, field_id="cf1")

    assert response.status_code == 200
    record = response.json()["customField"]
    assert "_id" not in record
    assert record["label"] == "Renamed"
    stored = api.get("livechat/custom-fields/cf1").json()["customField"]
    assert (stored["_id"], stored["label"], stored["required"]) == ("cf1", "Renamed", False)
    assert api.get("livechat/custom-fields/ignored").json()["customField"] is None


def test_update_of_an_unknown_field(api: Api) -> None:
    response = save(api, FIELD, field_id="missing")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "Custom Field Not found"}


def test_get_unknown_is_null_even_with_spaces(api: Api) -> None:
    response = api.get("livechat/custom-fields/Custom Field 1")

    assert response.status_code == 200
    assert response.json() == {"customField": None, "success": True}


def test_ids_with_spaces_are_found(api: Api) -> None:
    save(api, {**FIELD, "field": "with space"})

    assert api.get("livechat/custom-fields/with%20space").json()["customField"]["_id"] == "with space"


def test_delete(api: Api) -> None:
    save(api, FIELD)

    response = api.post("livechat/custom-fields.delete", {"customFieldId": "cf1"})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert api.get("livechat/custom-fields/cf1").json()["customField"] is None
    again = api.post("livechat/custom-fields.delete", {"customFieldId": "cf1"})
    assert again.status_code == 400
    assert again.json() == {"success": False, "error": "Custom field not found"}


def test_list_filters_sorts_and_pages(api: Api) -> None:
    for field_id, label in (("zeta", "Alpha label"), ("alpha", "beta"), ("mid", "Gamma"), ("x_y", "50% off")):
        save(api, {**FIELD, "field": field_id, "label": label})

    body = api.get("livechat/custom-fields").json()
    assert list(body) == ["customFields", "count", "offset", "total", "success"]
    assert [item["_id"] for item in body["customFields"]] == ["x_y", "zeta", "mid", "alpha"]
    assert (body["count"], body["offset"], body["total"]) == (4, 0, 4)

    page = api.get("livechat/custom-fields", {"count": 2, "offset": 1}).json()
    assert [item["_id"] for item in page["customFields"]] == ["zeta", "mid"]
    assert (page["count"], page["total"]) == (2, 4)

    assert [item["_id"] for item in api.get("livechat/custom-fields", {"text": "ALPHA"}).json()["customFields"]] == [
        "zeta",
        "alpha",
    ]
    assert [item["_id"] for item in api.get("livechat/custom-fields", {"text": "%"}).json()["customFields"]] == ["x_y"]
    assert [item["_id"] for item in api.get("livechat/custom-fields", {"text": "_"}).json()["customFields"]] == ["x_y"]
    assert api.get("livechat/custom-fields", {"text": ".*"}).json()["total"] == 0
    by_id = api.get("livechat/custom-fields", {"sort": '{"_id":-1}'}).json()["customFields"]
    assert [item["_id"] for item in by_id] == ["zeta", "x_y", "mid", "alpha"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "must have required property 'customFieldData'"),
        (
            {"customFieldData": {"label": "x", "scope": "visitor", "visibility": "public"}},
            "must have required property 'field'",
        ),
        ({"customFieldData": {**FIELD, "scope": "other"}}, "must be equal to one of the allowed values"),
        ({"customFieldData": {**FIELD, "required": "maybe"}}, "must be boolean"),
        ({"customFieldData": FIELD, "extra": 1}, "must NOT have additional properties"),
    ],
)
def test_save_validation(api: Api, body: dict[str, Any], error: str) -> None:
    response = api.post("livechat/custom-fields.save", body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "errorType": "error-invalid-params", "error": error}


def test_delete_validation(api: Api) -> None:
    response = api.post("livechat/custom-fields.delete", {})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "errorType": "error-invalid-params",
        "error": "must have required property 'customFieldId'",
    }


def test_list_validation(api: Api) -> None:
    response = api.get("livechat/custom-fields", {"foo": "1"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("GET", "livechat/custom-fields", "view-l-room"),
        ("GET", "livechat/custom-fields/cf1", "view-l-room"),
        ("POST", "livechat/custom-fields.save", "view-livechat-manager"),
        ("POST", "livechat/custom-fields.delete", "view-livechat-manager"),
    ],
)
def test_permission_and_login(api: Api, anon: Api, method: str, path: str, permission: str) -> None:
    body = {"customFieldId": "cf1", "customFieldData": FIELD}

    def call(client: Api) -> Any:
        return client.get(path) if method == "GET" else client.post(path, body)

    unauthenticated = call(anon)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == LOGGED_OUT
    api.set_permission(permission, [])

    response = call(api)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_agents_see_but_do_not_manage(api: Api) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])
    agent_api = api.as_user(api.login(agent["username"]))

    assert agent_api.get("livechat/custom-fields").status_code == 200
    assert save(agent_api, FIELD).status_code == 403
