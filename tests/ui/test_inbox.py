"""The agent inbox in Chromium, live over the realtime layer: a visitor (plain REST, and DDP for
typing) writes, the chat appears in the queue without a reload, the agent takes it, both see
each other type, the answer reaches the visitor, and the agent closes it with tags."""

import json
import re
from typing import Any

from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect

from tests.support import USER_PASSWORD
from tests.ui.conftest import Ui
from tests.ui.flows import make_agent, visitor_writes


def _handshake(socket: ClientConnection) -> None:
    socket.send(json.dumps({"msg": "connect", "version": "1", "support": ["1"]}))
    while json.loads(socket.recv(timeout=10)).get("msg") != "connected":
        pass


def _call(socket: ClientConnection, method: str, params: list[Any], call_id: str) -> Any:
    socket.send(json.dumps({"msg": "method", "method": method, "params": params, "id": call_id}))
    while True:
        frame = json.loads(socket.recv(timeout=10))
        if frame.get("msg") == "result" and frame.get("id") == call_id:
            assert "error" not in frame, frame
            return frame.get("result")


def _next_event(socket: ClientConnection, collection: str) -> Any:
    while True:
        frame = json.loads(socket.recv(timeout=10))
        if frame.get("msg") == "changed" and frame.get("collection") == collection:
            return frame["fields"]


def test_agent_takes_answers_and_closes_a_live_chat(ui: Ui) -> None:
    assert ui.api.post("settings/Livechat_Routing_Method", {"value": "Manual_Selection"}).status_code == 200
    agent = ui.user(["user", "livechat-agent"])
    make_agent(ui.api, agent["username"])
    status = ui.api.post("livechat/agent.status", {"agentId": agent["_id"], "status": "not-available"})
    assert status.status_code == 200, status.text
    page = ui.sign_in(agent["username"], USER_PASSWORD)
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    page.get_by_role("button", name="Go available").click()
    expect(page.locator("#agent-status")).to_have_text("Available")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    expect(page.get_by_role("region", name="Queue (0)")).to_contain_text("No chat is waiting.")
    assert ui.axe(page) == []

    # The visitor writes over REST; the queue shows the chat without a reload.
    chat = visitor_writes(ui.api.anonymous(), "Lucas Pereira", email="lucas@example.com", text="My order is late")
    queue = page.get_by_role("region", name="Queue (1)")
    expect(queue).to_contain_text("Lucas Pereira")
    ui.shot(page, "inbox-queue")

    queue.get_by_role("button", name="Take Lucas Pereira").click()
    assert page.get_by_role("alert").count() == 0, page.get_by_role("alert").inner_text()
    expect(page).to_have_url(re.compile(r"/ui/inbox\?room=" + chat["rid"]))
    expect(page.get_by_role("region", name="My open chats (1)")).to_contain_text("Lucas Pereira")
    messages = page.locator("#messages li")
    expect(messages.filter(has_text="My order is late")).to_have_count(1)
    expect(page.locator("body")).to_have_attribute("data-live", "on")

    # The visitor's next message appears as it is written.
    visitor = ui.api.anonymous()
    sent = visitor.post("livechat/message", {"token": chat["token"], "rid": chat["rid"], "msg": "Order 4411"})
    assert sent.status_code == 200
    expect(messages.filter(has_text="Order 4411")).to_have_count(1)

    # Typing, both ways, over the realtime layer.
    with connect(ui.base_url.replace("http://", "ws://") + "/websocket") as socket:
        _handshake(socket)
        _call(socket, "livechat:setUpConnection", [{"token": chat["token"]}], "setup")
        room = visitor.get("livechat/room", {"token": chat["token"], "rid": chat["rid"]}).json()["room"]
        _call(
            socket,
            "stream-notify-room",
            [f"{chat['rid']}/typing", room["v"]["username"], True, {"token": chat["token"]}],
            "t1",
        )
        expect(page.locator("#typing")).to_have_text(f"{room['v']['username']} is typing…")
        socket.send(
            json.dumps(
                {
                    "msg": "sub",
                    "id": "typing",
                    "name": "stream-notify-room",
                    "params": [
                        f"{chat['rid']}/typing",
                        {"useCollection": False, "args": [{"token": chat["token"], "visitorToken": chat["token"]}]},
                    ],
                }
            )
        )
        while json.loads(socket.recv(timeout=10)).get("msg") != "ready":
            pass
        page.get_by_label("Message").fill("Let me check order 4411")
        event = _next_event(socket, "stream-notify-room")
        assert event == {"eventName": f"{chat['rid']}/typing", "args": [agent["username"], True]}

    page.get_by_role("button", name="Send").click()
    expect(messages.filter(has_text="Let me check order 4411")).to_have_count(1)
    expect(page.get_by_label("Message")).to_have_value("")
    history = visitor.get(f"livechat/messages.history/{chat['rid']}", {"token": chat["token"]}).json()["messages"]
    assert "Let me check order 4411" in [message.get("msg") for message in history]
    ui.shot(page, "inbox-conversation")
    assert ui.axe(page) == []

    page.get_by_label("Comment").fill("Refund issued")
    page.get_by_label("Tags").fill("billing, refund")
    page.get_by_role("button", name="Close chat").click()
    expect(page).to_have_url(re.compile(r"/ui/inbox$"))
    expect(page.get_by_role("region", name="My open chats (0)")).to_be_visible()
    closed = ui.api.get("rooms.info", {"roomId": chat["rid"]}).json()["room"]
    assert "open" not in closed
    assert closed["closedBy"]["username"] == agent["username"]
    assert closed["tags"] == ["billing", "refund"]

    # The conversation is now in the contact's history, with its transcript.
    page.goto("/ui/contacts?unknown=on&q=lucas")
    page.get_by_role("link", name="Lucas Pereira").click()
    history_region = page.get_by_role("region", name="History (1)")
    expect(history_region).to_contain_text("billing, refund")
    history_region.get_by_role("link").first.click()
    expect(page.get_by_test_id("tags")).to_have_text("billing, refund")
    expect(page.get_by_test_id("closing-comment")).to_have_text("Refund issued")
    transcript = page.locator("ol.messages li")
    expect(transcript.filter(has_text="My order is late")).to_have_count(1)
    expect(transcript.filter(has_text="Let me check order 4411")).to_have_count(1)
