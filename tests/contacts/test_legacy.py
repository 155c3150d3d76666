"""The legacy visitor endpoints: GET/POST omnichannel/contact and GET omnichannel/contact.search
(spec §2.1-§2.3). They validate with Meteor's check(), so errors read "Match error: ..."."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.contacts.conversations import (
    build_conversation,
    create_custom_field,
    find_inquiry,
    find_room,
    find_subscription,
    find_visitor,
)
from tests.livechat.steps import new_token, open_room, register_visitor, send
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer


def register(api: Api, body: Any) -> Any:
    return api.post("omnichannel/contact", body)


def match_error(text: str) -> dict[str, Any]:
    return {"success": False, "error": f"Match error: {text}"}


class TestRegister:
    def test_creates_a_visitor(self, api: Api, server: RunningServer) -> None:
        body = {"token": "tok-1", "name": "Guest One", "email": " Guest@Example.COM ", "phone": "+1 555"}

        response = register(api, body)

        assert response.status_code == 200
        payload = response.json()
        assert list(payload) == ["contact", "success"]
        visitor = find_visitor(server, payload["contact"])
        assert visitor is not None
        assert list(visitor) == [
            "_id", "username", "ts", "token", "_updatedAt", "name", "livechatData", "phone", "visitorEmails",
        ]  # fmt: skip
        count = api.get("settings/Livechat_guest_count").json()["value"]
        assert visitor["username"] == f"guest-{count}"
        assert visitor["token"] == "tok-1"
        assert visitor["name"] == "Guest One"
        assert visitor["livechatData"] == {}
        assert visitor["phone"] == [{"phoneNumber": "+1 555"}]
        assert visitor["visitorEmails"] == [{"address": "guest@example.com"}]
        second = find_visitor(server, register(api, {"token": "tok-2", "name": "Two"}).json()["contact"])
        assert second is not None and second["username"] == f"guest-{count + 1}"

    def test_a_given_username_is_kept(self, api: Api, server: RunningServer) -> None:
        visitor_id = register(api, {"token": "t", "name": "n", "username": "chosen"}).json()["contact"]

        visitor = find_visitor(server, visitor_id)
        assert visitor is not None and visitor["username"] == "chosen"

    def test_same_token_updates_and_unsets(self, api: Api, server: RunningServer) -> None:
        agent = api.create_user(roles=["user", "livechat-agent"])
        first = {
            "token": "t",
            "name": "A",
            "email": "a@x.io",
            "phone": "1",
            "contactManager": {"username": agent["username"]},
        }
        visitor_id = register(api, first).json()["contact"]
        visitor = find_visitor(server, visitor_id)
        assert visitor is not None and visitor["contactManager"] == {"username": agent["username"]}

        second = register(api, {"token": "t", "name": "B", "email": "", "phone": ""}).json()["contact"]

        assert second == visitor_id
        visitor = find_visitor(server, visitor_id)
        assert visitor is not None
        assert visitor["name"] == "B"
        for key in ("phone", "visitorEmails", "contactManager"):
            assert key not in visitor

    def test_omitted_phone_is_kept(self, api: Api, server: RunningServer) -> None:
        visitor_id = register(api, {"token": "t", "name": "A", "phone": "1"}).json()["contact"]

        register(api, {"token": "t", "name": "A", "phone": None})

        visitor = find_visitor(server, visitor_id)
        assert visitor is not None and visitor["phone"] == [{"phoneNumber": "1"}]

    def test_a_new_token_with_another_visitors_email_is_a_new_visitor(self, api: Api, anon: Api) -> None:
        """The takeover Rocket.Chat's registerContact allows, as an attack: a customer with a
        conversation; a request names a token of its own and the customer's email. Rocket.Chat
        would give the customer's visitor that token. Here it is a new visitor, the customer keeps
        its token, and the new token reaches nothing of the customer's."""
        victim = register_visitor(api, name="Victim", email="victim@example.com")
        room = open_room(api, victim["token"])
        send(api, victim["token"], room["_id"], "my order number is 1234")
        attacker_token = new_token()

        response = register(api, {"token": attacker_token, "name": "Mallory", "email": "VICTIM@example.com"})

        assert response.status_code == 200
        new_id = response.json()["contact"]
        assert new_id != victim["_id"]
        stored = api.get("omnichannel/contact", {"contactId": new_id}).json()["contact"]
        assert (stored["name"], stored["visitorEmails"]) == ("Mallory", [{"address": "victim@example.com"}])
        # The victim still holds its visitor, under its own token and name.
        mine = anon.get(f"livechat/visitor/{victim['token']}")
        assert mine.status_code == 200
        assert (mine.json()["visitor"]["_id"], mine.json()["visitor"]["name"]) == (victim["_id"], "Victim")
        assert anon.get(f"livechat/visitor/{attacker_token}").json()["visitor"]["_id"] == new_id
        history = anon.get(f"livechat/messages.history/{room['_id']}", params={"token": victim["token"]})
        assert [item["msg"] for item in history.json()["messages"] if not item.get("t")] == ["my order number is 1234"]
        # The new token reads, writes and erases nothing of the victim's.
        stolen = anon.get(f"livechat/messages.history/{room['_id']}", params={"token": attacker_token})
        assert (stolen.status_code, stolen.json()) == (400, {"success": False, "error": "invalid-room"})
        write = anon.post("livechat/message", {"token": attacker_token, "rid": room["_id"], "msg": "hijack"})
        assert (write.status_code, write.json()) == (400, {"success": False, "error": "invalid-room"})
        erased = anon.delete(f"livechat/visitor/{attacker_token}")
        assert erased.status_code == 200 and erased.json()["visitor"]["_id"] == new_id
        assert anon.get(f"livechat/visitor/{victim['token']}").json()["visitor"]["_id"] == victim["_id"]
        assert send(anon, victim["token"], room["_id"], "still me")["msg"] == "still me"

    def test_a_body_id_selects_no_visitor(self, api: Api, server: RunningServer) -> None:
        victim = register_visitor(api, name="Victim")

        new_id = register(api, {"_id": victim["_id"], "token": new_token(), "name": "Mallory"}).json()["contact"]

        assert new_id != victim["_id"]
        kept = find_visitor(server, victim["_id"])
        assert kept is not None and (kept["token"], kept["name"]) == (victim["token"], "Victim")

    def test_concurrent_first_registrations_of_one_token_make_one_visitor(self, api: Api) -> None:
        token = new_token()
        barrier = threading.Barrier(10)

        def one(_: int) -> Any:
            barrier.wait()
            return register(api.as_user(dict(api.client.headers)), {"token": token, "name": "Racer"})

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(one, range(10)))

        assert [answer.status_code for answer in answers] == [200] * 10, [answer.text for answer in answers]
        assert len({answer.json()["contact"] for answer in answers}) == 1

    def test_rooms_inquiries_and_subscriptions_follow_the_name(self, api: Api, server: RunningServer) -> None:
        conversation = build_conversation(server, name="Before", rooms=(False, True))
        body = {"token": conversation.visitor["token"], "name": "After"}

        assert register(api, body).json()["contact"] == conversation.visitor["_id"]

        for room in conversation.rooms:
            stored = find_room(server, room["_id"])
            assert stored is not None and stored["fname"] == "After"
            subscription = find_subscription(server, room["_id"])
            assert subscription is not None and (subscription["name"], subscription["fname"]) == ("After", "After")
        inquiry = find_inquiry(server, conversation.rooms[1]["_id"])
        assert inquiry is not None and inquiry["name"] == "After"

    def test_custom_fields(self, api: Api, server: RunningServer) -> None:
        create_custom_field(api, "cf1", "Custom Field 1", required=True, regexp="^[0-9]+$")

        missing = register(api, {"token": "t", "name": "A"})
        assert missing.status_code == 400
        assert missing.json() == {"success": False, "error": "Invalid value for Custom Field 1 field"}

        visitor_id = register(api, {"token": "t", "name": "A", "customFields": {"cf1": " 7 ", "other": "x"}}).json()[
            "contact"
        ]
        visitor = find_visitor(server, visitor_id)
        assert visitor is not None and visitor["livechatData"] == {"cf1": "7"}

    @pytest.mark.parametrize(
        ("manager", "error"),
        [("nobody", "error-contact-manager-not-found"), ("user", "error-invalid-contact-manager")],
    )
    def test_contact_manager_errors(self, api: Api, manager: str, error: str) -> None:
        username = api.create_user()["username"] if manager == "user" else manager

        response = register(api, {"token": "t", "name": "A", "contactManager": {"username": username}})

        assert response.status_code == 400
        assert response.json() == {"success": False, "error": error, "errorType": error}

    def test_empty_token(self, api: Api) -> None:
        response = register(api, {"token": "", "name": "A"})

        assert response.status_code == 400
        assert response.json() == {
            "success": False,
            "error": "error-invalid-contact-data",
            "errorType": "error-invalid-contact-data",
        }

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            ({"name": "A"}, "Missing key 'token'"),
            ({"token": "t"}, "Missing key 'name'"),
            ({"token": "t", "name": 5}, "Expected string, got number in field name"),
            ({"token": "t", "name": "A", "email": 5}, "Expected string, got number in field email"),
            ({"token": "t", "name": "A", "customFields": "x"}, "Expected object, got string in field customFields"),
            ({"token": "t", "name": "A", "contactManager": {}}, "Missing key 'username' in field contactManager"),
            (
                {"token": "t", "name": "A", "contactManager": {"username": None}},
                "Expected string, got null in field contactManager.username",
            ),
            ({"token": "t", "name": "A", "foo": 1}, "Unknown key in field foo"),
            ({"foo-bar": 1, "token": "t"}, "Unknown key in field foo-bar"),
        ],
    )
    def test_match_errors(self, api: Api, body: dict[str, Any], error: str) -> None:
        response = register(api, body)

        assert response.status_code == 400
        assert response.json() == match_error(error)

    def test_optional_keys_may_be_absent_but_not_null(self, api: Api) -> None:
        # Meteor's Match.Maybe inside an object matches an absent key, not one set to null.
        absent = register(api, {"token": "t", "name": "A"})
        null_email = register(api, {"token": "t", "name": "A", "email": None})
        null_manager = register(api, {"token": "t", "name": "A", "contactManager": None})

        assert absent.status_code == 200
        assert null_email.status_code == 400
        assert null_email.json() == match_error("Expected string, got null in field email")
        assert null_manager.json() == match_error("Expected object, got null in field contactManager")


class TestGet:
    def test_an_enabled_visitor_without_its_token(self, api: Api, server: RunningServer) -> None:
        conversation = build_conversation(server, rooms=())

        response = api.get("omnichannel/contact", {"contactId": conversation.visitor["_id"]})

        assert response.status_code == 200
        expected = {key: value for key, value in conversation.visitor.items() if key != "token"}
        assert response.json() == {"contact": expected, "success": True}

    def test_unknown_is_null(self, api: Api) -> None:
        assert api.get("omnichannel/contact", {"contactId": "nope"}).json() == {"contact": None, "success": True}

    @pytest.mark.parametrize(
        ("query", "error"),
        [
            ("", "Missing key 'contactId'"),
            ("contactId=a&contactId=b", "Expected string, got object in field contactId"),
            ("contactId=a&other=1", "Unknown key in field other"),
        ],
    )
    def test_match_errors(self, api: Api, query: str, error: str) -> None:
        response = api.raw("GET", f"/api/v1/omnichannel/contact?{query}")

        assert response.status_code == 400
        assert response.json() == match_error(error)


class TestSearch:
    @pytest.fixture
    def visitors(self, api: Api) -> list[str]:
        create_custom_field(api, "company", "Company", searchable=True)
        create_custom_field(api, "secret", "Secret", searchable=False)
        bodies = [
            {
                "token": "a",
                "name": "A",
                "email": "a@x.io",
                "phone": "+1 (555)",
                "customFields": {"company": "ACME Corp"},
            },
            {"token": "b", "name": "B", "email": "b@x.io", "phone": "777", "customFields": {"secret": "s3"}},
        ]
        return [register(api, body).json()["contact"] for body in bodies]

    def search(self, api: Api, **params: Any) -> Any:
        return api.get("omnichannel/contact.search", params)

    @pytest.mark.parametrize(
        ("params", "index"),
        [
            ({"email": "a@x.io"}, 0),
            ({"phone": "+1 (555)"}, 0),
            ({"email": "b@x.io", "phone": "777"}, 1),
            ({"email": "a@x.io", "phone": "777"}, None),
            ({"email": "A@X.IO"}, None),
            ({"custom": '{"company":"acme"}'}, 0),
            ({"custom": '{"company":"me c"}'}, 0),
            ({"custom": '{"company":"a.*"}'}, None),
            ({"custom": '{"company":"acme","other":"x"}', "email": "a@x.io"}, 0),
            ({"custom": '{"secret":"s3"}'}, None),
        ],
    )
    def test_criteria(self, api: Api, visitors: list[str], params: dict[str, Any], index: int | None) -> None:
        response = self.search(api, **params)

        assert response.status_code == 200
        contact = response.json()["contact"]
        if index is None:
            assert contact is None
        else:
            assert contact["_id"] == visitors[index]
            assert "token" not in contact

    def test_errors(self, api: Api) -> None:
        none = self.search(api)
        assert none.status_code == 400
        assert none.json() == {"success": False, "error": "[error-invalid-params]", "errorType": "error-invalid-params"}
        bad = self.search(api, custom="{not json")
        assert bad.json() == {
            "success": False,
            "error": "[error-invalid-params-custom]",
            "errorType": "error-invalid-params-custom",
        }
        assert self.search(api, email="a@x.io", foo="1").json() == match_error("Unknown key in field foo")


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "omnichannel/contact", {"contactId": "x"}),
        ("POST", "omnichannel/contact", {"token": "t", "name": "n"}),
        ("GET", "omnichannel/contact.search", {"email": "a@b"}),
    ],
)
def test_permission_and_login(api: Api, anon: Api, method: str, path: str, payload: dict[str, Any]) -> None:
    def call(client: Api) -> Any:
        return client.get(path, payload) if method == "GET" else client.post(path, payload)

    assert call(anon).json() == LOGGED_OUT
    api.set_permission("view-l-room", [])

    response = call(api)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
