"""Input limits and the 500s a hostile client found (issue 8), each written as the attack.

Every answer is Rocket.Chat-shaped JSON: AJV's words with ` [invalid-params]` on validated routes,
Meteor's `Match error:` on the routes it checks with `check()`, 413 for an oversized body.
"""

from typing import Any

import pytest

from omnicontacts.restapi import limits
from tests.livechat.steps import open_room, register_visitor, send
from tests.support import Api, RunningServer


def invalid(*messages: str) -> dict[str, Any]:
    return {"success": False, "error": "\n ".join(messages) + " [invalid-params]", "errorType": "invalid-params"}


NUL = invalid("must NOT contain the NUL character")
JSON = {"content-type": "application/json"}


def match_error(text: str) -> dict[str, Any]:
    return {"success": False, "error": f"Match error: {text}"}


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9223372036854775808", invalid("must be <= 9007199254740991")),
        ("18446744073709551616", invalid("must be <= 9007199254740991")),
        ("-18446744073709551616", invalid("must be >= -9007199254740991")),
        ("1e400", invalid("must be number")),
        ("Infinity", invalid("must be number")),
        ("0x" + "f" * 300, invalid("must be number")),
    ],
)
@pytest.mark.parametrize("name", ["offset", "count"])
def test_paging_numbers_beyond_any_integer_are_refused(api: Api, name: str, value: str, expected: Any) -> None:
    for path in ("omnichannel/contacts.search", "livechat/rooms", "livechat/inquiries.list"):
        response = api.get(path, {name: value})
        assert response.status_code == 400, (path, response.text)
        assert response.json() == expected


def test_a_transcript_offset_past_64_bits_is_json_not_a_text_500(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    response = api.get(f"livechat/{room['_id']}/messages", {"offset": str(2**64)})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == invalid("must be <= 9007199254740991")


def test_the_largest_exact_offset_is_an_empty_page(api: Api) -> None:
    response = api.get("omnichannel/contacts.search", {"offset": str(limits.MAX_SAFE_INTEGER)})

    assert response.status_code == 200
    assert response.json()["contacts"] == []


def test_a_json_number_past_64_bits_is_refused(api: Api) -> None:
    body = b'{"name": "N", "emails": [], "phones": [], "customFields": {"x": 1e400}}'
    response = api.raw("POST", "/api/v1/omnichannel/contacts", content=body, headers=JSON)
    # An unparsable body is {} for Rocket.Chat's router, then the schema speaks.
    assert response.status_code == 400
    assert response.json() == invalid("must have required property 'name'")


def test_message_history_limit_and_end(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "hello")
    path = f"livechat/messages.history/{room['_id']}"

    too_big = api.get(path, {"token": visitor["token"], "limit": "1e400"})
    garbage = api.get(path, {"token": visitor["token"], "end": "garbage"})
    off_calendar = api.get(path, {"token": visitor["token"], "end": "0001-01-01T00:00:00+23:59"})
    naive = api.get(path, {"token": visitor["token"], "end": "2999-01-01T00:00:00"})

    assert (too_big.status_code, too_big.json()) == (400, invalid("must be number"))
    date_error = {"success": False, "error": 'The "end" query parameter must be a valid date.'}
    assert (garbage.status_code, garbage.json()) == (400, date_error)
    assert (off_calendar.status_code, off_calendar.json()) == (400, date_error)
    assert naive.status_code == 200
    assert naive.json()["messages"][0]["msg"] == "hello"


def test_rooms_created_at_out_of_the_calendar(api: Api) -> None:
    response = api.get("livechat/rooms", {"createdAt": '{"start":"0001-01-01T00:00:00+23:59"}'})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": 'The "createdAt.start" query parameter must be a valid date.'}


# --- NUL -----------------------------------------------------------------------------------------


def test_nul_is_refused_everywhere_before_the_database(api: Api, anon: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    attempts = [
        anon.post("login", {"user": "admin\x00", "password": "x"}),
        anon.post("livechat/message", {"token": visitor["token"], "rid": room["_id"], "msg": "hi\x00"}),
        anon.post("livechat/visitor", {"visitor": {"token": "t\x00"}}),
        api.post("omnichannel/contacts", {"name": "\x00", "emails": [], "phones": []}),
        api.get("omnichannel/contacts.search", {"searchText": "a\x00"}),
        api.get("omnichannel/contacts.get", {"contactId": "\x00"}),
        anon.get("livechat/visitor/a%00b"),
        api.raw(
            "POST",
            "/api/v1/omnichannel/contacts",
            content=b"name=%00&emails=&phones=",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
    ]
    for response in attempts:
        assert response.status_code == 400, response.request.url
        assert response.json() == NUL


def test_a_key_holding_nul_is_refused_too(api: Api) -> None:
    body = {"name": "N", "emails": [], "phones": [], "customFields": {"\x00": "v"}}
    response = api.post("omnichannel/contacts", body)

    assert response.status_code == 400
    assert response.json() == NUL


# --- content types -------------------------------------------------------------------------------


def test_multipart_bodies_read_as_empty_like_rocket_chat(api: Api) -> None:
    response = api.raw(
        "POST", "/api/v1/omnichannel/contacts", data={"name": "N"}, files={"file": ("a.txt", b"\x00\x01", "text/plain")}
    )

    assert response.status_code == 400
    assert response.json() == invalid("must have required property 'name'")


def test_form_bodies_are_parsed_flat_and_as_utf8(api: Api) -> None:
    api.create_user("h\u00e9l\u00e8ne")
    api.create_user("other")
    response = api.raw(
        "POST",
        "/api/v1/livechat/users/agent",
        content=b"username=other&username=h%C3%A9l%C3%A8ne",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    # The last value wins, decoded as UTF-8.
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "h\u00e9l\u00e8ne"


def test_a_broken_multipart_body_is_not_an_error(api: Api) -> None:
    response = api.raw(
        "POST",
        "/api/v1/omnichannel/contacts",
        content=b"--x\r\n\r\n",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )

    assert response.status_code == 400
    assert response.json() == invalid("must have required property 'name'")


# --- sizes ---------------------------------------------------------------------------------------


def test_a_body_over_one_mebibyte_is_413_json(api: Api) -> None:
    body = b'{"name":"' + b"a" * limits.MAX_BODY_BYTES + b'"}'
    response = api.raw("POST", "/api/v1/omnichannel/contacts", content=body, headers=JSON)

    assert response.status_code == 413
    assert response.json() == {"success": False, "error": "request entity too large"}


def test_json_nested_past_the_depth_limit(api: Api) -> None:
    for depth in (33, 300, 1000):
        body = b'{"name":"N","emails":[],"phones":[],"customFields":{"x":' + b"[" * depth + b"]" * depth + b"}}"
        response = api.raw("POST", "/api/v1/omnichannel/contacts", content=body, headers=JSON)
        assert response.status_code == 400
        assert response.json() == invalid("must NOT have more than 32 levels of nesting")


def test_query_strings_nest_five_levels_like_qs(api: Api) -> None:
    response = api.get("omnichannel/contacts.search", params={"a[b][c][d][e][f][g][h]": "1"})

    assert response.status_code == 400
    assert response.json() == invalid("must NOT have additional properties")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "n" * 257, "emails": [], "phones": []}, "must NOT have more than 256 characters"),
        ({"name": "N", "emails": ["e" * 10_000 + "@x.io"], "phones": []}, "must NOT have more than 254 characters"),
        ({"name": "N", "emails": [], "phones": ["1" * 65]}, "must NOT have more than 64 characters"),
        ({"name": "N", "emails": [f"{i}@x.io" for i in range(101)], "phones": []}, "must NOT have more than 100 items"),
        (
            {"name": "N", "emails": [], "phones": [], "customFields": {"x": "v" * 1025}},
            "must NOT have more than 1024 characters",
        ),
        (
            {"name": "N", "emails": [], "phones": [], "customFields": {str(i): "v" for i in range(101)}},
            "must NOT have more than 100 properties",
        ),
    ],
)
def test_contact_fields_have_limits(api: Api, body: dict[str, Any], message: str) -> None:
    response = api.post("omnichannel/contacts", body)

    assert response.status_code == 400
    assert response.json() == invalid(message)


def test_the_limits_admit_what_they_name(api: Api) -> None:
    email = "e" * 240 + "@example.com"
    response = api.post("omnichannel/contacts", {"name": "n" * 256, "emails": [email], "phones": ["1" * 64]})

    assert response.status_code == 200, response.text
    contact = api.get("omnichannel/contacts.get", {"contactId": response.json()["contactId"]}).json()["contact"]
    assert contact["name"] == "n" * 256
    assert contact["emails"] == [{"address": email}]


def test_a_million_character_visitor_name_is_refused(anon: Api) -> None:
    huge = anon.post("livechat/visitor", {"visitor": {"token": "tok-1", "name": "n" * 1_000_000}})
    long = anon.post("livechat/visitor", {"visitor": {"token": "tok-1", "name": "n" * 257}})

    # Past the request-wide ceiling before any endpoint reads it; past the field's own in Meteor's words.
    assert (huge.status_code, huge.json()) == (400, invalid("must NOT have more than 65536 characters"))
    assert long.status_code == 400
    assert long.json() == match_error("Failed Match.Where validation in field visitor.name")
    assert anon.get("livechat/visitor/tok-1").status_code == 400


def test_registration_keeps_meteor_words_for_wrong_types(anon: Api) -> None:
    response = anon.post("livechat/visitor", {"visitor": {"token": "tok-1", "name": 5}})

    assert response.status_code == 400
    assert response.json() == match_error("Expected string, got number in field visitor.name")


def test_a_long_search_term_is_refused(api: Api) -> None:
    response = api.get("omnichannel/contacts.search", {"searchText": "a" * 3000})

    assert response.status_code == 400
    assert response.json() == invalid("must NOT have more than 256 characters")


def test_visitor_messages_follow_message_max_allowed_size(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    body = {"token": visitor["token"], "rid": room["_id"], "msg": "m" * 5001}

    refused = api.anonymous().post("livechat/message", body)
    assert (refused.status_code, refused.json()) == (400, invalid("must NOT have more than 5000 characters"))

    assert api.post("settings/Message_MaxAllowedSize", {"value": 6000}).status_code == 200
    assert api.anonymous().post("livechat/message", body).status_code == 200


# --- schemas ------------------------------------------------------------------------------------


def test_one_of_keeps_its_coercion(api: Api) -> None:
    response = api.post("chat.postMessage", {"roomId": 5, "text": "hi"})

    # The number became the room id "5", which names no room (it was a 500).
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "[invalid-channel]", "errorType": "invalid-channel"}


@pytest.mark.parametrize(
    ("attachment", "error"),
    [
        ({"fields": 5}, "Expected array, got 5 in field fields"),
        ({"fields": "abc"}, 'Expected array, got "abc" in field fields'),
        ({"actions": {"a": 1}}, 'Expected array, got {"a":1} in field actions'),
    ],
)
def test_attachment_lists_that_are_not_lists(api: Api, attachment: dict[str, Any], error: str) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    response = api.post("chat.postMessage", {"roomId": room["_id"], "text": "hi", "attachments": [attachment]})

    assert response.status_code == 400
    assert response.json() == match_error(error)


# --- path parameters and unexpected faults ------------------------------------------------------


def test_a_path_parameter_past_the_token_limit(anon: Api) -> None:
    response = anon.get("livechat/visitor/" + "t" * 257)

    assert response.status_code == 400
    assert response.json() == invalid("must NOT have more than 256 characters")


def test_unknown_api_paths_stay_json(server: RunningServer, anon: Api) -> None:
    response = anon.raw("GET", "/api/v1/" + "%00" * 10)

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Resource not found"}


def test_a_path_ending_in_a_slash_is_not_redirected(anon: Api) -> None:
    response = anon.raw("GET", "/api/v1/livechat/visitor/abc/", follow_redirects=False)

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Resource not found"}


def test_limits_are_parameter_errors_after_401_and_403(api: Api, anon: Api) -> None:
    user = api.create_user()
    as_user = api.as_user(api.login(user["username"]))

    stranger = anon.get("omnichannel/contacts.search", {"searchText": "\x00"})
    no_permission = as_user.get("omnichannel/contacts.search", {"searchText": "\x00"})

    assert stranger.status_code == 401
    assert no_permission.status_code == 403
