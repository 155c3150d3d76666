"""livechat/users/:type and livechat/agent.status."""

from tests.support import Api

FORBIDDEN = {
    "success": False,
    "error": "User does not have the permissions required for this action [error-unauthorized]",
}


def test_add_an_agent(api: Api) -> None:
    user = api.create_user()

    response = api.post("livechat/users/agent", {"username": user["username"]})

    assert response.status_code == 200
    assert response.json() == {"user": {"_id": user["_id"], "username": user["username"]}, "success": True}
    info = api.get("users.info", params={"userId": user["_id"]}).json()["user"]
    assert "livechat-agent" in info["roles"]
    listed = api.get("livechat/users/agent").json()
    assert listed["total"] == 1
    assert listed["users"][0]["_id"] == user["_id"]
    assert listed["users"][0]["statusLivechat"] == "available"
    # Adding twice is fine.
    assert api.post("livechat/users/agent", {"username": user["username"]}).status_code == 200


def test_add_errors(api: Api) -> None:
    assert api.post("livechat/users/agent", {"username": "nobody"}).json() == {
        "success": False,
        "error": "[error-invalid-user]",
        "errorType": "error-invalid-user",
        "details": {"method": "livechat:addAgent"},
    }
    assert api.post("livechat/users/robot", {"username": "admin.test"}).json() == {
        "success": False,
        "error": "Invalid type",
    }
    assert api.post("livechat/users/agent", {}).json()["error"] == (
        "must have required property 'username' [invalid-params]"
    )
    plain = api.as_user(api.login(api.create_user()["username"]))
    assert plain.post("livechat/users/agent", {"username": "admin.test"}).json() == FORBIDDEN


def test_remove_an_agent(api: Api) -> None:
    user = api.create_user()
    api.post("livechat/users/agent", {"username": user["username"]})

    response = api.delete(f"livechat/users/agent/{user['_id']}")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert api.get("livechat/users/agent").json()["total"] == 0
    assert api.get(f"livechat/users/agent/{user['_id']}").json() == {"user": None, "success": True}
    unknown = api.delete("livechat/users/agent/nobody")
    assert unknown.status_code == 400
    assert unknown.json() == {"success": False}


def test_managers_too(api: Api) -> None:
    user = api.create_user()

    api.post("livechat/users/manager", {"username": user["username"]})

    managers = api.get("livechat/users/manager").json()
    assert [item["_id"] for item in managers["users"]] == [user["_id"]]
    assert api.get("livechat/users/agent").json()["users"] == []


def test_listing_pages_and_filters(api: Api) -> None:
    for name in ("Carla", "alberto", "Bruno"):
        user = api.create_user(f"agent.{name.lower()}", name=name)
        api.post("livechat/users/agent", {"username": user["username"]})

    page = api.get("livechat/users/agent", params={"count": 2, "offset": 1}).json()
    found = api.get("livechat/users/agent", params={"text": "ALB"}).json()

    # By code point, as MongoDB sorts without a collation: upper case first.
    assert [item["name"] for item in page["users"]] == ["Carla", "alberto"]
    assert (page["count"], page["offset"], page["total"]) == (2, 1, 3)
    assert [item["name"] for item in found["users"]] == ["alberto"]


def test_listing_agents_needs_a_permission(api: Api) -> None:
    plain = api.as_user(api.login(api.create_user()["username"]))

    response = plain.get("livechat/users/agent")

    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "unauthorized"}


def test_agent_status(api: Api) -> None:
    user = api.create_user()
    api.post("livechat/users/agent", {"username": user["username"]})
    agent = api.as_user(api.login(user["username"]))

    unavailable = agent.post("livechat/agent.status", {"status": "not-available"})
    toggled = agent.post("livechat/agent.status", {})

    assert unavailable.json() == {"status": "not-available", "success": True}
    assert toggled.json() == {"status": "available", "success": True}
    assert agent.post("livechat/agent.status", {"status": "busy"}).json()["errorType"] == "invalid-params"
    not_agent = api.post("livechat/agent.status", {"status": "available"})
    assert not_agent.status_code == 404
    assert not_agent.json() == {"success": False, "error": "Agent not found"}
    assert api.post("livechat/agent.status", {"status": "not-available", "agentId": user["_id"]}).json() == {
        "status": "not-available",
        "success": True,
    }
