"""Passwords and login tokens the Rocket.Chat (Meteor) way, so existing hashes keep working.

Passwords: bcrypt over the lowercase hex SHA-256 digest of the password.
Login tokens: only their SHA-256 digest, base64-encoded (Meteor's `_hashLoginToken`), is stored.
"""

import base64
import hashlib
from functools import lru_cache

import bcrypt


def password_digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def hash_password(password: str, rounds: int = 10) -> str:
    return bcrypt.hashpw(password_digest(password).encode(), bcrypt.gensalt(rounds)).decode()


def check_password(password_or_digest: str, stored_hash: str, *, is_digest: bool = False) -> bool:
    digest = password_or_digest.lower() if is_digest else password_digest(password_or_digest)
    try:
        return bcrypt.checkpw(digest.encode(), stored_hash.encode())
    except ValueError:
        return False


@lru_cache(maxsize=8)
def dummy_hash(rounds: int) -> str:
    """A hash no password matches, of the same cost as real ones: a login for an unknown user
    checks against it, so it takes as long as a wrong password for a known one."""
    return hash_password(base64.b64encode(hashlib.sha256(b"omnicontacts: no such user").digest()).decode(), rounds)


def hash_login_token(token: str) -> str:
    return base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()
