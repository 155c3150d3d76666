"""Data for the browser tests, made through the public REST API as a widget and an agent would."""

import secrets
from typing import Any

from tests.support import Api


def make_agent(api: Api, username: str) -> None:
    response = api.post("livechat/users/agent", {"username": username})
    assert response.status_code == 200, response.text


def set_available(api: Api) -> None:
    response = api.post("livechat/agent.status", {"status": "available"})
    assert response.status_code == 200, response.text


def visitor_writes(
    anon: Api, name: str, *, email: str | None = None, phone: str | None = None, text: str
) -> dict[str, Any]:
    """A visitor registers, opens a room and writes; answers {token, rid}."""
    token = "tok-" + secrets.token_hex(8)
    visitor: dict[str, Any] = {"token": token, "name": name}
    if email:
        visitor["email"] = email
    if phone:
        visitor["phone"] = phone
    response = anon.post("livechat/visitor", {"visitor": visitor})
    assert response.status_code == 200, response.text
    room = anon.get("livechat/room", {"token": token})
    assert room.status_code == 200, room.text
    rid = room.json()["room"]["_id"]
    sent = anon.post("livechat/message", {"token": token, "rid": rid, "msg": text})
    assert sent.status_code == 200, sent.text
    return {"token": token, "rid": rid}


def closed_conversation(
    api: Api, name: str, *, email: str | None = None, phone: str | None = None, tags: list[str] | None = None
) -> dict[str, Any]:
    """A whole conversation served and closed by the admin (who must be an available agent)."""
    chat = visitor_writes(api.anonymous(), name, email=email, phone=phone, text=f"Hello, I am {name}")
    answer = api.post("chat.sendMessage", {"message": {"rid": chat["rid"], "msg": "How can I help?"}})
    assert answer.status_code == 200, answer.text
    closed = api.post(
        "livechat/room.closeByUser", {"rid": chat["rid"], "comment": "Solved on the phone", "tags": tags or ["billing"]}
    )
    assert closed.status_code == 200, closed.text
    room = api.get("rooms.info", {"roomId": chat["rid"]}).json()["room"]
    return {**chat, "contactId": room["contactId"], "room": room}


def create_contact(api: Api, name: str, emails: list[str], phones: list[str], **extra: Any) -> str:
    response = api.post("omnichannel/contacts", {"name": name, "emails": emails, "phones": phones, **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["contactId"])
