"""GET livechat/config and GET livechat/agent.info/:rid/:token: what the widget reads to start."""

from tests.livechat.steps import create_agent, new_token, open_room, register_visitor, set_setting
from tests.support import Api


def test_config_without_token_describes_the_widget(api: Api) -> None:
    response = api.anonymous().get("livechat/config")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    config = body["config"]
    assert config["enabled"] is True
    assert config["online"] is False
    assert config["departments"] == []
    assert config["triggers"] == []
    assert config["theme"]["title"] == "Rocket.Chat"
    assert config["theme"]["color"] == "#C1272D"
    assert config["theme"]["offlineTitle"] == "Leave a message"
    assert config["settings"]["registrationForm"] is True
    assert config["settings"]["nameFieldRegistrationForm"] is True
    assert config["settings"]["emailFieldRegistrationForm"] is True
    assert config["settings"]["displayOfflineForm"] is True
    assert config["settings"]["fileUpload"] is False
    assert config["settings"]["transcript"] is False
    assert config["settings"]["historyMonitorType"] == "url"
    assert config["settings"]["limitTextLength"] is False
    assert config["resources"] == {"emojis": []}
    assert "guest" not in config and "room" not in config and "agent" not in config


def test_config_reads_the_settings(api: Api) -> None:
    set_setting(api, "Livechat_title", "Talk to us")
    set_setting(api, "Livechat_title_color", "#112233")
    set_setting(api, "Livechat_enable_transcript", True)
    set_setting(api, "Livechat_enable_message_character_limit", True)
    set_setting(api, "Livechat_message_character_limit", 300)
    config = api.anonymous().get("livechat/config").json()["config"]
    assert config["theme"]["title"] == "Talk to us"
    assert config["theme"]["color"] == "#112233"
    assert config["settings"]["transcript"] is True
    assert config["settings"]["limitTextLength"] == 300


def test_config_when_livechat_is_off(api: Api) -> None:
    set_setting(api, "Livechat_enabled", False)
    assert api.anonymous().get("livechat/config").json() == {"config": {"enabled": False}, "success": True}


def test_config_online_follows_available_agents(api: Api) -> None:
    create_agent(api, available=False)
    assert api.anonymous().get("livechat/config").json()["config"]["online"] is False
    create_agent(api)
    assert api.anonymous().get("livechat/config").json()["config"]["online"] is True


def test_config_of_a_known_token_has_guest_room_and_agent(api: Api) -> None:
    user, _ = create_agent(api)
    visitor = register_visitor(api, name="Ada Guest", email="ada@example.com")
    config = api.anonymous().get("livechat/config", params={"token": visitor["token"]}).json()["config"]
    assert config["guest"]["name"] == "Ada Guest"
    assert config["guest"]["token"] == visitor["token"]
    assert "room" not in config
    room = open_room(api, visitor["token"])
    config = api.anonymous().get("livechat/config", params={"token": visitor["token"]}).json()["config"]
    assert config["room"]["_id"] == room["_id"]
    assert config["room"]["open"] is True
    assert config["room"]["servedBy"]["_id"] == user["_id"]
    assert config["agent"]["_id"] == user["_id"]
    assert config["agent"]["username"] == user["username"]
    assert config["agent"]["emails"][0]["address"] == user["emails"][0]["address"]
    set_setting(api, "Livechat_show_agent_info", False)
    config = api.anonymous().get("livechat/config", params={"token": visitor["token"]}).json()["config"]
    assert config["agent"] == {"hiddenInfo": True}


def test_config_of_an_unknown_token_has_no_guest(api: Api) -> None:
    config = api.anonymous().get("livechat/config", params={"token": new_token()}).json()["config"]
    assert "guest" not in config


def test_config_lists_public_visitor_custom_fields(api: Api) -> None:
    body = {
        "field": "company",
        "label": "Company",
        "scope": "visitor",
        "visibility": "visible",
        "regexp": "",
        "searchable": True,
        "public": True,
        "required": False,
        "defaultValue": "",
        "options": "",
    }
    assert api.post("livechat/custom-fields.save", {"customFieldId": None, "customFieldData": body}).status_code == 200
    config = api.anonymous().get("livechat/config").json()["config"]
    assert [field["_id"] for field in config["customFields"]] == ["company"]
    assert config["customFields"][0]["label"] == "Company"
    assert config["customFields"][0]["required"] is False


def test_config_refuses_unknown_parameters(api: Api) -> None:
    response = api.anonymous().get("livechat/config", params={"nope": "1"})
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }


def test_agent_info(api: Api) -> None:
    user, _ = create_agent(api)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    response = api.anonymous().get(f"livechat/agent.info/{room['_id']}/{visitor['token']}")
    assert response.status_code == 200
    agent = response.json()["agent"]
    assert agent["_id"] == user["_id"]
    assert agent["username"] == user["username"]
    assert set(agent) <= {"_id", "name", "username", "phone", "customFields", "status", "livechat", "emails"}


def test_agent_info_errors(api: Api) -> None:
    visitor = register_visitor(api)
    other = register_visitor(api)
    room = open_room(api, visitor["token"])
    anon = api.anonymous()
    assert anon.get(f"livechat/agent.info/{room['_id']}/nobody").json() == {"success": False, "error": "invalid-token"}
    # Another visitor's token never reaches this room.
    response = anon.get(f"livechat/agent.info/{room['_id']}/{other['token']}")
    assert (response.status_code, response.json()) == (400, {"success": False, "error": "invalid-room"})
    # Nobody serves the room yet (no agent was available).
    response = anon.get(f"livechat/agent.info/{room['_id']}/{visitor['token']}")
    assert (response.status_code, response.json()) == (400, {"success": False, "error": "invalid-agent"})
