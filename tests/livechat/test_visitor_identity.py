"""A visitor is who holds its token: the takeovers `POST livechat/visitor` once allowed, as attacks.

Registering a new token with an existing visitor's phone, email or `id` must never answer, replace
or reveal that visitor's token, and the new token must reach nothing of theirs (rooms, messages,
erasure). The new visitor gets its own identity; contacts still link by email and phone.
"""

from typing import Any

import httpx

from tests.livechat.steps import create_contact, get_contact, new_token, open_room, register_visitor, send
from tests.support import Api


def _victim(api: Api, **identity: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer with an open conversation and one message in it."""
    visitor = register_visitor(api, name="Victim", **identity)
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "my order number is 1234")
    return visitor, room


def _attack(anon: Api, body: dict[str, Any]) -> httpx.Response:
    return anon.post("livechat/visitor", {"visitor": body})


def _assert_untouched(anon: Api, victim: dict[str, Any], room: dict[str, Any]) -> None:
    """The victim still owns its token, data and conversation."""
    again = anon.get(f"livechat/visitor/{victim['token']}")
    assert again.status_code == 200
    assert again.json()["visitor"]["_id"] == victim["_id"]
    assert again.json()["visitor"]["name"] == "Victim"
    history = anon.get(f"livechat/messages.history/{room['_id']}", params={"token": victim["token"]})
    assert history.status_code == 200
    assert [item["msg"] for item in history.json()["messages"] if not item.get("t")] == ["my order number is 1234"]
    assert send(anon, victim["token"], room["_id"], "still me")["msg"] == "still me"


def _assert_locked_out(anon: Api, attacker_token: str, room: dict[str, Any]) -> None:
    """The attacker's token reaches none of the victim's conversation."""
    history = anon.get(f"livechat/messages.history/{room['_id']}", params={"token": attacker_token})
    assert history.status_code == 400
    assert history.json() == {"success": False, "error": "invalid-room"}
    write = anon.post("livechat/message", {"token": attacker_token, "rid": room["_id"], "msg": "hijack"})
    assert write.status_code == 400
    assert write.json() == {"success": False, "error": "invalid-room"}
    read = anon.get("livechat/room", params={"token": attacker_token, "rid": room["_id"]})
    assert read.status_code == 400
    assert read.json() == {"success": False, "error": "invalid-room"}
    close = anon.post("livechat/room.close", {"token": attacker_token, "rid": room["_id"]})
    assert close.status_code == 400
    assert close.json() == {"success": False, "error": "invalid-room"}


def test_takeover_by_phone_is_refused(api: Api, anon: Api) -> None:
    victim, room = _victim(api, phone="+15550100")
    attacker_token = new_token()

    response = _attack(anon, {"token": attacker_token, "phone": "+15550100", "name": "Mallory"})

    assert response.status_code == 200
    assert victim["token"] not in response.text
    assert victim["_id"] not in response.text
    answered = response.json()["visitor"]
    assert answered["token"] == attacker_token
    assert answered["phone"] == [{"phoneNumber": "+15550100"}]
    _assert_locked_out(anon, attacker_token, room)
    # Erasing with the new token erases the attacker only.
    erased = anon.delete(f"livechat/visitor/{attacker_token}")
    assert erased.status_code == 200
    assert erased.json()["visitor"]["_id"] == answered["_id"]
    _assert_untouched(anon, victim, room)


def test_takeover_by_email_is_refused_and_the_victim_keeps_its_token(api: Api, anon: Api) -> None:
    victim, room = _victim(api, email="victim@example.com")
    attacker_token = new_token()

    response = _attack(anon, {"token": attacker_token, "email": "VICTIM@example.com", "name": "Mallory"})

    assert response.status_code == 200
    assert victim["token"] not in response.text
    assert victim["_id"] not in response.text
    assert response.json()["visitor"]["token"] == attacker_token
    _assert_locked_out(anon, attacker_token, room)
    _assert_untouched(anon, victim, room)


def test_takeover_by_visitor_id_is_refused(api: Api, anon: Api) -> None:
    victim, room = _victim(api, email="victim.id@example.com")
    attacker_token = new_token()

    response = _attack(anon, {"token": attacker_token, "id": victim["_id"], "name": "Mallory"})

    assert response.status_code == 200
    answered = response.json()["visitor"]
    assert answered["_id"] != victim["_id"]
    assert answered["token"] == attacker_token
    assert victim["token"] not in response.text
    _assert_locked_out(anon, attacker_token, room)
    _assert_untouched(anon, victim, room)


def test_a_free_visitor_id_is_kept(anon: Api) -> None:
    response = _attack(anon, {"token": new_token(), "id": "chosen-by-the-client"})

    assert response.status_code == 200
    assert response.json()["visitor"]["_id"] == "chosen-by-the-client"


def test_the_attackers_conversation_never_joins_the_victims_contact(api: Api, anon: Api) -> None:
    victim, room = _victim(api, email="owner@example.com", phone="+15550101")
    attacker = register_visitor(api, name="Mallory", email="owner@example.com", phone="+15550101")

    attacker_room = open_room(api, attacker["token"])

    assert attacker_room["contactId"] != room["contactId"]
    victim_contact = get_contact(api, room["contactId"])
    assert [channel["visitor"]["visitorId"] for channel in victim_contact["channels"]] == [victim["_id"]]
    assert victim_contact["name"] == "Victim"
    _assert_untouched(anon, victim, room)


def test_a_new_visitor_still_joins_the_pre_registered_contact_of_its_email(api: Api) -> None:
    contact_id = create_contact(api, "Known Customer", ["known.customer@example.com"], [])
    first = register_visitor(api, name="First Device", email="known.customer@example.com")

    room = open_room(api, first["token"])

    assert room["contactId"] == contact_id
    contact = get_contact(api, contact_id)
    assert [channel["visitor"]["visitorId"] for channel in contact["channels"]] == [first["_id"]]


def test_registering_again_with_the_own_token_still_updates_the_visitor(api: Api) -> None:
    visitor = register_visitor(api, name="Before", phone="+15550102")

    again = register_visitor(api, token=visitor["token"], name="After", phone="+15550103")

    assert again["_id"] == visitor["_id"]
    assert again["token"] == visitor["token"]
    assert again["name"] == "After"
    assert again["phone"] == [{"phoneNumber": "+15550103"}]
