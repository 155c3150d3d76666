"""GET omnichannel/contacts.history: spec §2.10 and §5."""

from typing import Any

import pytest

from tests.factories import closed_room_doc, contact_doc, store
from tests.support import Api, RunningServer

HISTORY_KEYS = {"_id", "fname", "ts", "v", "msgs", "closedAt", "closedBy", "closer", "tags", "source", "lastMessage"}


@pytest.fixture
def contact_with_rooms(api: Api, server: RunningServer) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A contact with three closed rooms (closed at minutes 10, 30, 20) and one open room."""
    contact = contact_doc("History Person")
    rooms = [
        closed_room_doc(contact, closed_minutes=10, source={"type": "api"}),
        closed_room_doc(contact, closed_minutes=30, source={"type": "widget", "destination": "example.com"}),
        closed_room_doc(contact, closed_minutes=20, source={"type": "email", "id": "inbox", "alias": "Support Inbox"}),
        closed_room_doc(contact, closed_minutes=40, open_room=True),
    ]
    store(server, [contact], rooms)
    return contact, rooms


def history(api: Api, contact_id: str, **params: Any) -> Any:
    return api.get("omnichannel/contacts.history", {"contactId": contact_id, **params})


def test_closed_rooms_newest_closed_first(api: Api, contact_with_rooms: Any) -> None:
    contact, rooms = contact_with_rooms

    response = history(api, contact["_id"])

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["history", "count", "offset", "total", "success"]
    assert [item["_id"] for item in body["history"]] == [rooms[1]["_id"], rooms[2]["_id"], rooms[0]["_id"]]
    assert body["count"] == 3
    assert body["offset"] == 0
    assert body["total"] == 3
    assert body["success"] is True


def test_items_are_projected(api: Api, contact_with_rooms: Any) -> None:
    contact, rooms = contact_with_rooms

    item = history(api, contact["_id"]).json()["history"][0]

    assert set(item) == HISTORY_KEYS
    expected = {key: rooms[1][key] for key in HISTORY_KEYS}
    assert item == expected


def test_count_is_the_page_length(api: Api, contact_with_rooms: Any) -> None:
    contact, rooms = contact_with_rooms

    body = history(api, contact["_id"], count=2, offset=1).json()

    assert [item["_id"] for item in body["history"]] == [rooms[2]["_id"], rooms[0]["_id"]]
    assert (body["count"], body["offset"], body["total"]) == (2, 1, 3)


def test_offset_past_the_end(api: Api, contact_with_rooms: Any) -> None:
    contact, _ = contact_with_rooms

    body = history(api, contact["_id"], offset=10).json()

    assert (body["history"], body["count"], body["offset"], body["total"]) == ([], 0, 10, 3)


@pytest.mark.parametrize(
    ("count", "offset", "page", "total"),
    [(3, 0, 3, 3), (2, 0, 2, 3), (4, 0, 3, 3), (2, 2, 1, 3), (0, 1, 2, 3), (0, 3, 0, 3), (1, 3, 0, 3)],
)
def test_total_is_exact_at_every_page_edge(
    api: Api, contact_with_rooms: Any, count: int, offset: int, page: int, total: int
) -> None:
    """Full pages, short pages, unlimited pages and pages past the end all report the whole total."""
    contact, _ = contact_with_rooms

    body = history(api, contact["_id"], count=count, offset=offset).json()

    assert (len(body["history"]), body["count"], body["total"]) == (page, page, total)


def test_decimal_count_is_truncated_and_negative_offset_starts_at_zero(api: Api, contact_with_rooms: Any) -> None:
    contact, rooms = contact_with_rooms

    body = history(api, contact["_id"], count="1.9", offset="-4").json()

    assert [item["_id"] for item in body["history"]] == [rooms[1]["_id"]]
    assert (body["count"], body["offset"]) == (1, 0)


def test_sort_ascending_and_unknown_keys(api: Api, contact_with_rooms: Any) -> None:
    contact, rooms = contact_with_rooms

    ascending = history(api, contact["_id"], sort='{"closedAt":1}').json()
    unknown_key = history(api, contact["_id"], sort='{"noSuchField":-1}')

    assert [item["_id"] for item in ascending["history"]] == [rooms[0]["_id"], rooms[2]["_id"], rooms[1]["_id"]]
    assert unknown_key.status_code == 200
    assert unknown_key.json()["total"] == 3


@pytest.mark.parametrize("raw", ['{"closedAt":2}', "{closedAt:1}", '{"closedAt":"1"}', "[1]", "not json"])
def test_invalid_sort(api: Api, contact_with_rooms: Any, raw: str) -> None:
    contact, _ = contact_with_rooms

    response = history(api, contact["_id"], sort=raw)

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": f'Invalid sort parameter provided: "{raw}" [error-invalid-sort]',
        "errorType": "error-invalid-sort",
        "details": {"helperMethod": "parseJsonQuery"},
    }


@pytest.mark.parametrize("name", ["count", "offset"])
def test_non_numeric_pagination(api: Api, name: str) -> None:
    response = history(api, "abc", **{name: "ten"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must be number [invalid-params]",
        "errorType": "invalid-params",
    }


def test_missing_contact_id_and_extra_parameters(api: Api) -> None:
    missing = api.get("omnichannel/contacts.history")
    extra = api.get("omnichannel/contacts.history", {"contactId": "a", "fields": "{}"})

    assert missing.status_code == 400
    assert missing.json()["error"] == "must have required property 'contactId' [invalid-params]"
    assert extra.status_code == 400
    assert extra.json()["error"] == "must NOT have additional properties [invalid-params]"


def test_unknown_and_disabled_contacts(api: Api, server: RunningServer) -> None:
    disabled = contact_doc("Disabled", enabled=False)
    store(server, [disabled], [closed_room_doc(disabled, closed_minutes=1)])

    for contact_id in ("invalid", disabled["_id"]):
        response = history(api, contact_id)
        assert response.status_code == 400
        assert response.json() == {"success": False, "error": "error-contact-not-found"}


def test_contact_without_history(api: Api, server: RunningServer) -> None:
    contact = contact_doc("Quiet")
    store(server, [contact])

    assert history(api, contact["_id"]).json() == {
        "history": [],
        "count": 0,
        "offset": 0,
        "total": 0,
        "success": True,
    }


@pytest.mark.parametrize(
    ("source", "expected_indexes"),
    [("api", [0]), ("WIDGET", [1]), ("inbox", [2]), ("Support", [2]), ("t", [1, 2]), ("%", []), ("_", [])],
)
def test_source_filter_is_a_case_insensitive_literal_substring(
    api: Api, contact_with_rooms: Any, source: str, expected_indexes: list[int]
) -> None:
    contact, rooms = contact_with_rooms

    body = history(api, contact["_id"], source=source).json()

    assert sorted(item["_id"] for item in body["history"]) == sorted(rooms[i]["_id"] for i in expected_indexes)
    assert body["total"] == len(expected_indexes)


def test_empty_source_means_every_source(api: Api, contact_with_rooms: Any) -> None:
    contact, _ = contact_with_rooms

    assert history(api, contact["_id"], source="").json()["total"] == 3


def test_pagination_settings(api: Api, server: RunningServer) -> None:
    contact = contact_doc("Busy")
    store(server, [contact], [closed_room_doc(contact, closed_minutes=minute) for minute in range(1, 8)])

    assert history(api, contact["_id"], count=0).json()["count"] == 7
    assert api.post("settings/API_Upper_Count_Limit", {"value": 3}).status_code == 200
    assert history(api, contact["_id"], count=5).json()["count"] == 3
    assert api.post("settings/API_Default_Count", {"value": 2}).status_code == 200
    assert history(api, contact["_id"]).json()["count"] == 2
    assert api.post("settings/API_Allow_Infinite_Count", {"value": False}).status_code == 200
    assert history(api, contact["_id"], count=0).json()["count"] == 2


def test_permission(api: Api, contact_with_rooms: Any) -> None:
    contact, _ = contact_with_rooms
    api.set_permission("view-livechat-contact-history", [])

    response = history(api, contact["_id"])

    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": "User does not have the permissions required for this action [error-unauthorized]",
    }
