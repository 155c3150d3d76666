"""The steps of a livechat conversation, through the public API, as Rocket.Chat's own tests take
them (`tests/data/livechat/rooms.ts`): register a visitor, open a room, write, close."""

import secrets
import time
from typing import Any

from tests.support import Api

WIDGET_COOKIES = {"Cookie": "rc_room_type=l; rc_is_widget=t"}


def new_token() -> str:
    return secrets.token_hex(9)


def register_visitor(
    api: Api,
    *,
    token: str | None = None,
    name: str | None = "Visitor Name",
    email: str | None = None,
    phone: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    token = token or new_token()
    visitor: dict[str, Any] = {"token": token, **extra}
    if name is not None:
        visitor["name"] = name
    if email is not None:
        visitor["email"] = email
    if phone is not None:
        visitor["phone"] = phone
    response = api.anonymous().post("livechat/visitor", {"visitor": visitor})
    assert response.status_code == 200, response.text
    return response.json()["visitor"]  # type: ignore[no-any-return]


def open_room(api: Api, token: str, *, widget: bool = False, rid: str | None = None) -> dict[str, Any]:
    # Rooms are listed by their opening time, in milliseconds, as in Rocket.Chat: two rooms a
    # test opens back to back must not share it, or "newest first" would have no answer.
    time.sleep(0.002)
    params = {"token": token, **({"rid": rid} if rid else {})}
    response = api.anonymous().get("livechat/room", params=params, headers=WIDGET_COOKIES if widget else None)
    assert response.status_code == 200, response.text
    return response.json()["room"]  # type: ignore[no-any-return]


def send(api: Api, token: str, rid: str, text: str) -> dict[str, Any]:
    response = api.anonymous().post("livechat/message", {"token": token, "rid": rid, "msg": text})
    assert response.status_code == 200, response.text
    return response.json()["message"]  # type: ignore[no-any-return]


def close_by_agent(api: Api, rid: str, **extra: Any) -> None:
    response = api.post("livechat/room.closeByUser", {"rid": rid, **extra})
    assert response.status_code == 200, response.text


def close_by_visitor(api: Api, token: str, rid: str) -> None:
    response = api.anonymous().post("livechat/room.close", {"token": token, "rid": rid})
    assert response.status_code == 200, response.text


def room_info(api: Api, rid: str) -> dict[str, Any]:
    response = api.get("channels.info", params={"roomId": rid})
    assert response.status_code == 200, response.text
    return response.json()["channel"]  # type: ignore[no-any-return]


def get_contact(api: Api, contact_id: str) -> dict[str, Any]:
    response = api.get("omnichannel/contacts.get", params={"contactId": contact_id})
    assert response.status_code == 200, response.text
    return response.json()["contact"]  # type: ignore[no-any-return]


def create_contact(api: Api, name: str, emails: list[str], phones: list[str], **extra: Any) -> str:
    response = api.post("omnichannel/contacts", {"name": name, "emails": emails, "phones": phones, **extra})
    assert response.status_code == 200, response.text
    return response.json()["contactId"]  # type: ignore[no-any-return]


def create_agent(api: Api, *, available: bool = True) -> tuple[dict[str, Any], Api]:
    """A new user made livechat agent, logged in; online and available unless told otherwise."""
    user = api.create_user()
    response = api.post("livechat/users/agent", {"username": user["username"]})
    assert response.status_code == 200, response.text
    agent = api.as_user(api.login(user["username"]))
    if available:
        assert agent.post("users.setStatus", {"message": "", "status": "online"}).status_code == 200
        assert agent.post("livechat/agent.status", {"status": "available"}).status_code == 200
    return user, agent


def set_setting(api: Api, setting_id: str, value: Any) -> None:
    response = api.post(f"settings/{setting_id}", {"value": value})
    assert response.status_code == 200, response.text


def fetch_inquiry(api: Api, rid: str) -> dict[str, Any] | None:
    response = api.get("livechat/inquiries.getOne", params={"roomId": rid})
    assert response.status_code == 200, response.text
    return response.json()["inquiry"]  # type: ignore[no-any-return]
