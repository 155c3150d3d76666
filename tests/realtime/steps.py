"""Shared steps of the realtime tests: a widget's and an agent's DDP clients."""

from collections.abc import Mapping
from typing import Any

from tests.realtime.ddp import Ddp
from tests.support import Api


def widget(base_url: str, token: str) -> Ddp:
    """What Rocket.Chat's widget does after registering: connect and name its visitor token."""
    client = Ddp(base_url).handshake()
    assert client.call("livechat:setUpConnection", {"token": token}) is None
    return client


def follow_room(client: Ddp, rid: str, token: str) -> None:
    """The widget's subscriptions for its room, with the visitor token in the args."""
    credentials = {"token": token, "visitorToken": token}
    client.subscribed("stream-room-messages", rid, credentials)
    client.subscribed("stream-notify-room", f"{rid}/typing", credentials)
    client.subscribed("stream-livechat-room", rid, credentials)


def logged_in(base_url: str, headers: Mapping[str, str]) -> Ddp:
    client = Ddp(base_url).handshake()
    result = client.login(headers["X-Auth-Token"])
    assert result["id"] == headers["X-User-Id"]
    return client


def ms(iso: str) -> dict[str, int]:
    from omnicontacts.realtime.ejson import iso_to_ms

    return {"$date": iso_to_ms(iso)}


def message_args(client: Ddp, rid: str, **where: Any) -> dict[str, Any]:
    """The next stored message of the room whose fields match `where`."""
    args = client.event(
        "stream-room-messages", rid, where=lambda a: all(a[0].get(key) == value for key, value in where.items())
    )
    assert len(args) == 1
    return args[0]  # type: ignore[no-any-return]


def take(api: Api, agent: Api, rid: str) -> None:
    inquiry = api.get("livechat/inquiries.getOne", params={"roomId": rid}).json()["inquiry"]
    response = agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]})
    assert response.status_code == 200, response.text
