"""livechat/visitors.*: the visitor directory, and licenses.info."""

from tests.livechat.steps import close_by_agent, create_agent, open_room, register_visitor, send
from tests.support import Api

FORBIDDEN = "User does not have the permissions required for this action [error-unauthorized]"


def test_info_answers_an_enabled_visitor(api: Api) -> None:
    visitor = register_visitor(api, name="Info Person")

    response = api.get("livechat/visitors.info", params={"visitorId": visitor["_id"]})

    assert response.status_code == 200
    assert response.json() == {
        "visitor": visitor | {"_updatedAt": response.json()["visitor"]["_updatedAt"]},
        "success": True,
    }


def test_info_errors(api: Api) -> None:
    assert api.get("livechat/visitors.info", params={"visitorId": "nope"}).json() == {
        "success": False,
        "error": "visitor-not-found",
    }
    missing = api.get("livechat/visitors.info")
    assert missing.status_code == 400
    assert missing.json()["error"] == "must have required property 'visitorId' [invalid-params]"
    api.set_permission("view-l-room", [])
    denied = api.get("livechat/visitors.info", params={"visitorId": "nope"})
    assert denied.status_code == 403
    assert denied.json() == {"success": False, "error": FORBIDDEN}
    assert api.anonymous().get("livechat/visitors.info", params={"visitorId": "x"}).status_code == 401


def test_search_by_name_username_email_and_phone(api: Api) -> None:
    ana = register_visitor(api, name="Anastasia Quill", email="ana.quill@example.com", phone="+15550100")
    register_visitor(api, name="Bob Stone", email="bob@example.com", phone="+15550200")

    for term in ("astasia qu", ana["username"], "ana.quill@example.com", "+15550100", "ANASTASIA"):
        body = api.get("livechat/visitors.search", params={"term": term}).json()
        assert body["success"] is True, term
        assert [item["_id"] for item in body["visitors"]] == [ana["_id"]], term
        assert body["total"] == 1
        assert body["count"] == 1
        assert body["offset"] == 0
    item = api.get("livechat/visitors.search", params={"term": "quill"}).json()["visitors"][0]
    assert set(item) == {"_id", "username", "name", "phone", "visitorEmails"}
    # An address is matched exactly, not as a substring.
    assert api.get("livechat/visitors.search", params={"term": "quill@example"}).json()["total"] == 0


def test_search_without_term_lists_everyone_newest_first_and_pages(api: Api) -> None:
    first = register_visitor(api, name="First")
    second = register_visitor(api, name="Second")

    body = api.get("livechat/visitors.search", params={"term": ""}).json()
    assert [item["_id"] for item in body["visitors"]] == [second["_id"], first["_id"]]
    page = api.get("livechat/visitors.search", params={"term": "", "count": 1, "offset": 1}).json()
    assert [item["_id"] for item in page["visitors"]] == [first["_id"]]
    assert page["total"] == 2
    assert page["count"] == 1


def test_search_sorted_by_last_chat(api: Api) -> None:
    past = register_visitor(api, name="Sorted Past")
    open_room(api, past["token"])
    present = register_visitor(api, name="Sorted Present")
    open_room(api, present["token"])
    never = register_visitor(api, name="Sorted Never")

    def order(sort: str, term: str = "sorted") -> list[str]:
        response = api.get("livechat/visitors.search", params={"term": term, "sort": sort})
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["visitors"]]

    # As MongoDB orders a missing field: first ascending, last descending.
    assert order('{"lastChat.ts":1}') == ["Sorted Never", "Sorted Past", "Sorted Present"]
    assert order('{"lastChat.ts":-1}') == ["Sorted Present", "Sorted Past", "Sorted Never"]
    assert order('{"lastChat.ts":-1}', term="") == ["Sorted Present", "Sorted Past", "Sorted Never"]

    # A new conversation makes it the visitor's last chat.
    open_room(api, never["token"])
    assert order('{"lastChat.ts":-1}') == ["Sorted Never", "Sorted Present", "Sorted Past"]


def test_search_errors_and_evil_terms(api: Api) -> None:
    missing = api.get("livechat/visitors.search")
    assert missing.status_code == 400
    assert missing.json()["error"] == "must have required property 'term' [invalid-params]"
    evil = api.get("livechat/visitors.search", params={"term": "^((ab)*)+$"})
    assert evil.json() == {"visitors": [], "count": 0, "offset": 0, "total": 0, "success": True}
    assert api.get("livechat/visitors.search", params={"term": "a\x1fb"}).json()["total"] == 0
    api.set_permission("view-l-room", [])
    assert api.get("livechat/visitors.search", params={"term": "x"}).status_code == 403


def test_autocomplete_by_name_prefix(api: Api) -> None:
    zed = register_visitor(api, name="Zed Alpha")
    zelda = register_visitor(api, name="zelda beta")
    register_visitor(api, name="Alpha Zed")

    body = api.get("livechat/visitors.autocomplete", params={"selector": '{"term": " ze"}'}).json()
    assert body["success"] is True
    assert [item["_id"] for item in body["items"]] == [zed["_id"], zelda["_id"]]
    assert body["items"][0] == {
        "_id": zed["_id"],
        "username": zed["username"],
        "name": "Zed Alpha",
        "custom_name": f"{zed['username']} - Zed Alpha",
    }
    excepted = api.get(
        "livechat/visitors.autocomplete", params={"selector": f'{{"term": "ze", "exceptions": ["{zed["_id"]}"]}}'}
    ).json()
    assert [item["_id"] for item in excepted["items"]] == [zelda["_id"]]


def test_autocomplete_errors(api: Api) -> None:
    missing = api.get("livechat/visitors.autocomplete")
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'selector' [invalid-params]",
        "errorType": "invalid-params",
    }
    broken = api.get("livechat/visitors.autocomplete", params={"selector": "{invalid"})
    assert broken.status_code == 400
    assert broken.json()["success"] is False
    no_term = api.get("livechat/visitors.autocomplete", params={"selector": "{}"})
    assert no_term.status_code == 400
    api.set_permission("view-l-room", [])
    assert api.get("livechat/visitors.autocomplete", params={"selector": "{}"}).status_code == 403


def test_pages_visited_and_chat_history(api: Api) -> None:
    visitor = register_visitor(api)
    first = open_room(api, visitor["token"])
    close_by_agent(api, first["_id"])
    second = open_room(api, visitor["token"])

    pages = api.get(f"livechat/visitors.pagesVisited/{second['_id']}").json()
    assert pages == {"pages": [], "count": 0, "offset": 0, "total": 0, "success": True}
    assert api.get("livechat/visitors.pagesVisited/nope").json() == {"success": False, "error": "invalid-room"}

    history = api.get(f"livechat/visitors.chatHistory/room/{second['_id']}/visitor/{visitor['_id']}").json()
    assert [room["_id"] for room in history["history"]] == [second["_id"], first["_id"]]
    assert (history["count"], history["offset"], history["total"]) == (2, 0, 2)
    paged = api.get(
        f"livechat/visitors.chatHistory/room/{second['_id']}/visitor/{visitor['_id']}", params={"count": 1}
    ).json()
    assert (paged["count"], paged["total"]) == (1, 2)
    assert api.get("livechat/visitors.chatHistory/room/nope/visitor/x").json() == {
        "success": False,
        "error": "invalid-room",
    }


def test_chat_history_needs_access_to_the_room(api: Api) -> None:
    _, agent = create_agent(api, available=False)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    close_by_agent(api, room["_id"])
    api.set_permission("view-livechat-room-closed-by-another-agent", [])

    response = agent.get(f"livechat/visitors.chatHistory/room/{room['_id']}/visitor/{visitor['_id']}")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-not-allowed"}


def test_search_chats_filters(api: Api) -> None:
    visitor = register_visitor(api)
    closed = open_room(api, visitor["token"])
    send(api, visitor["token"], closed["_id"], "my parcel never arrived")
    close_by_agent(api, closed["_id"])
    current = open_room(api, visitor["token"])
    path = f"livechat/visitors.searchChats/room/{current['_id']}/visitor/{visitor['_id']}"

    everything = api.get(path, params={"closedChatsOnly": "false", "servedChatsOnly": "false"}).json()
    assert (everything["count"], everything["total"]) == (2, 2)
    assert [room["_id"] for room in everything["history"]] == [current["_id"], closed["_id"]]
    closed_item = everything["history"][1]
    assert closed_item["closingMessage"]["t"] == "livechat-close"
    assert "closingMessage" not in everything["history"][0]
    assert set(closed_item) <= {
        "_id",
        "fname",
        "ts",
        "v",
        "msgs",
        "servedBy",
        "closedAt",
        "closedBy",
        "closer",
        "tags",
        "closingMessage",
    }

    only_closed = api.get(path, params={"closedChatsOnly": "true"}).json()
    assert [room["_id"] for room in only_closed["history"]] == [closed["_id"]]
    by_text = api.get(path, params={"searchText": "parcel"}).json()
    assert [room["_id"] for room in by_text["history"]] == [closed["_id"]]
    assert by_text["total"] == 1
    assert api.get(path, params={"searchText": "PARCEL"}).json()["total"] == 0
    assert api.get(path, params={"source": "API"}).json()["total"] == 2
    assert api.get(path, params={"source": "widget"}).json()["total"] == 0
    served = api.get(path, params={"servedChatsOnly": "true"}).json()
    assert served["total"] == 0
    other = api.get(f"livechat/visitors.searchChats/room/{current['_id']}/visitor/123").json()
    assert other["history"] == [] and other["total"] == 0
    assert api.get("livechat/visitors.searchChats/room/invalid/visitor/123").json() == {
        "success": False,
        "error": "invalid-room",
    }
    api.set_permission("view-l-room", [])
    assert api.get(path).status_code == 403


def test_licenses_info(api: Api) -> None:
    body = api.get("licenses.info", params={"loadValues": "true"}).json()
    license_info = body["license"]
    assert body["success"] is True
    assert license_info["limits"]["monthlyActiveContacts"] == {"max": -1, "value": 0}
    assert license_info["limits"]["activeUsers"]["value"] >= 1
    assert license_info["activeModules"] == []
    assert license_info["trial"] is False
    without = api.get("licenses.info").json()["license"]
    assert without["limits"]["monthlyActiveContacts"] == {"max": -1}
    user = api.create_user()
    plain = api.as_user(api.login(user["username"])).get("licenses.info").json()["license"]
    assert plain["limits"] == {}
    assert api.anonymous().get("licenses.info").status_code == 401
