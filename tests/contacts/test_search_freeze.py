"""The search freeze (issue 8): a stranger registered a 1,000,000-character name, then a
3,000-character contacts.search ran 100 s at 3 GB on SQLite while every other request waited.

Names and search terms are bounded now (restapi/limits.py), so the worst search left is the
longest term over the longest contacts; while it runs in a loop, the server keeps answering.
"""

import threading
import time

from omnicontacts.restapi import limits
from tests.support import Api


def test_the_attack_is_refused_at_the_door(api: Api, anon: Api) -> None:
    huge_name = anon.post("livechat/visitor", {"visitor": {"token": "attacker", "name": "a" * 1_000_000}})
    long_term = api.get("omnichannel/contacts.search", {"searchText": "a" * 3000})

    assert huge_name.status_code == 400
    assert long_term.status_code == 400
    assert long_term.json()["error"] == "must NOT have more than 256 characters [invalid-params]"


def test_the_worst_search_left_never_stalls_the_server(api: Api, anon: Api) -> None:
    # The longest names and addresses the limits allow, built so every trigram of the term matches
    # and only the whole term does not: the most work a search can be made to do per contact.
    name = "a" * limits.NAME
    emails = [f"{'a' * 200}{index:03d}@{'a' * 40}.io" for index in range(limits.LIST)]
    for index in range(20):
        token = f"visitor-{index}"
        registered = anon.post("livechat/visitor", {"visitor": {"token": token, "name": name}})
        assert registered.status_code == 200, registered.text
        created = api.post("omnichannel/contacts", {"name": name, "emails": emails[index::20], "phones": []})
        assert created.status_code == 200, created.text
    term = "a" * (limits.SEARCH - 1) + "b"

    searches: list[float] = []
    stop = threading.Event()

    def attack() -> None:
        attacker = api.as_user(dict(api.client.headers))
        while not stop.is_set():
            started = time.monotonic()
            response = attacker.get("omnichannel/contacts.search", {"searchText": term})
            searches.append(time.monotonic() - started)
            assert response.status_code == 200
            assert response.json()["total"] == 0

    threads = [threading.Thread(target=attack) for _ in range(2)]
    for thread in threads:
        thread.start()
    waits = []
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert anon.raw("GET", "/api/info").status_code == 200
            waits.append(time.monotonic() - started)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert searches, "the attack never completed a search"
    assert max(waits) < 1.0, f"/api/info waited {max(waits):.2f}s while the search ran"
    assert max(searches) < 1.0, f"one search took {max(searches):.2f}s"
