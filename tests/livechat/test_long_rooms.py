"""A room's messages are read a batch at a time (200), never all at once: pages, totals and
filters must not depend on where a batch ends."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from omnicontacts import ids
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.storage import open_storage
from omnicontacts.timeutil import to_iso
from tests.livechat.steps import open_room, register_visitor
from tests.support import Api, RunningServer

MESSAGES = 450  # more than two batches


async def _write_messages(server: RunningServer, rid: str, visitor: dict[str, Any]) -> None:
    # 450 messages through the API would take most of a minute; the rows are what it would store.
    start = datetime.now(UTC) + timedelta(seconds=5)
    storage = await open_storage(server.settings)
    try:
        async with storage.transaction() as conn:
            for number in range(MESSAGES):
                ts = to_iso(start + timedelta(milliseconds=number))
                await livechat_repository.insert_message(
                    conn,
                    {
                        "_id": ids.meteor_id(),
                        "rid": rid,
                        "msg": f"message {number:03d}" + (" navigation" if number % 7 == 0 else ""),
                        "ts": ts,
                        "u": {"_id": visitor["_id"], "username": visitor["username"]},
                        "token": visitor["token"],
                        "_updatedAt": ts,
                    },
                )
    finally:
        await storage.close()


def test_pages_of_a_long_room_across_batches(api: Api, server: RunningServer) -> None:
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    asyncio.run(_write_messages(server, rid, visitor))

    everything = api.get(f"livechat/{rid}/messages", {"count": 0, "sort": '{"ts":1}'}).json()
    ours = [message["msg"] for message in everything["messages"] if message["msg"].startswith("message ")]
    assert ours == [f"message {number:03d}" + (" navigation" if number % 7 == 0 else "") for number in range(MESSAGES)]
    total = everything["total"]

    page = api.get(f"livechat/{rid}/messages", {"count": 25, "offset": 190, "sort": '{"ts":1}'}).json()
    assert page["total"] == total
    assert page["count"] == 25
    assert [message["_id"] for message in page["messages"]] == [
        message["_id"] for message in everything["messages"][190:215]
    ]

    found = api.get(f"livechat/{rid}/messages", {"searchTerm": "NAVIGATION", "count": 10, "offset": 60}).json()
    assert found["total"] == len(range(0, MESSAGES, 7))  # 65
    assert [message["msg"] for message in found["messages"]] == [
        f"message {number:03d} navigation" for number in reversed(range(0, MESSAGES, 7))
    ][60:70]

    history = api.anonymous().get(
        f"livechat/messages.history/{rid}", {"token": visitor["token"], "limit": 20, "offset": 395}
    )
    assert history.status_code == 200
    newest_first = list(reversed(everything["messages"]))
    assert [message["_id"] for message in history.json()["messages"]] == [
        message["_id"] for message in newest_first[395:415]
    ]
