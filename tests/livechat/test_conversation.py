"""A whole conversation, twice, from the widget's first request to the contact's history."""

from tests.livechat.steps import create_agent, fetch_inquiry, get_contact, set_setting
from tests.support import Api


def test_two_conversations_end_in_the_contact_history(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    agent_user, agent = create_agent(api)
    widget = api.anonymous()
    token = "conversation-token-1"

    registered = widget.post(
        "livechat/visitor", {"visitor": {"token": token, "name": "Dara Brooks", "email": "dara@example.com"}}
    )
    assert registered.status_code == 200
    visitor = registered.json()["visitor"]

    # First conversation: the visitor writes, an agent answers the queue, the visitor leaves.
    first = widget.get("livechat/room", params={"token": token}).json()["room"]
    for text in ("Hello", "Where is my order?"):
        assert widget.post("livechat/message", {"token": token, "rid": first["_id"], "msg": text}).status_code == 200
    inquiry = fetch_inquiry(agent, first["_id"])
    assert inquiry is not None and inquiry["name"] == "Dara Brooks"
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    assert widget.post("livechat/room.close", {"token": token, "rid": first["_id"]}).json()["comment"] == (
        "Closed by visitor"
    )

    # Second conversation: same contact, closed by the agent with a comment.
    second = widget.get("livechat/room", params={"token": token}).json()["room"]
    assert second["_id"] != first["_id"]
    assert second["contactId"] == first["contactId"]
    widget.post("livechat/message", {"token": token, "rid": second["_id"], "msg": "Me again"})
    second_inquiry = fetch_inquiry(agent, second["_id"])
    assert second_inquiry is not None
    agent.post("livechat/inquiries.take", {"inquiryId": second_inquiry["_id"]})
    closed = agent.post("livechat/room.closeByUser", {"rid": second["_id"], "comment": "Refund sent"})
    assert closed.status_code == 200

    contact = get_contact(api, first["contactId"])
    assert contact["name"] == "Dara Brooks"
    assert contact["emails"] == [{"address": "dara@example.com"}]
    assert contact["lastChat"]["_id"] == second["_id"]
    assert [channel["visitor"]["visitorId"] for channel in contact["channels"]] == [visitor["_id"]]

    history = agent.get("omnichannel/contacts.history", params={"contactId": contact["_id"]}).json()
    assert history["total"] == 2
    assert [item["_id"] for item in history["history"]] == [second["_id"], first["_id"]]
    assert [item["closer"] for item in history["history"]] == ["user", "visitor"]
    assert history["history"][0]["closedBy"] == {"_id": agent_user["_id"], "username": agent_user["username"]}
    assert history["history"][0]["servedBy"]["_id"] == agent_user["_id"]

    transcripts = [agent.get(f"livechat/{item['_id']}/messages").json() for item in history["history"]]
    assert [message["msg"] for message in transcripts[0]["messages"]] == ["Refund sent", "Me again"]
    assert [message["msg"] for message in transcripts[1]["messages"]] == [
        "Closed by visitor",
        "Where is my order?",
        "Hello",
    ]
