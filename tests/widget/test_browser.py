"""Rocket.Chat's own web chat widget, in real Chromium, talking to omnicontacts.

A shop's page embeds the widget with Rocket.Chat's snippet. The visitor opens it, registers and
writes twice; an agent takes the chat and answers through the REST API; the answer shows in the
widget within a second; the agent's typing shows; a reload brings the conversation back; the
agent closes and the widget says the chat is finished. Then the same with the widget on one server
process and the agent on another, over one database.

Screenshots of every step land in test-artifacts/screenshots/ (not committed).
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import FrameLocator, Page, sync_playwright

from tests.livechat.steps import create_agent, set_setting
from tests.support import Api, RunningServer
from tests.widget.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, second_process, serve_host_page
from tests.widget.mailbox import free_port

ANSWER_WITHIN_SECONDS = 1.0


def _fresh_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1000, "height": 800})
        yield context.new_page()
        context.close()
        chromium.close()


@pytest.fixture
def page(api: Api) -> Iterator[Page]:
    """A fresh Chromium per test, started after the database was reset: Playwright's sync API
    keeps an event loop running in this thread for as long as it lives."""
    yield from _fresh_page()


class Shots:
    def __init__(self, page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page, self.name, self.count = page, name, 0

    def __call__(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{self.count:02d}-{step}.png"))


def _queued_inquiry(agent: Api) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        inquiries = agent.get("livechat/inquiries.queuedForUser").json()["inquiries"]
        if inquiries:
            assert len(inquiries) == 1
            return inquiries[0]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, "the visitor's chat never reached the queue"
        time.sleep(0.1)


def _typing(agent: Api, rid: str, username: str, typing: bool) -> None:
    call = {"msg": "method", "id": "1", "method": "stream-notify-room", "params": [f"{rid}/typing", username, typing]}
    response = agent.post("method.call/stream-notify-room", {"message": orjson.dumps(call).decode()})
    assert response.status_code == 200 and "error" not in orjson.loads(response.json()["message"])


def _open_widget(page: Page) -> FrameLocator:
    widget = page.frame_locator("#rocketchat-iframe")
    widget.locator("button[class*=chat-button]").click()
    return widget


def _converse(page: Page, host_url: str, agent: Api, agent_user: dict[str, Any], shots: Shots) -> None:
    page.goto(host_url)
    widget = _open_widget(page)
    shots("registration-form")
    widget.locator("input[name=name]").fill("Ada Lovelace")
    widget.locator("input[name=email]").fill("ada@example.com")
    widget.locator("button[type=submit]").click()
    composer = widget.locator("[contenteditable=true]").first
    composer.wait_for(timeout=10_000)
    for text in ("Hello, is anybody there?", "I have a question about my order"):
        composer.click()
        composer.type(text)
        page.keyboard.press("Enter")
        widget.get_by_text(text).wait_for(timeout=15_000)
    shots("visitor-wrote-twice")

    inquiry = _queued_inquiry(agent)
    assert inquiry["v"]["username"].startswith("guest-")
    rid = inquiry["rid"]
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    widget.get_by_text(agent_user["name"]).first.wait_for(timeout=30_000)
    shots("agent-took-the-chat")

    answer = "Hi Ada, I am looking at your order now"
    started = time.monotonic()
    response = agent.post("chat.sendMessage", {"message": {"rid": rid, "msg": answer}})
    assert response.status_code == 200, response.text
    widget.get_by_text(answer).wait_for(timeout=5_000)
    elapsed = time.monotonic() - started
    shots("agent-answered")
    assert elapsed < ANSWER_WITHIN_SECONDS, f"the answer took {elapsed:.3f} s to show"

    _typing(agent, rid, agent_user["username"], True)
    widget.locator("[class*=typing-dots]").first.wait_for(timeout=5_000)
    shots("agent-typing")
    _typing(agent, rid, agent_user["username"], False)
    widget.locator("[class*=typing-dots]").first.wait_for(state="detached", timeout=5_000)

    # A reload while the chat is open: the conversation comes back from the server.
    page.reload()
    widget = _open_widget(page)
    for text in ("Hello, is anybody there?", "I have a question about my order", answer):
        widget.get_by_text(text).wait_for(timeout=15_000)
    shots("reloaded-history")

    assert agent.post("livechat/room.closeByUser", {"rid": rid, "comment": "Solved"}).status_code == 200
    widget.get_by_text("Chat Finished").wait_for(timeout=10_000)
    shots("chat-finished")

    # The conversation is in the contact's history.
    room = agent.get("rooms.info", params={"roomId": rid}).json()["room"]
    assert room["v"]["contactId"] == room["contactId"]
    history = agent.get("omnichannel/contacts.history", params={"contactId": room["contactId"]}).json()
    assert [entry["_id"] for entry in history["history"]] == [rid]


def _setup_agent(api: Api) -> tuple[dict[str, Any], Api]:
    # Chats wait in the queue until an agent takes them.
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    return create_agent(api)


def test_widget_conversation(api: Api, server: RunningServer, page: Page) -> None:
    agent_user, agent = _setup_agent(api)
    for host_url in serve_host_page(server.base_url):
        _converse(page, host_url, agent, agent_user, Shots(page, f"one-process-{server.name}"))


def test_widget_on_one_process_agent_on_another(api: Api, server: RunningServer, page: Page, tmp_path: Path) -> None:
    # Over PostgreSQL and over one SQLite file alike.
    agent_user, agent_here = _setup_agent(api)
    for other_url in second_process(server, free_port(), tmp_path / "second-process.log"):
        agent_there = Api(other_url, dict(agent_here.client.headers))
        for host_url in serve_host_page(server.base_url):
            _converse(page, host_url, agent_there, agent_user, Shots(page, f"two-processes-{server.name}"))
