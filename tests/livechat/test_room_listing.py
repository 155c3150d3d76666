"""livechat/rooms: the room listing of managers and agents, with its filters and pages."""

import json
import time
from typing import Any

import pytest

from tests.contacts.conversations import create_custom_field
from tests.livechat.steps import (
    close_by_agent,
    create_agent,
    open_room,
    register_visitor,
    set_setting,
)
from tests.support import LOGGED_OUT, Api

UNAUTHORIZED = {"success": False, "error": "unauthorized"}


def listed(api: Api, params: Any = None) -> list[str]:
    response = api.get("livechat/rooms", params=params)
    assert response.status_code == 200, response.text
    return [room["_id"] for room in response.json()["rooms"]]


def new_room(api: Api, name: str) -> dict[str, Any]:
    return open_room(api, register_visitor(api, name=name)["token"])


def take(agent: Api, rid: str, admin: Api) -> None:
    inquiry = admin.get("livechat/inquiries.getOne", params={"roomId": rid}).json()["inquiry"]
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200


def test_lists_every_livechat_room_newest_first(api: Api) -> None:
    first = new_room(api, "First")
    second = new_room(api, "Second")

    response = api.get("livechat/rooms")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["rooms", "count", "offset", "total", "success"]
    assert [room["_id"] for room in body["rooms"]] == [second["_id"], first["_id"]]
    assert body["rooms"][0]["fname"] == "Second"
    assert body["rooms"][0]["t"] == "l"
    assert (body["count"], body["offset"], body["total"]) == (2, 0, 2)


def test_pages_and_sort(api: Api) -> None:
    rooms = [new_room(api, name) for name in ("Bea", "ana", "Carl")]
    ids = [room["_id"] for room in rooms]

    page = api.get("livechat/rooms", params={"count": 2, "offset": 1}).json()

    assert [room["_id"] for room in page["rooms"]] == [ids[1], ids[0]]
    assert (page["count"], page["offset"], page["total"]) == (2, 1, 3)
    assert listed(api, {"sort": '{"ts":1}'}) == ids
    # Names sort by code point, as MongoDB without a collation: capitals first.
    assert listed(api, {"sort": '{"fname":1}'}) == [ids[0], ids[2], ids[1]]
    # A key without a column is skipped, as MongoDB orders by a field every document lacks.
    assert listed(api, {"sort": '{"servedBy.username":1}'}) == ids[::-1]
    bad = api.get("livechat/rooms", params={"sort": "ts"})
    assert bad.status_code == 400
    assert bad.json()["errorType"] == "error-invalid-sort"


def test_who_may_list(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    agent_user, agent = create_agent(api)
    other_user, _ = create_agent(api)
    room = new_room(api, "Served")
    take(agent, room["_id"], api)
    plain = api.as_user(api.login(api.create_user()["username"]))

    assert api.anonymous().get("livechat/rooms").status_code == 401
    assert api.anonymous().get("livechat/rooms").json() == LOGGED_OUT
    for forbidden in (
        plain.get("livechat/rooms"),
        agent.get("livechat/rooms"),
        agent.get("livechat/rooms", params={"agents[]": other_user["_id"]}),
        agent.get("livechat/rooms", params={"agents[]": [agent_user["_id"], other_user["_id"]]}),
        # The permission comes first: invalid parameters are not looked at.
        plain.get("livechat/rooms", params={"open": "true", "createdAt": "nonsense"}),
    ):
        assert forbidden.status_code == 403
        assert forbidden.json() == UNAUTHORIZED
    # An agent lists the rooms they serve by naming exactly themselves.
    assert listed(agent, {"agents[]": agent_user["_id"]}) == [room["_id"]]


def test_open_closed_and_queued(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    queued = new_room(api, "Queued")
    served = new_room(api, "Served")
    closed = new_room(api, "Closed")
    take(agent, served["_id"], api)
    close_by_agent(api, closed["_id"])

    # open=true: open rooms an agent serves; open=false: closed rooms.
    assert listed(api, {"open": "true"}) == [served["_id"]]
    assert listed(api, {"open": "false"}) == [closed["_id"]]
    # Any other text is no filter at all.
    assert listed(api, {"open": "yes"}) == [closed["_id"], served["_id"], queued["_id"]]
    assert listed(api, {"queued": "true"}) == [queued["_id"]]
    assert listed(api, {"queued": "1"}) == [queued["_id"]]
    assert len(listed(api, {"queued": "false"})) == 3
    # queued wins over open, as in Rocket.Chat's query.
    assert listed(api, {"queued": "true", "open": "false"}) == [queued["_id"]]


def test_agents_filter(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    first_user, first = create_agent(api)
    second_user, second = create_agent(api)
    mine = new_room(api, "Mine")
    theirs = new_room(api, "Theirs")
    new_room(api, "Nobody's")
    take(first, mine["_id"], api)
    take(second, theirs["_id"], api)

    assert listed(api, {"agents[]": first_user["_id"]}) == [mine["_id"]]
    assert listed(api, {"agents[]": [first_user["_id"], second_user["_id"]]}) == [theirs["_id"], mine["_id"]]
    assert listed(api, {"agents[]": "nobody"}) == []
    # A single value without brackets is not an array.
    assert api.get("livechat/rooms", params={"agents": first_user["_id"]}).json() == {
        "success": False,
        "error": "must be array [invalid-params]",
        "errorType": "invalid-params",
    }


def test_room_name_is_a_literal_case_insensitive_substring(api: Api) -> None:
    maria = new_room(api, "María Lopez")
    marianne = new_room(api, "Marianne")
    odd = new_room(api, "50% (off)_now")

    assert listed(api, {"roomName": "MARÍA"}) == [maria["_id"]]
    assert listed(api, {"roomName": "mar"}) == [marianne["_id"], maria["_id"]]
    assert listed(api, {"roomName": "ar"}) == [marianne["_id"], maria["_id"]]
    assert listed(api, {"roomName": "ía"}) == [maria["_id"]]
    assert listed(api, {"roomName": "anne"}) == [marianne["_id"]]
    # Pattern characters match themselves.
    assert listed(api, {"roomName": "% (off)_"}) == [odd["_id"]]
    assert listed(api, {"roomName": "."}) == []
    assert listed(api, {"roomName": "_"}) == [odd["_id"]]
    # Quoted: the exact name, case included.
    assert listed(api, {"roomName": '"Marianne"'}) == [marianne["_id"]]
    assert listed(api, {"roomName": '"marianne"'}) == []
    assert listed(api, {"roomName": '"Maria"'}) == []
    # An empty name is no filter.
    assert len(listed(api, {"roomName": ""})) == 3


def test_a_renamed_room_is_found_by_its_new_name(api: Api) -> None:
    visitor = register_visitor(api, name="Old Name")
    room = open_room(api, visitor["token"])

    register_visitor(api, token=visitor["token"], name="Brand New")

    assert listed(api, {"roomName": "brand"}) == [room["_id"]]
    assert listed(api, {"roomName": "old name"}) == []


def test_created_and_closed_ranges(api: Api) -> None:
    rooms = [new_room(api, name) for name in ("One", "Two", "Three")]
    ids = [room["_id"] for room in rooms]
    close_by_agent(api, ids[0])
    # Ranges compare milliseconds: rooms closed within one would close at the same moment.
    time.sleep(0.003)
    close_by_agent(api, ids[2])
    closed_at = {
        rid: room["closedAt"]
        for rid in (ids[0], ids[2])
        for room in [api.get("rooms.info", params={"roomId": rid}).json()["room"]]
    }

    def created(**bounds: str) -> list[str]:
        return listed(api, {"createdAt": json.dumps(bounds)})

    assert created(start=rooms[1]["ts"]) == [ids[2], ids[1]]
    assert created(end=rooms[1]["ts"]) == [ids[1], ids[0]]
    assert created(start=rooms[1]["ts"], end=rooms[1]["ts"]) == [ids[1]]
    assert created(start="2000-01-01", end="2000-12-31T23:59:59Z") == []
    assert created() == ids[::-1]
    assert listed(api, {"closedAt": json.dumps({"start": closed_at[ids[2]]})}) == [ids[2]]
    assert listed(api, {"closedAt": json.dumps({"start": "2000-01-01T00:00:00+02:00"})}) == [ids[2], ids[0]]
    assert listed(api, {"closedAt": json.dumps({"end": closed_at[ids[0]]})}) == [ids[0]]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"createdAt": '{"start":"yesterday"}'}, 'The "createdAt.start" query parameter must be a valid date.'),
        ({"createdAt": '{"end":"2024-13-01"}'}, 'The "createdAt.end" query parameter must be a valid date.'),
        ({"closedAt": '{"start":"2024-01-01","end":"?"}'}, 'The "closedAt.end" query parameter must be a valid date.'),
        ({"closedAt": "{start"}, 'The "closedAt" query parameter must be a valid JSON.'),
        ({"customFields": "[1]"}, 'The "customFields" query parameter must be a valid JSON.'),
        ({"customFields": "{"}, 'The "customFields" query parameter must be a valid JSON.'),
    ],
)
def test_invalid_filters(api: Api, params: dict[str, str], error: str) -> None:
    response = api.get("livechat/rooms", params=params)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error}


def test_unknown_parameters_are_refused(api: Api) -> None:
    response = api.get("livechat/rooms", params={"guest": "x"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }


def test_tags_filter(api: Api) -> None:
    rooms = [new_room(api, name) for name in ("Sale", "Support", "Untagged")]
    close_by_agent(api, rooms[0]["_id"], tags=["sale", "vip"])
    close_by_agent(api, rooms[1]["_id"], tags=["support"])

    assert listed(api, {"tags[]": "vip"}) == [rooms[0]["_id"]]
    assert listed(api, {"tags[]": ["support", "vip"]}) == [rooms[1]["_id"], rooms[0]["_id"]]
    assert listed(api, {"tags[]": "Sale"}) == []


def test_custom_fields_filter(api: Api) -> None:
    create_custom_field(api, "topic", "Topic", scope="room")
    billing = register_visitor(api, name="Billing")
    billing_room = open_room(api, billing["token"])
    other_room = new_room(api, "Other")
    api.anonymous().post(
        "livechat/custom.field", {"token": billing["token"], "key": "topic", "value": "Billing (EU)", "overwrite": True}
    )

    assert listed(api, {"customFields": json.dumps({"topic": "billing"})}) == [billing_room["_id"]]
    assert listed(api, {"customFields": json.dumps({"topic": "(eu)"})}) == [billing_room["_id"]]
    assert listed(api, {"customFields": json.dumps({"topic": "b.lling"})}) == []
    assert listed(api, {"customFields": json.dumps({"other": "billing"})}) == []
    assert listed(api, {"customFields": "{}"}) == [other_room["_id"], billing_room["_id"]]
    # Short texts, several fields at once, and a field that changes.
    create_custom_field(api, "plan", "Plan", scope="room")
    api.anonymous().post(
        "livechat/custom.field", {"token": billing["token"], "key": "plan", "value": "Gold", "overwrite": True}
    )
    assert listed(api, {"customFields": json.dumps({"topic": "eu"})}) == [billing_room["_id"]]
    assert listed(api, {"customFields": json.dumps({"topic": "bill", "plan": "GOLD"})}) == [billing_room["_id"]]
    assert listed(api, {"customFields": json.dumps({"topic": "bill", "plan": "silver"})}) == []
    # A value is matched inside its own field only, never across into the next one.
    assert listed(api, {"customFields": json.dumps({"plan": "billing"})}) == []
    api.anonymous().post(
        "livechat/custom.field", {"token": billing["token"], "key": "topic", "value": "Refunds", "overwrite": True}
    )
    assert listed(api, {"customFields": json.dumps({"topic": "billing"})}) == []
    assert listed(api, {"customFields": json.dumps({"topic": "refund"})}) == [billing_room["_id"]]
    assert listed(api, {"customFields": json.dumps({"topic\u001f": "refund"})}) == []


def test_what_no_room_here_can_match(api: Api) -> None:
    room = new_room(api, "Plain")

    # No such department; there are no units or rooms on hold here.
    assert listed(api, {"departmentId": "sales"}) == []
    assert listed(api, {"departmentId[]": "sales"}) == []
    assert listed(api, {"units[]": "north"}) == []
    assert listed(api, {"onhold": "true"}) == []
    # Rocket.Chat reads the text "undefined" as no department filter.
    assert listed(api, {"departmentId": "undefined"}) == [room["_id"]]
    assert listed(api, {"onhold": "false"}) == [room["_id"]]
    assert listed(api, {"fields": '{"fname":1}', "query": "{}"}) == [room["_id"]]


def test_filters_combine(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    agent_user, agent = create_agent(api)
    anna = new_room(api, "Anna Open")
    anna_closed = new_room(api, "Anna Closed")
    new_room(api, "Bob Open")
    take(agent, anna["_id"], api)
    take(agent, anna_closed["_id"], api)
    close_by_agent(agent, anna_closed["_id"])

    assert listed(agent, {"agents[]": agent_user["_id"], "roomName": "anna"}) == [anna_closed["_id"], anna["_id"]]
    assert listed(agent, {"agents[]": agent_user["_id"], "roomName": "anna", "open": "false"}) == [anna_closed["_id"]]
    body = agent.get("livechat/rooms", params={"agents[]": agent_user["_id"], "count": 1}).json()
    assert (body["count"], body["total"]) == (1, 2)
