"""users.create, users.info, users.delete, users.setStatus."""

from tests.support import USER_PASSWORD, Api


def test_create_user(api: Api) -> None:
    response = api.post(
        "users.create",
        {"email": "Ann@Example.com", "name": "Ann", "username": "ann", "password": USER_PASSWORD},
    )

    assert response.status_code == 200
    user = response.json()["user"]
    assert user["username"] == "ann"
    assert user["name"] == "Ann"
    assert user["emails"] == [{"address": "Ann@Example.com", "verified": False}]
    assert user["roles"] == ["user"]
    assert user["active"] is True
    assert user["type"] == "user"
    assert len(user["_id"]) == 17
    assert "services" not in user
    # The stored password is bcrypt over the SHA-256 digest: a digest login proves it.
    assert api.login("ann", USER_PASSWORD)


def test_duplicate_username_or_email(api: Api) -> None:
    api.create_user("dup")

    same_name = api.post(
        "users.create", {"email": "other@example.com", "name": "x", "username": "DUP", "password": "p"}
    )
    same_email = api.post(
        "users.create", {"email": "dup@example.com", "name": "x", "username": "other", "password": "p"}
    )

    assert same_name.status_code == 400
    assert same_name.json() == {
        "success": False,
        "error": "DUP is already in use :( [error-field-unavailable]",
        "errorType": "error-field-unavailable",
        "details": {"method": "insertOrUpdateUser", "field": "DUP"},
    }
    assert same_email.json()["error"] == "dup@example.com is already in use :( [error-field-unavailable]"


def test_create_user_validation_and_permission(api: Api) -> None:
    missing = api.post("users.create", {"name": "x", "username": "x", "password": "p"})
    api.create_user("plain")
    plain = api.as_user(api.login("plain"))
    denied = plain.post("users.create", {"email": "z@example.com", "name": "z", "username": "z", "password": "p"})

    assert missing.json() == {
        "success": False,
        "error": "must have required property 'email' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert denied.status_code == 400
    assert denied.json() == {
        "success": False,
        "error": "Adding user is not allowed [error-action-not-allowed]",
        "errorType": "error-action-not-allowed",
    }


def test_users_info(api: Api) -> None:
    user = api.create_user("info.user")

    by_id = api.get("users.info", {"userId": user["_id"]})
    by_name = api.get("users.info", {"username": "info.user"})
    missing = api.get("users.info", {"userId": "nope"})

    assert by_id.status_code == 200
    assert by_id.json()["user"]["_id"] == user["_id"]
    assert by_name.json()["user"]["username"] == "info.user"
    assert missing.status_code == 400
    assert missing.json() == {"success": False, "error": "User not found."}


def test_delete_user(api: Api) -> None:
    user = api.create_user("to.delete")
    credentials = api.login("to.delete")

    deleted = api.post("users.delete", {"userId": user["_id"]})
    again = api.post("users.delete", {"userId": user["_id"]})

    assert deleted.json() == {"success": True}
    assert api.as_user(credentials).get("me").status_code == 401
    assert again.status_code == 400
    assert again.json()["errorType"] == "error-invalid-user"


def test_delete_user_needs_permission(api: Api) -> None:
    api.create_user("weak")
    weak = api.as_user(api.login("weak"))

    response = weak.post("users.delete", {"userId": "whatever"})

    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "unauthorized"}


def test_set_status(api: Api) -> None:
    api.create_user("status.user")
    user = api.as_user(api.login("status.user"))

    ok = user.post("users.setStatus", {"status": "online", "message": ""})
    bad = user.post("users.setStatus", {"status": "sleeping"})

    assert ok.json() == {"success": True}
    assert user.get("me").json()["status"] == "online"
    assert bad.status_code == 400
    assert bad.json()["errorType"] == "invalid-params"


def test_users_info_hides_private_fields_without_view_full_other_user_info(api: Api) -> None:
    target = api.create_user("private.person")
    api.create_user("curious")
    curious = api.as_user(api.login("curious"))

    seen = curious.get("users.info", {"userId": target["_id"]})

    assert seen.status_code == 200
    assert seen.json()["user"] == {
        "_id": target["_id"],
        "username": "private.person",
        "type": "user",
        "status": "offline",
        "active": True,
        "name": "private.person",
        "canViewAllInfo": False,
    }


def test_users_info_shows_everything_but_secrets_with_the_permission(api: Api) -> None:
    target = api.create_user("open.person")
    api.create_user("auditor")
    auditor = api.as_user(api.login("auditor"))
    api.set_permission("view-full-other-user-info", ["admin", "user"])

    user = auditor.get("users.info", {"username": "open.person"}).json()["user"]

    assert user["emails"] == [{"address": "open.person@example.com", "verified": False}]
    assert user["roles"] == ["user"]
    assert user["createdAt"] == target["createdAt"]
    assert user["requirePasswordChange"] is False
    assert user["canViewAllInfo"] is True
    assert "settings" not in user and "services" not in user and "_updatedAt" not in user


def test_users_info_of_oneself_is_full_and_says_a_password_is_set(api: Api) -> None:
    me = api.create_user("self.viewer")
    session = api.as_user(api.login("self.viewer"))

    user = session.get("users.info", {"userId": me["_id"]}).json()["user"]

    assert user["emails"] == [{"address": "self.viewer@example.com", "verified": False}]
    assert user["services"] == {"password": True}
    assert user["canViewAllInfo"] is True
