"""POST login, POST logout, GET me: the Rocket.Chat (Meteor) account conventions."""

import hashlib

import pytest

from tests.support import ADMIN_PASSWORD, ADMIN_USERNAME, USER_PASSWORD, Api, RunningServer

LOGIN_FAILED = {"success": False, "error": "Unauthorized", "status": "error", "message": "Unauthorized"}


@pytest.mark.parametrize(
    "body",
    [
        {"user": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
        {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
        {"user": "Admin.Test@Example.com", "password": ADMIN_PASSWORD},
        {"email": "admin.test@example.com", "password": ADMIN_PASSWORD},
        {"user": {"username": ADMIN_USERNAME}, "password": ADMIN_PASSWORD},
        {
            "user": {"username": ADMIN_USERNAME},
            "password": {"digest": hashlib.sha256(ADMIN_PASSWORD.encode()).hexdigest(), "algorithm": "sha-256"},
        },
    ],
)
def test_login_forms(anon: Api, server: RunningServer, body: object) -> None:
    response = anon.post("login", body)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert list(payload) == ["status", "data", "success"]
    assert payload["status"] == "success"
    assert payload["data"]["userId"] == server.admin_id
    assert isinstance(payload["data"]["authToken"], str)
    assert payload["data"]["me"]["username"] == ADMIN_USERNAME
    assert "services" not in payload["data"]["me"] or "bcrypt" not in str(payload["data"]["me"]["services"])


def test_form_encoded_login(anon: Api) -> None:
    response = anon.raw("POST", "/api/v1/login", data={"user": ADMIN_USERNAME, "password": ADMIN_PASSWORD})

    assert response.status_code == 200
    assert response.json()["status"] == "success"


@pytest.mark.parametrize(
    "body",
    [
        {"user": ADMIN_USERNAME, "password": "wrong"},
        {"user": "nobody", "password": "whatever"},
        {"password": ADMIN_PASSWORD},
        {},
    ],
)
def test_failed_login_never_says_why(anon: Api, body: object) -> None:
    response = anon.post("login", body)

    assert response.status_code == 401
    assert response.json() == LOGIN_FAILED


def test_new_token_works_and_logout_revokes_it(api: Api) -> None:
    api.create_user("login.user")
    credentials = api.login("login.user", USER_PASSWORD)
    user = api.as_user(credentials)

    assert user.get("me").json()["username"] == "login.user"
    logout = user.post("logout")
    assert logout.status_code == 200
    assert logout.json()["status"] == "success"
    assert user.get("me").status_code == 401


def test_me(api: Api, server: RunningServer) -> None:
    response = api.get("me")

    assert response.status_code == 200
    me = response.json()
    assert me["_id"] == server.admin_id
    assert me["username"] == ADMIN_USERNAME
    assert me["active"] is True
    assert me["roles"] == ["admin", "user"]
    assert me["emails"][0]["address"] == "admin.test@example.com"
    assert me["email"] == "admin.test@example.com"
    assert me["settings"]["preferences"]["language"] == "en"
    assert me["services"] == {"password": {"exists": True}}
    assert me["success"] is True
