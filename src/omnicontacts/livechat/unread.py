"""What a new message does to the subscriptions of its room, and what reading a room does.

As Rocket.Chat's `updateUsersSubscriptions`: everyone subscribed but the sender gets the room
flagged (`alert`, `open`) and, with `Unread_Count_Omni` at `all_messages` (its default), one more
`unread`; the sender's own subscription is marked read. Reading (`subscriptions.read`) clears
the counters and moves `ls` (last seen) to now.
"""

from collections.abc import Mapping
from typing import Any

from omnicontacts.livechat import repository
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso


def mark_read(subscription: dict[str, Any], ts: str) -> None:
    subscription.update(open=True, alert=False, unread=0, userMentions=0, groupMentions=0, ls=ts, _updatedAt=ts)


async def note_new_message(
    conn: Connection, room_id: str, sender_id: str, ts: str, settings: Mapping[str, Any]
) -> None:
    count_every_message = settings.get("Unread_Count_Omni", "all_messages") == "all_messages"
    for subscription in await repository.room_subscriptions(conn, room_id):
        if (subscription.get("u") or {}).get("_id") == sender_id:
            mark_read(subscription, ts)
        else:
            subscription.update(alert=True, open=True, _updatedAt=ts)
            if count_every_message:
                subscription["unread"] = int(subscription.get("unread") or 0) + 1
        await repository.save_subscription(conn, subscription)


async def read_room(conn: Connection, room_id: str, user_id: str) -> bool:
    """Mark the user's subscription to the room read; False when they have none."""
    subscription = await repository.find_subscription(conn, room_id, user_id)
    if subscription is None:
        return False
    mark_read(subscription, now_iso())
    await repository.save_subscription(conn, subscription)
    return True
