"""Asking for a mail: checked, then stored in the outbox inside the caller's transaction.

Nothing here talks to an SMTP server. The mail exists once the caller's transaction commits,
and a sender (mail.sender) of any worker delivers it in the background; a request never waits
for a mail server.
"""

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from omnicontacts.mail import outbox
from omnicontacts.storage import Connection

log = logging.getLogger("omnicontacts.mail")

# How many mails may wait at once. Past it a new mail is dropped (and logged) instead of letting
# a broken mail server grow the table without end.
MAX_PENDING = 10_000
MAX_SUBJECT = 250
MAX_HTML = 1_000_000

# The address check Rocket.Chat's mailer applies (a local part, an @, dotted domain labels).
_ADDRESS = re.compile(r"^[A-Z0-9._%+'-]+@(?:[A-Z0-9-]+\.)+[A-Z]{2,63}$", re.IGNORECASE)
# Rocket.Chat takes the first address-looking part of From_Email ("Name <a@b.c>" works).
_ADDRESS_IN_TEXT = re.compile(r"\b[A-Z0-9._%+-]+@(?:[A-Z0-9-]+\.)+[A-Z]{2,63}\b", re.IGNORECASE)


def is_address(text: str) -> bool:
    return len(text) <= 254 and _ADDRESS.match(text) is not None


def from_address(settings: Mapping[str, Any]) -> str:
    configured = str(settings.get("From_Email") or "")
    found = _ADDRESS_IN_TEXT.search(configured[:500])
    return found.group(0) if found else configured[:254]


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    html: str
    from_: str
    reply_to: str | None = None
    # What the mail is about, for the logs (e.g. "transcript", "offline-message").
    kind: str = "mail"


def _one_line(text: str) -> str:
    """Header values on one line: a CR or LF in a subject or name could inject headers."""
    return " ".join(text.split())


async def queue(conn: Connection, mail: Mail) -> str | None:
    """Store `mail` for sending after the caller commits. Answers its outbox id, or None when
    the outbox is full (the mail is dropped, and the drop logged)."""
    if await outbox.pending_at_least(conn, MAX_PENDING):
        log.error("mail outbox full (%d waiting): %s to %s dropped", MAX_PENDING, mail.kind, mail.to)
        return None
    doc = asdict(mail)
    doc["subject"] = _one_line(mail.subject)[:MAX_SUBJECT]
    doc["from_"] = _one_line(mail.from_)
    doc["reply_to"] = _one_line(mail.reply_to) if mail.reply_to else None
    doc["html"] = mail.html[:MAX_HTML]
    return await outbox.insert(conn, doc, int(time.time() * 1000))
