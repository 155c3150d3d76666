"""The queue as lists: livechat/inquiries.list (managers) and inquiries.queuedForUser (agents)."""

from typing import Any

from tests.livechat.steps import create_agent, fetch_inquiry, open_room, register_visitor, set_setting
from tests.support import FORBIDDEN, LOGGED_OUT, Api


def queue_rooms(api: Api, names: list[str]) -> list[dict[str, Any]]:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    return [open_room(api, register_visitor(api, name=name)["token"]) for name in names]


def test_lists_queued_inquiries_newest_first_with_a_few_fields(api: Api) -> None:
    first, second = queue_rooms(api, ["First", "Second"])

    response = api.get("livechat/inquiries.list")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["inquiries", "offset", "count", "total", "success"]
    assert [item["rid"] for item in body["inquiries"]] == [second["_id"], first["_id"]]
    inquiry = fetch_inquiry(api, second["_id"])
    assert inquiry is not None
    assert body["inquiries"][0] == {
        "_id": inquiry["_id"],
        "rid": second["_id"],
        "name": "Second",
        "ts": second["ts"],
        "status": "queued",
    }
    assert (body["offset"], body["count"], body["total"]) == (0, 2, 2)


def test_only_queued_inquiries_are_listed(api: Api) -> None:
    waiting, taken, closed = queue_rooms(api, ["Waiting", "Taken", "Closed"])
    _, agent = create_agent(api)
    inquiry = fetch_inquiry(api, taken["_id"])
    assert inquiry is not None
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    assert api.post("livechat/room.closeByUser", {"rid": closed["_id"]}).status_code == 200

    body = api.get("livechat/inquiries.list").json()

    assert [item["rid"] for item in body["inquiries"]] == [waiting["_id"]]
    assert body["total"] == 1


def test_ready_inquiries_are_not_in_the_queue(api: Api) -> None:
    # With automatic routing and nobody available, the inquiry is `ready`, not `queued`.
    open_room(api, register_visitor(api)["token"])

    assert api.get("livechat/inquiries.list").json()["inquiries"] == []


def test_pages_and_sort(api: Api) -> None:
    rooms = queue_rooms(api, ["A", "B", "C"])
    rids = [room["_id"] for room in rooms]

    page = api.get("livechat/inquiries.list", params={"count": 1, "offset": 1}).json()
    assert [item["rid"] for item in page["inquiries"]] == [rids[1]]
    assert (page["offset"], page["count"], page["total"]) == (1, 1, 3)
    oldest_first = api.get("livechat/inquiries.list", params={"sort": '{"ts":1}'}).json()
    assert [item["rid"] for item in oldest_first["inquiries"]] == rids
    # There are no departments: naming one narrows nothing, as when Rocket.Chat does not find it.
    by_department = api.get("livechat/inquiries.list", params={"department": "sales"}).json()
    assert len(by_department["inquiries"]) == 3


def test_list_needs_view_livechat_manager(api: Api) -> None:
    queue_rooms(api, ["Waiting"])
    _, agent = create_agent(api)

    assert api.anonymous().get("livechat/inquiries.list").status_code == 401
    assert api.anonymous().get("livechat/inquiries.list").json() == LOGGED_OUT
    response = agent.get("livechat/inquiries.list")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    # The permission comes before the parameters.
    assert agent.get("livechat/inquiries.list", params={"nope": "1"}).status_code == 403
    invalid = api.get("livechat/inquiries.list", params={"nope": "1"})
    assert invalid.status_code == 400
    assert invalid.json() == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }
    api.set_permission("view-livechat-manager", ["admin", "livechat-agent"])
    assert agent.get("livechat/inquiries.list").status_code == 200


def test_an_agent_sees_the_queue_in_order_with_whole_inquiries(api: Api) -> None:
    rooms = queue_rooms(api, ["Early", "Late"])
    _, agent = create_agent(api)

    for path in ("livechat/inquiries.queuedForUser", "livechat/inquiries.queued"):
        response = agent.get(path)
        assert response.status_code == 200, path
        body = response.json()
        assert list(body) == ["inquiries", "count", "offset", "total", "success"]
        # Queue order: the one waiting longest first, whatever `ts` order the client asks for.
        assert [item["rid"] for item in body["inquiries"]] == [room["_id"] for room in rooms]
        assert body["inquiries"][0] == fetch_inquiry(api, rooms[0]["_id"])
        assert (body["count"], body["offset"], body["total"]) == (2, 0, 2)
        newest = agent.get(path, params={"sort": '{"ts":-1}', "count": 1, "offset": 1}).json()
        assert [item["rid"] for item in newest["inquiries"]] == [rooms[1]["_id"]]
        assert (newest["count"], newest["offset"], newest["total"]) == (1, 1, 2)


def test_agent_queue_needs_view_l_room(api: Api) -> None:
    plain = api.as_user(api.login(api.create_user()["username"]))

    assert api.anonymous().get("livechat/inquiries.queuedForUser").status_code == 401
    response = plain.get("livechat/inquiries.queuedForUser")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
