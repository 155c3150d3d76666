"""Identifiers in the shapes Rocket.Chat clients expect."""

import os
import secrets
import time

# Meteor's Random.id() alphabet: no look-alike characters (0, 1, I, O, l, ...).
_METEOR_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"


def meteor_id(length: int = 17) -> str:
    """A Meteor-style random id, as used for users, rooms and messages."""
    return "".join(secrets.choice(_METEOR_ALPHABET) for _ in range(length))


_counter = int.from_bytes(os.urandom(3), "big")


def object_id() -> str:
    """A MongoDB ObjectId-shaped 24-hex id (time, random, counter), as contacts use."""
    global _counter
    _counter = (_counter + 1) & 0xFFFFFF
    return f"{int(time.time()):08x}{secrets.token_hex(5)}{_counter:06x}"


def secret_token() -> str:
    """A login token: 43 URL-safe characters, like Meteor's Random.secret()."""
    return secrets.token_urlsafe(32)


def object_ids(count: int) -> list[str]:
    """`count` ObjectId-shaped ids at once (one read of the random source, for bulk imports)."""
    global _counter
    seconds = f"{int(time.time()):08x}"
    random_hex = os.urandom(5 * count).hex()
    made = []
    for index in range(count):
        _counter = (_counter + 1) & 0xFFFFFF
        made.append(f"{seconds}{random_hex[index * 10 : index * 10 + 10]}{_counter:06x}")
    return made
