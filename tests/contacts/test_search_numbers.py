"""contacts.search for numbers: digits and the punctuation phone numbers are written with are
looked up through their own index; the answers are the same literal substrings as for any term."""

import pytest

from tests.contacts.conversations import run
from tests.livechat.steps import create_contact
from tests.support import Api, RunningServer


def names(api: Api, term: str) -> list[str]:
    body = api.get("omnichannel/contacts.search", {"searchText": term}).json()
    assert body["total"] == len(body["contacts"])
    return [contact["name"] for contact in body["contacts"]]


@pytest.fixture
def numbered(api: Api) -> dict[str, str]:
    return {
        "room": create_contact(api, "Room 101", [], []),
        "ana": create_contact(api, "Ana", ["ana.1987@example.com"], ["+1 (555) 012-3456"]),
        "berlin": create_contact(api, "Berlin Office", [], ["+49 30 1234 5678 901"]),
        "twin": create_contact(api, "Twin", ["twin.555@example.com"], ["+1 (555) 012-9999"]),
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("101", ["Room 101"]),
        ("m 101", ["Room 101"]),
        ("1987", ["Ana"]),
        (".1987@", ["Ana"]),
        # Letters around a long enough number: the number finds the candidates, wherever it sits.
        ("ana.1987@", ["Ana"]),
        ("1987@example.com", ["Ana"]),
        ("a.1987@example.co", ["Ana"]),
        ("ana.19870", []),
        ("bea.1987@", []),
        ("twin.555@", ["Twin"]),
        ("(555) 012-", ["Ana", "Twin"]),
        ("555) 012-3456", ["Ana"]),
        ("012-3456", ["Ana"]),
        ("+1 (555) 012-3456", ["Ana"]),
        # Longer than the sixteen characters an index key holds: the rest is checked on the row.
        ("+1 (555) 012-3457", []),
        ("+49 30 1234 5678 901", ["Berlin Office"]),
        ("30 1234 5678 90", ["Berlin Office"]),
        ("1234 5678 901 ", []),
        ("555", ["Ana", "Twin"]),
        (".555@", ["Twin"]),
        ("999", ["Twin"]),
        ("123", ["Berlin Office"]),
        ("12", ["Ana", "Berlin Office", "Twin"]),
        ("(((", []),
        ("0000", []),
    ],
)
def test_a_number_is_found_wherever_it_is_written(
    api: Api, numbered: dict[str, str], term: str, expected: list[str]
) -> None:
    assert names(api, term) == expected


def test_a_number_does_not_match_across_fields(api: Api) -> None:
    create_contact(api, "Desk 12", ["34@example.com"], ["56"])

    assert names(api, "1234") == []
    assert names(api, "3456") == []
    assert names(api, "12") == ["Desk 12"]


def stored_keys(server: RunningServer, contact_id: str) -> list[str]:
    rows = run(server, lambda conn: conn.fetch("SELECT key FROM contact_number_keys WHERE contact_id = $1", contact_id))
    return sorted(row["key"] for row in rows)


def test_a_contact_keeps_one_key_per_digit_of_its_numbers(
    api: Api, server: RunningServer, numbered: dict[str, str]
) -> None:
    assert stored_keys(server, numbered["room"]) == ["01", "1", "101"]
    api.post("omnichannel/contacts.update", {"contactId": numbered["room"], "name": "Room 7"})
    assert stored_keys(server, numbered["room"]) == ["7"]
    api.post("omnichannel/contacts.update", {"contactId": numbered["room"], "name": "Lobby"})
    assert stored_keys(server, numbered["room"]) == []


def test_a_changed_number_is_found_by_its_new_value_only(api: Api, numbered: dict[str, str]) -> None:
    updated = api.post("omnichannel/contacts.update", {"contactId": numbered["ana"], "phones": ["+1 (555) 777-0000"]})
    assert updated.status_code == 200, updated.text

    assert names(api, "012-3456") == []
    assert names(api, "777-0000") == ["Ana"]
    # Her email still holds a number.
    assert names(api, "1987") == ["Ana"]


def test_an_erased_contact_is_not_found_by_number(api: Api, server: RunningServer, numbered: dict[str, str]) -> None:
    deleted = api.post("omnichannel/contacts.delete", {"contactId": numbered["berlin"]})
    assert deleted.status_code == 200, deleted.text

    assert names(api, "5678 901") == []
    assert names(api, "101") == ["Room 101"]
    assert stored_keys(server, numbered["berlin"]) == []


def test_number_results_keep_sort_and_pages(api: Api, numbered: dict[str, str]) -> None:
    body = api.get(
        "omnichannel/contacts.search", {"searchText": "555", "sort": '{"name": -1}', "count": 1, "offset": 1}
    ).json()

    assert [contact["name"] for contact in body["contacts"]] == ["Ana"]
    assert (body["count"], body["offset"], body["total"]) == (1, 1, 2)
