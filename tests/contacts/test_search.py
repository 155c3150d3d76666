"""GET omnichannel/contacts.search: spec §2.8 and §4, e2e tests 62-69."""

from typing import Any

import pytest

from tests.contacts.conversations import contact_doc, store_contacts
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer


def known(name: str, emails: tuple[str, ...] = (), phones: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    return contact_doc(
        name,
        unknown=False,
        emails=[{"address": address} for address in emails],
        phones=[{"phoneNumber": phone} for phone in phones],
        **fields,
    )


@pytest.fixture
def people(api: Api, server: RunningServer) -> dict[str, dict[str, Any]]:
    contacts = {
        "ada": known("Ada Lovelace", ("Ada.Lovelace@Example.com",), ("+44 (20) 7946-0018",)),
        "zoe": known("Zoë Ångström", ("zoe@example.org",), ("555.123*4",)),
        "bob": known("bob 50% off_sale", ("bob@example.net",), ("1-800-FLOWERS",)),
        "carl": known("Carl", (), ("(555) 010+99",)),
        "ghost": known("Ghost", ("ghost@example.com",), enabled=False),
        "stranger": contact_doc("Stranger Ada", unknown=True, emails=[{"address": "ada@strangers.io"}]),
    }
    nameless_unknown = contact_doc("No Unknown Key")
    del nameless_unknown["unknown"]
    store_contacts(server, *contacts.values(), nameless_unknown)
    return contacts


def search(api: Api, **params: Any) -> Any:
    return api.get("omnichannel/contacts.search", params)


def names(body: dict[str, Any]) -> list[str]:
    return [contact["name"] for contact in body["contacts"]]


def test_lists_known_enabled_contacts_by_name(api: Api, people: dict[str, Any]) -> None:
    response = search(api)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["contacts", "count", "offset", "total", "success"]
    # Binary order, as MongoDB without a collation: upper case before lower case.
    assert names(body) == ["Ada Lovelace", "Carl", "Zoë Ångström", "bob 50% off_sale"]
    assert (body["count"], body["offset"], body["total"]) == (50, 0, 4)
    assert body["contacts"][0] == people["ada"]


def test_unknown_filter_is_equality(api: Api, people: dict[str, Any]) -> None:
    body = search(api, unknown="true").json()

    assert names(body) == ["Stranger Ada"]
    assert body["contacts"][0]["unknown"] is True
    assert names(search(api, unknown="false").json()) == names(search(api).json())


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ada.lovelace@example.COM", ["Ada Lovelace"]),
        ("ADA", ["Ada Lovelace"]),
        ("+44 (20) 7946-0018", ["Ada Lovelace"]),
        ("(20)", ["Ada Lovelace"]),
        ("555.123*4", ["Zoë Ångström"]),
        ("5.1", ["Zoë Ångström"]),
        ("3*", ["Zoë Ångström"]),
        ("(555) 010+99", ["Carl"]),
        ("0+9", ["Carl"]),
        ("ångström", ["Zoë Ångström"]),
        ("ZOË", ["Zoë Ångström"]),
        ("50%", ["bob 50% off_sale"]),
        ("%", ["bob 50% off_sale"]),
        ("f_s", ["bob 50% off_sale"]),
        ("_", ["bob 50% off_sale"]),
        ("e", ["Ada Lovelace", "Zoë Ångström", "bob 50% off_sale"]),
        ("55", ["Carl", "Zoë Ångström"]),
        (".*", []),
        ("a.*e", []),
        ("invalid", []),
        ("ghost", []),
        ("Ada Lovelace\x1fada", []),
        ("ce\x1fada", []),
        ("", ["Ada Lovelace", "Carl", "Zoë Ångström", "bob 50% off_sale"]),
    ],
)
def test_search_text_is_a_literal_case_insensitive_substring(
    api: Api, people: dict[str, Any], term: str, expected: list[str]
) -> None:
    body = search(api, searchText=term).json()

    assert names(body) == expected
    assert body["total"] == len(expected)


def test_search_does_not_match_across_fields(api: Api, people: dict[str, Any]) -> None:
    # "Carl" then its phone: a match spanning the two would need the separator.
    assert search(api, searchText="carl(555").json()["total"] == 0


def test_search_covers_unknown_contacts_when_asked(api: Api, people: dict[str, Any]) -> None:
    body = search(api, searchText="strangers.IO", unknown="true").json()

    assert names(body) == ["Stranger Ada"]


def test_pagination(api: Api, people: dict[str, Any]) -> None:
    body = search(api, count=2, offset=1).json()

    assert names(body) == ["Carl", "Zoë Ångström"]
    assert (body["count"], body["offset"], body["total"]) == (2, 1, 4)
    assert search(api, count=2, offset=4).json()["contacts"] == []


@pytest.mark.parametrize(
    ("count", "offset", "page"),
    [(4, 0, 4), (3, 0, 3), (5, 0, 4), (3, 3, 1), (0, 2, 2), (0, 4, 0), (2, 9, 0)],
)
def test_total_is_exact_at_every_page_edge(
    api: Api, people: dict[str, Any], count: int, offset: int, page: int
) -> None:
    """Full pages, short pages, unlimited pages and pages past the end all report the whole total."""
    body = search(api, count=count, offset=offset).json()

    assert (len(body["contacts"]), body["count"], body["offset"], body["total"]) == (page, count, offset, 4)
    by_term = search(api, searchText="e", count=count, offset=offset).json()
    assert by_term["total"] == 3


def test_count_zero_is_unlimited_and_echoed(api: Api, people: dict[str, Any]) -> None:
    body = search(api, count=0).json()

    assert len(body["contacts"]) == 4
    assert body["count"] == 0


def test_count_is_capped(api: Api, people: dict[str, Any]) -> None:
    assert search(api, count=1000).json()["count"] == 100


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ('{"name":-1}', ["bob 50% off_sale", "Zoë Ångström", "Carl", "Ada Lovelace"]),
        ('{"unknownKey":1}', ["Ada Lovelace", "Carl", "Zoë Ångström", "bob 50% off_sale"]),
    ],
)
def test_sort(api: Api, people: dict[str, Any], sort: str, expected: list[str]) -> None:
    assert names(search(api, sort=sort).json()) == expected


def test_sort_by_creation(api: Api, server: RunningServer) -> None:
    first = known("B first", createdAt="2024-01-01T00:00:00.000Z")
    second = known("A second", createdAt="2024-02-01T00:00:00.000Z")
    store_contacts(server, first, second)

    assert names(search(api, sort='{"createdAt":1}').json()) == ["B first", "A second"]
    assert names(search(api, sort='{"createdAt":-1}').json()) == ["A second", "B first"]


def test_invalid_sort(api: Api) -> None:
    response = search(api, sort='{"name":2}')

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": 'Invalid sort parameter provided: "{"name":2}" [error-invalid-sort]',
        "errorType": "error-invalid-sort",
        "details": {"helperMethod": "parseJsonQuery"},
    }


def test_contact_manager_is_expanded(api: Api, server: RunningServer) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])
    managed = known("Managed", contactManager=agent["_id"])
    orphan = known("Orphan", contactManager="vanished-user")
    store_contacts(server, managed, orphan)

    contacts = search(api).json()["contacts"]

    assert contacts[0]["contactManager"] == {"_id": agent["_id"], "name": agent["name"], "username": agent["username"]}
    assert "contactManager" not in contacts[1]
    assert list(contacts[0]) == list(managed)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"count": "ten"}, "must be number"),
        ({"unknown": "maybe"}, "must be boolean"),
        ({"text": "x"}, "must NOT have additional properties"),
    ],
)
def test_validation(api: Api, params: dict[str, Any], error: str) -> None:
    response = search(api, **params)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": f"{error} [invalid-params]", "errorType": "invalid-params"}


def test_permission_and_login(api: Api, anon: Api) -> None:
    assert search(anon).json() == LOGGED_OUT
    api.set_permission("view-livechat-contact", [])

    response = search(api)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
