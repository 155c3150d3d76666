"""The benchmark data generator: exact sizes, unique ids, and rows as the server writes them."""

import sqlite3
from collections import Counter
from pathlib import Path

import orjson

from bench.generate import (
    RowRecorder,
    contact_doc,
    contact_id,
    load_sqlite,
    make_plan,
    meteor_id,
    record_contacts,
    record_rooms,
    room_doc,
)
from omnicontacts.contacts.repository import search_text
from omnicontacts.ids import _METEOR_ALPHABET


def test_plan_has_exactly_the_rooms_asked_for_spread_over_contacts() -> None:
    plan = make_plan(500, 5000, seed=3)
    owners = Counter(plan.owner)
    assert len(plan.owner) == 5000
    assert max(owners.values()) <= 50  # five times the mean
    assert 0 < sum(1 for index in range(500) if owners[index] == 0) < 100
    for index in range(500):
        rooms = [room for room, owner in enumerate(plan.owner) if owner == index]
        assert plan.first_room[index] == (rooms[0] if rooms else -1)


def test_ids_are_unique_and_shaped_like_rocket_chats() -> None:
    ids = {meteor_id(number, 1) for number in range(20_000)}
    assert len(ids) == 20_000
    assert all(len(value) == 17 and set(value) <= set(_METEOR_ALPHABET) for value in ids)
    assert len(meteor_id(5, 3, 24)) == 24
    contacts = {contact_id(index) for index in range(20_000)}
    assert len(contacts) == 20_000
    assert all(len(value) == 24 and int(value, 16) >= 0 for value in contacts)


def test_contacts_point_to_their_newest_rooms() -> None:
    plan = make_plan(200, 2000, seed=5)
    for index in range(200):
        doc = contact_doc(plan, index)
        rooms = [room for room, owner in enumerate(plan.owner) if owner == index]
        if not rooms:
            assert "lastChat" not in doc
            continue
        newest = room_doc(plan, rooms[-1])
        assert doc["lastChat"]["_id"] == newest["_id"]
        assert all(room_doc(plan, room)["contactId"] == doc["_id"] for room in rooms)
        channels = {channel["visitor"]["visitorId"] for channel in doc["channels"]}
        assert all(room_doc(plan, room)["v"]["_id"] in channels for room in rooms)


def test_recorded_rows_are_what_the_sqlite_write_path_stores(tmp_path: Path) -> None:
    plan = make_plan(40, 300, seed=11)
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    load_sqlite(url, plan)
    recorder = RowRecorder()
    record_contacts(plan, 0, 40, recorder)
    record_rooms(plan, 0, 300, recorder)
    db = sqlite3.connect(tmp_path / "bench.db")
    try:
        for table, rows in recorder.rows.items():
            columns = ", ".join(recorder.columns[table])
            stored = sorted(db.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
            assert stored == sorted(rows, key=repr), table
        for text, doc_text in db.execute("SELECT search_text, doc FROM contacts"):
            assert text == search_text(orjson.loads(doc_text))
    finally:
        db.close()
