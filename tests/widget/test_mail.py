"""Transcripts and offline messages go out over SMTP, received here by a real aiosmtpd server.

Mail is queued in the request's transaction and sent in the background after commit, so a
request never waits for the mail server and a failed request sends nothing."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from omnicontacts.storage import open_storage
from tests.livechat.steps import close_by_agent, open_room, register_visitor, send, set_setting
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer
from tests.widget.mailbox import FROM, Inbox, free_port, point_mail_at, smtp_inbox


@pytest.fixture
def inbox(api: Api) -> Iterator[Inbox]:
    for box in smtp_inbox():
        point_mail_at(api, box.port)
        yield box


async def _outbox_rows(server: RunningServer) -> list[dict[str, Any]]:
    storage = await open_storage(server.settings)
    try:
        async with storage.connection() as conn:
            rows = await conn.fetch("SELECT status, attempts, last_error FROM mail_outbox ORDER BY created_at")
            return [dict(row) for row in rows]
    finally:
        await storage.close()


def outbox(server: RunningServer) -> list[dict[str, Any]]:
    return asyncio.run(_outbox_rows(server))


# --- offline messages ------------------------------------------------------------------------------


def test_offline_message_is_mailed_to_the_team(api: Api, inbox: Inbox) -> None:
    set_setting(api, "Livechat_offline_email", "team@omni.example")
    body = {"name": "Ada <b>", "email": "ada@example.com", "message": "Call me\nplease", "host": "https://shop.example"}
    started = time.monotonic()
    response = api.anonymous().post("livechat/offline.message", body)
    assert time.monotonic() - started < 2
    assert response.status_code == 200
    assert response.json() == {"message": "Livechat offline message sent", "success": True}
    [mail] = inbox.wait_for(1)
    assert mail.rcpt_tos == ["team@omni.example"]
    assert mail.mail_from == FROM
    assert mail.message["To"] == "team@omni.example"
    assert mail.message["Subject"] == "Livechat offline message from Ada <b>: Call me\nplease".replace("\n", " ")
    assert mail.message["Reply-To"] == '"Ada <b>" <ada@example.com>'
    assert "Ada &lt;b&gt;" in mail.html and "<b>" not in mail.html
    assert "Call me<br>please" in mail.html
    assert "https://shop.example" in mail.html


def test_offline_message_refusals(api: Api, inbox: Inbox) -> None:
    anon = api.anonymous()
    error = {"success": False, "error": "Error sending livechat offline message"}
    body = {"name": "n", "email": "n@example.com", "message": "m"}
    # No team address set yet.
    response = anon.post("livechat/offline.message", body)
    assert (response.status_code, response.json()) == (400, error)
    set_setting(api, "Livechat_offline_email", "team@omni.example")
    response = anon.post("livechat/offline.message", {**body, "email": "not-an-address"})
    assert (response.status_code, response.json()) == (400, error)
    set_setting(api, "Livechat_display_offline_form", False)
    response = anon.post("livechat/offline.message", body)
    assert (response.status_code, response.json()) == (400, error)
    response = anon.post("livechat/offline.message", {"name": "n", "email": ""})
    assert response.json()["error"] == "must have required property 'message' [invalid-params]"
    # Nothing was queued by the refused calls.
    time.sleep(0.3)
    assert inbox.received == []


# --- transcripts -------------------------------------------------------------------------------------


def test_visitor_transcript_is_mailed_now(api: Api, inbox: Inbox, server: RunningServer) -> None:
    visitor = register_visitor(api, name="Ada")
    token = visitor["token"]
    room = open_room(api, token)
    send(api, token, room["_id"], "first <question>")
    send(api, token, room["_id"], "second")
    response = api.anonymous().post(
        "livechat/transcript", {"token": token, "rid": room["_id"], "email": "ada@example.com"}
    )
    assert response.json() == {"message": "Livechat transcript sent", "success": True}
    [mail] = inbox.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.com"]
    assert mail.message["Subject"] == "Transcript of your livechat conversation"
    assert mail.message["Reply-To"] == FROM
    html = mail.html
    assert html.index("first &lt;question&gt;") < html.index("second")
    assert html.count("<strong>You</strong>") == 2
    history = api.anonymous().get(f"livechat/messages.history/{room['_id']}", params={"token": token}).json()
    notes = [m for m in history["messages"] if m.get("t") == "livechat_transcript_history"]
    assert len(notes) == 1 and notes[0]["requestData"]["type"] == "visitor"
    assert [row["status"] for row in outbox(server)] == ["sent"]


def test_visitor_transcript_errors(api: Api, inbox: Inbox) -> None:
    anon = api.anonymous()
    visitor = register_visitor(api)
    other = register_visitor(api)
    room = open_room(api, visitor["token"])
    for body, error in [
        ({}, "must have required property 'rid' [invalid-params]"),
        ({"token": "t", "rid": "r"}, "must have required property 'email' [invalid-params]"),
        ({"token": "t", "rid": "r", "email": ""}, "error-invalid-token"),
        ({"token": visitor["token"], "rid": "r", "email": ""}, "error-invalid-room"),
        ({"token": other["token"], "rid": room["_id"], "email": "x@example.com"}, "error-invalid-room"),
        ({"token": visitor["token"], "rid": room["_id"], "email": "test"}, "error-invalid-email"),
    ]:
        response = anon.post("livechat/transcript", body)
        assert response.status_code == 400
        assert response.json()["error"] == error
    time.sleep(0.3)
    assert inbox.received == []


def test_agent_requested_transcript_goes_out_when_the_room_closes(api: Api, inbox: Inbox) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "hello")
    response = api.post(f"livechat/transcript/{room['_id']}", {"email": "ada@example.com", "subject": "Our chat"})
    assert response.json() == {"success": True}
    request = api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]["transcriptRequest"]
    assert (request["email"], request["subject"], request["requestedBy"]["username"]) == (
        "ada@example.com",
        "Our chat",
        "admin.test",
    )
    time.sleep(0.3)
    assert inbox.received == []
    close_by_agent(api, room["_id"])
    [mail] = inbox.wait_for(1)
    assert mail.message["Subject"] == "Our chat"
    assert mail.rcpt_tos == ["ada@example.com"]
    assert "hello" in mail.html
    closed = api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]
    assert "transcriptRequest" not in closed


def test_close_by_user_can_ask_for_or_cancel_the_transcript(api: Api, inbox: Inbox) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "asked at closing")
    request = {"sendToVisitor": True, "requestData": {"email": "ada@example.com", "subject": "At closing"}}
    close_by_agent(api, room["_id"], transcriptEmail=request)
    [mail] = inbox.wait_for(1)
    assert (mail.message["Subject"], mail.rcpt_tos) == ("At closing", ["ada@example.com"])
    assert "asked at closing" in mail.html
    # Asked for earlier, cancelled at closing: nothing goes out.
    other = open_room(api, register_visitor(api)["token"])
    api.post(f"livechat/transcript/{other['_id']}", {"email": "b@example.com", "subject": "s"})
    close_by_agent(api, other["_id"], transcriptEmail={"sendToVisitor": False})
    time.sleep(3)
    assert len(inbox.received) == 1


def test_transcript_request_and_cancel_rules(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    path = f"livechat/transcript/{room['_id']}"
    body = {"email": "a@example.com", "subject": "s"}
    assert api.anonymous().post(path, body).json() == LOGGED_OUT
    assert api.anonymous().delete(path).status_code == 401
    response = api.delete(path)
    assert (response.status_code, response.json()) == (
        400,
        {"success": False, "error": "error-transcript-not-requested"},
    )
    assert api.post(path, {"email": "a@example.com"}).json()["error"] == (
        "must have required property 'subject' [invalid-params]"
    )
    assert api.post(path, body).status_code == 200
    response = api.post(path, body)
    assert response.json() == {
        "success": False,
        "error": "Transcript already requested [error-transcript-already-requested]",
        "errorType": "error-transcript-already-requested",
    }
    assert api.delete(path).json() == {"success": True}
    assert "transcriptRequest" not in api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]
    response = api.post("livechat/transcript/nope", body)
    assert response.json()["error"] == "Invalid room [error-invalid-room]"
    assert api.delete("livechat/transcript/nope").json() == {"success": False, "error": "error-invalid-room"}
    close_by_agent(api, room["_id"])
    assert api.post(path, body).json()["errorType"] == "error-invalid-room"
    api.set_permission("send-omnichannel-chat-transcript", [])
    response = api.post(path, body)
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert api.delete(path).status_code == 403


def test_send_transcript_method(api: Api, inbox: Inbox) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "via the method")

    def call(client: Api, params: list[Any]) -> dict[str, Any]:
        message = {"msg": "method", "id": "7", "method": "livechat:sendTranscript", "params": params}
        route = "method.call" if client.client.headers.get("X-Auth-Token") else "method.callAnon"
        response = client.post(f"{route}/livechat:sendTranscript", {"message": orjson.dumps(message).decode()})
        assert response.status_code == 200
        return orjson.loads(response.json()["message"])  # type: ignore[no-any-return]

    reply = call(api, [visitor["token"], room["_id"], "ada@example.com", "From the method"])
    assert reply == {"msg": "result", "id": "7", "result": True}
    [mail] = inbox.wait_for(1)
    assert mail.message["Subject"] == "From the method"
    assert "via the method" in mail.html
    refused = call(api.anonymous(), [visitor["token"], room["_id"], "ada@example.com", "s"])
    assert refused["error"]["error"] == "error-not-allowed"
    assert refused["error"]["details"] == {"method": "livechat:sendTranscript"}


def test_a_mail_server_that_is_down_never_delays_the_request(api: Api, server: RunningServer) -> None:
    point_mail_at(api, free_port())  # nothing listens there
    set_setting(api, "Livechat_offline_email", "team@omni.example")
    started = time.monotonic()
    response = api.anonymous().post("livechat/offline.message", {"name": "n", "email": "n@example.com", "message": "m"})
    assert response.status_code == 200
    assert time.monotonic() - started < 2
    deadline = time.monotonic() + 15
    while not (rows := outbox(server)) or rows[0]["attempts"] == 0 or rows[0]["last_error"] is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # Logged and kept for a later attempt, not lost and not sent.
    assert rows[0]["status"] == "pending"
    assert "ConnectionRefused" in rows[0]["last_error"] or "SMTPConnect" in rows[0]["last_error"]
