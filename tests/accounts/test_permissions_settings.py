"""permissions.listAll / permissions.update and settings/:_id, effective on the next request."""

from collections.abc import Iterator

import pytest

from tests.support import FORBIDDEN, Api, RunningServer, _start


def test_list_all(api: Api) -> None:
    body = api.get("permissions.listAll").json()

    by_id = {permission["_id"]: permission for permission in body["update"]}
    assert body["remove"] == []
    assert by_id["delete-livechat-contact"]["roles"] == ["livechat-manager", "admin"]
    assert by_id["view-livechat-contact"]["roles"] == [
        "livechat-manager",
        "livechat-monitor",
        "livechat-agent",
        "admin",
    ]


def test_update_takes_effect_on_the_next_request(api: Api) -> None:
    allowed = api.get("omnichannel/contacts.get", {"contactId": "x"})
    update = api.post("permissions.update", {"permissions": [{"_id": "view-livechat-contact", "roles": []}]})
    denied = api.get("omnichannel/contacts.get", {"contactId": "x"})

    assert allowed.status_code == 404
    assert update.status_code == 200
    assert update.headers["content-type"] == "application/json"
    changed = next(p for p in update.json()["permissions"] if p["_id"] == "view-livechat-contact")
    assert changed["roles"] == []
    assert denied.status_code == 403
    assert denied.json() == FORBIDDEN


@pytest.mark.parametrize(
    ("body", "error", "error_type"),
    [
        (
            {"permissions": [{"_id": "no-such-permission", "roles": ["admin"]}]},
            "Invalid permission",
            "error-invalid-permission",
        ),
        ({"permissions": [{"_id": "view-l-room", "roles": ["no-such-role"]}]}, "Invalid role", "error-invalid-role"),
        ({"permissions": "nope"}, "Invalid body params", "error-invalid-body-params"),
        ({}, "Invalid body params", "error-invalid-body-params"),
    ],
)
def test_update_errors(api: Api, body: object, error: str, error_type: str) -> None:
    response = api.post("permissions.update", body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error, "errorType": error_type}


def test_only_admins_change_permissions(api: Api) -> None:
    api.create_user("manager", roles=["user", "livechat-manager"])
    manager = api.as_user(api.login("manager"))

    response = manager.post("permissions.update", {"permissions": [{"_id": "view-l-room", "roles": []}]})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_settings_read_and_write(api: Api) -> None:
    before = api.get("settings/Livechat_Routing_Method")
    write = api.post("settings/Livechat_Routing_Method", {"value": "Manual_Selection"})
    after = api.get("settings/Livechat_Routing_Method")

    assert before.json() == {"_id": "Livechat_Routing_Method", "value": "Auto_Selection", "success": True}
    assert write.json() == {"success": True}
    assert write.headers["content-type"] == "application/json"
    assert after.json() == {"_id": "Livechat_Routing_Method", "value": "Manual_Selection", "success": True}


def test_unknown_setting_and_missing_value(api: Api) -> None:
    for response in (
        api.get("settings/No_Such_Setting"),
        api.post("settings/No_Such_Setting", {"value": 1}),
        api.post("settings/Livechat_enabled", {}),
    ):
        assert response.status_code == 400
        assert response.json() == {"success": False}


def test_settings_need_privileges(api: Api) -> None:
    api.create_user("reader")
    reader = api.as_user(api.login("reader"))

    assert reader.get("settings/Livechat_enabled").status_code == 403
    assert reader.post("settings/Livechat_enabled", {"value": False}).status_code == 403


@pytest.fixture
def second_worker(api: Api, server: RunningServer) -> Iterator[Api]:
    """Another server process's worth of state (own caches) on the same database."""
    handle, base_url = _start(server.settings)
    try:
        yield Api(base_url, server.admin_headers)
    finally:
        handle.server.should_exit = True
        handle.thread.join(timeout=10)


def test_a_change_reaches_every_worker(api: Api, second_worker: Api) -> None:
    assert second_worker.get("omnichannel/contacts.get", {"contactId": "x"}).status_code == 404

    api.set_permission("view-livechat-contact", [])

    assert second_worker.get("omnichannel/contacts.get", {"contactId": "x"}).status_code == 403
