"""A whole conversation driven by `rocketchat_API`, the third-party Python client, as integrations do.

The client builds query strings by hand (no URL encoding), sends JSON bodies, and raises on any
`success: false`, so every step here checks that our answers are what it can read.
"""

import secrets
from typing import Any

from rocketchat_API.rocketchat import RocketChat

from tests.support import ADMIN_PASSWORD, ADMIN_USERNAME, USER_PASSWORD, Api, RunningServer


def client(server: RunningServer, user: str | None = None, password: str | None = None) -> RocketChat:
    return RocketChat(user, password, server_url=server.base_url)


def test_conversation_through_the_third_party_client(api: Api, server: RunningServer) -> None:
    admin = client(server, ADMIN_USERNAME, ADMIN_PASSWORD)
    assert admin.me()["username"] == ADMIN_USERNAME
    assert admin.info()["version"] == "7.10.0"
    # Agents pick conversations from the queue themselves, so the inquiry waits as `queued`.
    admin.settings_update("Livechat_Routing_Method", "Manual_Selection")

    agent_name = f"agent.{secrets.token_hex(3)}"
    created = admin.users_create(f"{agent_name}@example.com", "Agent Smith", USER_PASSWORD, agent_name)
    assert created["user"]["username"] == agent_name
    assert admin.livechat_create_user("agent", username=agent_name)["user"]["username"] == agent_name
    assert [user["username"] for user in admin.livechat_get_users("agent")] == [agent_name]

    agent = client(server, agent_name, USER_PASSWORD)
    agent.users_set_status("", status="online")
    agent.call_api_post("livechat/agent.status", status="available")

    # The widget side needs no login: the visitor token is the credential.
    visitor = client(server)
    token = secrets.token_hex(8)
    registered = visitor.livechat_register_visitor(
        token, visitor={"name": "Maria Lopez", "email": "maria@example.com", "phone": "+5511987654321"}
    )["visitor"]
    assert registered["token"] == token
    assert visitor.livechat_get_visitor(token)["visitor"]["_id"] == registered["_id"]

    room: dict[str, Any] = visitor.livechat_room(token)["room"]
    assert room["fname"] == "Maria Lopez"
    visitor.livechat_message(token, room["_id"], "Hello, my order is late")

    inquiry = agent.livechat_inquiries_get_one(room["_id"])["inquiry"]
    assert inquiry["rid"] == room["_id"]
    assert inquiry["status"] == "queued"
    # The whole queue is a manager's view (`view-livechat-manager`).
    assert [item["rid"] for item in admin.livechat_inquiries_list()] == [room["_id"]]
    agent.livechat_inquiries_take(inquiry["_id"])
    assert agent.subscriptions_get_one(room["_id"])["subscription"]["fname"] == "Maria Lopez"
    assert list(admin.livechat_inquiries_list()) == []

    sent = agent.chat_send_message({"rid": room["_id"], "msg": "Sorry about that, it ships today"})["message"]
    assert sent["u"] == {"_id": created["user"]["_id"], "username": agent_name, "name": "Agent Smith"}
    posted = agent.chat_post_message("Anything else?", room_id=room["_id"])
    assert posted["channel"] == room["_id"]
    assert posted["message"]["msg"] == "Anything else?"
    # The visitor's next line waits, unread, until the agent reads the room.
    visitor.livechat_message(token, room["_id"], "No, thanks")
    assert agent.subscriptions_get_one(room["_id"])["subscription"]["unread"] == 1
    assert agent.subscriptions_read(room["_id"]) == {"success": True}
    assert agent.subscriptions_get_one(room["_id"])["subscription"]["unread"] == 0
    # Newest first; system notes (`livechat-started`, the agent joining) carry a `t`.
    history = [
        message["msg"] for message in visitor.livechat_messages_history(room["_id"], token) if "t" not in message
    ]
    assert history == ["No, thanks", "Anything else?", "Sorry about that, it ships today", "Hello, my order is late"]
    transcript = agent.call_api_get(f"livechat/{room['_id']}/messages", sort='{"ts":1}')["messages"]
    assert [message["msg"] for message in transcript] == [
        "Hello, my order is late",
        "Sorry about that, it ships today",
        "Anything else?",
        "No, thanks",
    ]
    served = agent.rooms_info(room_id=room["_id"])["room"]
    assert served["servedBy"]["username"] == agent_name
    assert served["lastMessage"]["msg"] == "No, thanks"
    assert [listed["_id"] for listed in admin.livechat_rooms()] == [room["_id"]]
    # An agent lists the rooms they serve by naming themselves (the client sends `agents[]=<id>`).
    mine = agent.livechat_rooms(agents=[created["user"]["_id"]], open="true")
    assert [listed["_id"] for listed in mine] == [room["_id"]]

    agent.call_api_post("livechat/room.closeByUser", rid=room["_id"], comment="Resolved")

    # The conversation is now part of the contact's history, found by the phone's unencoded "+".
    found = admin.call_api_get("omnichannel/contacts.search", searchText="+5511987654321")
    assert [contact["name"] for contact in found["contacts"]] == []  # an unknown contact is not listed...
    unknown = admin.call_api_get("omnichannel/contacts.search", searchText="+5511987654321", unknown="true")
    contact_id = unknown["contacts"][0]["_id"]  # ...unless asked for
    contact_history = admin.call_api_get("omnichannel/contacts.history", contactId=contact_id)
    assert contact_history["total"] == 1
    assert contact_history["history"][0]["_id"] == room["_id"]
    assert contact_history["history"][0]["closer"] == "user"

    assert admin.logout()["status"] == "success"
