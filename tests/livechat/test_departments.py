"""livechat/department*: Rocket.Chat's department API, its permissions and errors, the method
livechat:saveDepartment, and what the widget's config says of departments."""

import json
from typing import Any

from tests.livechat.steps import create_agent, new_token, open_room, register_visitor, room_info, set_setting
from tests.support import Api

BASE = {"enabled": True, "showOnOfflineForm": True, "showOnRegistration": True, "email": "dep@example.com"}
FORBIDDEN = {
    "success": False,
    "error": "User does not have the permissions required for this action [error-unauthorized]",
}


def create_department(api: Api, name: str = "Sales", **extra: Any) -> dict[str, Any]:
    response = api.post("livechat/department", {"department": {**BASE, "name": name, **extra}})
    assert response.status_code == 200, response.text
    return response.json()["department"]  # type: ignore[no-any-return]


def add_agents(api: Api, department_id: str, *users: dict[str, Any]) -> None:
    upsert = [{"agentId": user["_id"], "username": user["username"]} for user in users]
    response = api.post(f"livechat/department/{department_id}/agents", {"upsert": upsert, "remove": []})
    assert response.status_code == 200, response.text


def method_call(api: Api, method: str, *params: Any) -> dict[str, Any]:
    message = json.dumps({"method": method, "params": list(params), "id": "1", "msg": "method"})
    response = api.post(f"method.call/{method}", {"message": message})
    assert response.status_code == 200, response.text
    return json.loads(response.json()["message"])  # type: ignore[no-any-return]


def test_create_get_and_list(api: Api) -> None:
    created = api.post(
        "livechat/department", {"department": {**BASE, "name": "Sales", "allowReceiveForwardOffline": True}}
    )
    assert created.status_code == 200
    body = created.json()
    department = body["department"]
    assert body["agents"] == [] and body["success"] is True
    assert {key: department[key] for key in (*BASE, "name", "allowReceiveForwardOffline", "type", "numAgents")} == {
        **BASE,
        "name": "Sales",
        "allowReceiveForwardOffline": True,
        "type": "d",
        "numAgents": 0,
    }

    got = api.get(f"livechat/department/{department['_id']}").json()
    assert got == {"department": department, "agents": [], "success": True}
    assert api.get("livechat/department/nope").json() == {"department": None, "agents": [], "success": True}

    create_department(api, "a test")
    create_department(api, "A test")
    listed = api.get("livechat/department", params={"text": "TEST", "count": 5, "offset": 0}).json()
    # Binary order, as MongoDB sorts without a collation: capitals first.
    assert [item["name"] for item in listed["departments"]] == ["A test", "a test"]
    assert (listed["count"], listed["offset"], listed["total"]) == (2, 0, 2)
    page = api.get("livechat/department", params={"count": 1, "offset": 1}).json()
    assert [item["name"] for item in page["departments"]] == ["Sales"] and page["total"] == 3
    invalid = api.get("livechat/department", params={"count": "invalid"})
    assert invalid.status_code == 400
    assert invalid.json()["errorType"] == "invalid-params"


def test_permissions(api: Api) -> None:
    department = create_department(api)
    user = api.create_user()
    other = api.as_user(api.login(user["username"]))
    assert other.get("livechat/department").status_code == 403
    assert other.get("livechat/department").json() == FORBIDDEN
    assert other.post("livechat/department", {"department": {**BASE, "name": "x"}}).status_code == 403
    assert other.delete(f"livechat/department/{department['_id']}").status_code == 403
    assert other.post(f"livechat/department/{department['_id']}/agents").status_code == 403
    assert other.post(f"livechat/department/{department['_id']}/archive").status_code == 403
    assert api.anonymous().post("livechat/department/x/archive").status_code == 401

    # `view-l-room` alone is enough to read (Rocket.Chat's hasAny).
    api.set_permission("view-livechat-departments", [])
    assert api.get("livechat/department").status_code == 200
    api.set_permission("view-l-room", [])
    assert api.get("livechat/department.autocomplete", params={"selector": "{}"}).status_code == 403
    assert api.get(f"livechat/department/{department['_id']}/agents").status_code == 403


def test_save_errors(api: Api) -> None:
    def post(department: Any, **extra: Any) -> Any:
        response = api.post("livechat/department", {"department": department, **extra})
        assert response.status_code == 400, response.text
        return response.json()

    assert post({}) == {"success": False, "error": "Match error: Missing key 'enabled'"}
    assert post({**BASE, "name": "x", "chatClosingTags": "no"})["error"] == (
        'Match error: Expected array, got "no" in field chatClosingTags'
    )
    assert post({**BASE, "name": "x", "requestTagBeforeClosingChat": True}) == {
        "success": False,
        "error": "At least one closing tag is required when the department requires tag(s) on closing conversations. "
        "[error-validating-department-chat-closing-tags]",
        "errorType": "error-validating-department-chat-closing-tags",
        "details": {"method": "livechat:saveDepartment"},
    }
    assert post({**BASE, "name": "x", "fallbackForwardDepartment": "nope"})["errorType"] == (
        "error-fallback-department-not-found"
    )
    assert post({**BASE, "name": "x" * 257})["error"] == "Match error: Failed Match.Where validation in field name"
    assert post({**BASE, "name": "x"}, agents="no")["error"] == 'Match error: Expected array, got "no" in field agents'

    department = create_department(api, requestTagBeforeClosingChat=True, chatClosingTags=["a", "b"])
    assert department["chatClosingTags"] == ["a", "b"]
    circular = api.client.put(
        f"/api/v1/livechat/department/{department['_id']}",
        json={"department": {**BASE, "name": "y", "fallbackForwardDepartment": department["_id"]}},
    )
    assert circular.status_code == 400
    assert circular.json()["errorType"] == "error-fallback-department-circular"
    bad_agents = api.client.put(
        f"/api/v1/livechat/department/{department['_id']}",
        json={"department": {**BASE, "name": "y"}, "agents": [{"notAValidKey": "x"}]},
    )
    assert bad_agents.status_code == 400
    assert bad_agents.json()["error"] == "Match error: Missing key 'agentId' in field upsert[0]"


def test_update_and_agents(api: Api) -> None:
    department = create_department(api)
    agent, _ = create_agent(api)
    updated = api.client.put(
        f"/api/v1/livechat/department/{department['_id']}",
        json={"department": {**BASE, "name": "Support"}, "agents": [{"agentId": agent["_id"]}]},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["department"]["name"] == "Support" and body["department"]["numAgents"] == 1
    [member] = body["agents"]
    assert {key: member[key] for key in ("agentId", "departmentId", "username", "departmentEnabled", "count")} == {
        "agentId": agent["_id"],
        "departmentId": department["_id"],
        "username": agent["username"],
        "departmentEnabled": True,
        "count": 0,
    }
    listed = api.get(f"livechat/department/{department['_id']}/agents").json()
    assert listed == {"agents": [member], "count": 1, "offset": 0, "total": 1, "success": True}
    assert api.get("livechat/department/nope/agents").json() == {
        "agents": [],
        "count": 0,
        "offset": 0,
        "total": 0,
        "success": True,
    }

    missing = api.post(f"livechat/department/{department['_id']}/agents", {})
    assert missing.json() == {"success": False, "error": "Match error: Missing key 'upsert'"}
    empty = api.post(f"livechat/department/{department['_id']}/agents", {"upsert": [{}], "remove": []})
    assert empty.json() == {"success": False, "error": "Match error: Missing key 'agentId' in field upsert[0]"}
    unknown = api.post("livechat/department/nope/agents", {"upsert": [], "remove": []})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "Department not found [error-department-not-found]"

    removed = api.post(
        f"livechat/department/{department['_id']}/agents", {"upsert": [], "remove": [{"agentId": agent["_id"]}]}
    )
    assert removed.status_code == 200
    assert api.get(f"livechat/department/{department['_id']}").json()["department"]["numAgents"] == 0

    # A user who stops being an agent leaves the department.
    add_agents(api, department["_id"], agent)
    assert api.delete(f"livechat/users/agent/{agent['_id']}").status_code == 200
    assert api.get(f"livechat/department/{department['_id']}/agents").json()["agents"] == []
    assert api.get(f"livechat/department/{department['_id']}").json()["department"]["numAgents"] == 0


def test_remove_department_unsets_it_on_rooms(api: Api) -> None:
    department = create_department(api)
    fallback_of = create_department(api, "Other", fallbackForwardDepartment=department["_id"])
    visitor = register_visitor(api, department=department["name"])
    assert visitor["department"] == department["_id"]
    room = open_room(api, visitor["token"])
    assert room["departmentId"] == department["_id"]

    disabled = api.delete(f"livechat/department/{department['_id']}")
    assert disabled.status_code == 400
    assert disabled.json() == {"success": False, "error": "error-department-removal-disabled"}
    set_setting(api, "Omnichannel_enable_department_removal", True)
    assert api.delete("livechat/department/nope").json() == {"success": False, "error": "error-department-not-found"}
    assert api.delete(f"livechat/department/{department['_id']}").json() == {"success": True}

    assert "departmentId" not in room_info(api, room["_id"])
    assert api.get(f"livechat/department/{department['_id']}").json()["department"] is None
    other = api.get(f"livechat/department/{fallback_of['_id']}").json()["department"]
    assert "fallbackForwardDepartment" not in other


def test_rooms_listed_by_department(api: Api) -> None:
    sales = create_department(api, "Sales")
    support = create_department(api, "Support")
    in_sales = open_room(api, register_visitor(api, department=sales["_id"])["token"])
    in_support = open_room(api, register_visitor(api, department=support["_id"])["token"])
    open_room(api, register_visitor(api)["token"])

    def listed(params: Any) -> list[str]:
        response = api.get("livechat/rooms", params=params)
        assert response.status_code == 200, response.text
        return [room["_id"] for room in response.json()["rooms"]]

    assert listed({"departmentId": sales["_id"]}) == [in_sales["_id"]]
    both = [("departmentId[]", sales["_id"]), ("departmentId[]", support["_id"])]
    assert listed(both) == [in_support["_id"], in_sales["_id"]]
    assert api.get("livechat/rooms", params=both).json()["total"] == 2


def test_a_visitor_naming_an_unknown_department_is_refused(api: Api) -> None:
    response = api.anonymous().post("livechat/visitor", {"visitor": {"token": new_token(), "department": "nope"}})
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The provided department is invalid [error-invalid-department]",
        "errorType": "error-invalid-department",
    }


def test_archive_autocomplete_and_list_by_ids(api: Api) -> None:
    first = create_department(api, "Alpha")
    second = create_department(api, "Beta")
    assert api.post(f"livechat/department/{first['_id']}/archive").json() == {"success": True}
    assert api.post("livechat/department/nope/archive").json() == {"success": False, "error": "department-not-found"}
    archived = api.get("livechat/departments/archived").json()
    assert [item["_id"] for item in archived["departments"]] == [first["_id"]]
    assert archived["departments"][0]["enabled"] is False
    assert [item["_id"] for item in api.get("livechat/department").json()["departments"]] == [second["_id"]]
    enable = api.client.put(f"/api/v1/livechat/department/{first['_id']}", json={"department": {**BASE, "name": "A"}})
    assert enable.json()["errorType"] == "error-archived-department-cant-be-enabled"

    found = api.get("livechat/department.autocomplete", params={"selector": '{"term":"ET"}'}).json()
    assert found == {"items": [{"_id": second["_id"], "name": "Beta"}], "success": True}
    with_archived = api.get(
        "livechat/department.autocomplete",
        params={"selector": json.dumps({"exceptions": [second["_id"]]}), "showArchived": "true"},
    ).json()
    assert with_archived["items"] == [{"_id": first["_id"], "name": "Alpha"}]
    for selector in (None, "", "{name:"):
        response = api.get("livechat/department.autocomplete", params={"selector": selector} if selector else None)
        assert response.status_code == 400, selector
    assert api.get("livechat/department.autocomplete").json()["error"] == "The 'selector' param is required"

    assert api.post(f"livechat/department/{first['_id']}/unarchive").json() == {"success": True}
    assert api.get("livechat/departments/archived").json()["departments"] == []

    by_ids = api.get("livechat/department.listByIds", params=[("ids[]", first["_id"]), ("ids[]", second["_id"])])
    assert [item["_id"] for item in by_ids.json()["departments"]] == [first["_id"], second["_id"]]
    assert api.get("livechat/department.listByIds").json()["error"] == "The 'ids' param is required"
    assert api.get("livechat/department.listByIds", params={"ids": "x"}).json()["error"] == (
        "The 'ids' param must be an array"
    )
    assert api.get("livechat/department/isDepartmentCreationAvailable").json() == {
        "isDepartmentCreationAvailable": True,
        "success": True,
    }


def test_save_and_remove_methods(api: Api) -> None:
    agent, _ = create_agent(api)
    data = {**BASE, "name": "By method", "departmentsAllowedToForward": []}
    reply = method_call(api, "livechat:saveDepartment", "", data, [{"agentId": agent["_id"]}], None)
    department = reply["result"]
    assert department["name"] == "By method" and department["numAgents"] == 1

    user = api.create_user()
    other = api.as_user(api.login(user["username"]))
    denied = method_call(other, "livechat:saveDepartment", "", data, [], None)
    assert denied["error"]["error"] == "error-not-allowed"
    invalid = method_call(api, "livechat:saveDepartment", "", {"name": "x"}, [], None)
    assert invalid["error"]["error"] == "Match error: Missing key 'enabled'"

    disabled = method_call(api, "livechat:removeDepartment", department["_id"])
    assert disabled["error"]["error"] == "error-department-removal-disabled"
    set_setting(api, "Omnichannel_enable_department_removal", True)
    assert method_call(api, "livechat:removeDepartment", department["_id"])["result"] is True
    assert method_call(api, "livechat:removeDepartment", department["_id"])["error"]["error"] == (
        "error-department-not-found"
    )


def test_widget_config_lists_departments_and_their_presence(api: Api) -> None:
    online_agent, _ = create_agent(api)
    away_agent, _ = create_agent(api, available=False)
    staffed = create_department(api, "Staffed")
    add_agents(api, staffed["_id"], online_agent)
    away = create_department(api, "Away", departmentsAllowedToForward=[staffed["_id"]])
    add_agents(api, away["_id"], away_agent)
    create_department(api, "Empty")

    config = api.anonymous().get("livechat/config").json()["config"]
    assert config["departments"] == [
        {
            "_id": away["_id"],
            "name": "Away",
            "showOnRegistration": True,
            "showOnOfflineForm": True,
            "departmentsAllowedToForward": [staffed["_id"]],
        },
        {"_id": staffed["_id"], "name": "Staffed", "showOnRegistration": True, "showOnOfflineForm": True},
    ]
    anon = api.anonymous()
    assert anon.get("livechat/config", params={"department": staffed["_id"]}).json()["config"]["online"] is True
    assert anon.get("livechat/config", params={"department": away["_id"]}).json()["config"]["online"] is False
