"""Delivering the outbox over SMTP, in the background of each worker process.

One task per process claims a small batch of due mails (so at most `batch` mails are in memory),
sends each with aiosmtplib using the `SMTP_*` settings as they are at that moment, and records
the outcome. A failure is logged and retried later with a growing delay, up to `max_attempts`.
The task wakes when a request of this process queued a mail (`kick`) and otherwise every
`poll_seconds`, which also picks up mails queued by other processes and by domain hooks.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib

from omnicontacts.accounts.config_cache import ConfigCache
from omnicontacts.mail import outbox
from omnicontacts.storage import Storage

log = logging.getLogger("omnicontacts.mail")

SMTP_TIMEOUT_SECONDS = 30.0


class NotConfigured(Exception):
    """SMTP_Host is empty: there is nowhere to send to yet."""


def smtp_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """aiosmtplib's connection options from Rocket.Chat's SMTP settings."""
    host = str(settings.get("SMTP_Host") or "").strip()
    if not host:
        raise NotConfigured("SMTP_Host is not set")
    implicit_tls = settings.get("SMTP_Protocol") == "smtps"
    port_text = str(settings.get("SMTP_Port") or "").strip()
    port = int(port_text) if port_text.isdigit() else (465 if implicit_tls else 25)
    options: dict[str, Any] = {
        "hostname": host,
        "port": port,
        "use_tls": implicit_tls,
        "timeout": SMTP_TIMEOUT_SECONDS,
    }
    if not implicit_tls:
        # SMTP_IgnoreTLS on: plain SMTP; off: upgrade with STARTTLS when the server offers it.
        options["start_tls"] = False if settings.get("SMTP_IgnoreTLS", True) else None
    username = str(settings.get("SMTP_Username") or "")
    if username:
        options["username"] = username
        options["password"] = str(settings.get("SMTP_Password") or "")
    return options


def build_message(doc: Mapping[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = doc["from_"]
    message["To"] = doc["to"]
    if doc.get("reply_to"):
        message["Reply-To"] = doc["reply_to"]
    message["Subject"] = doc["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="omnicontacts")
    message.set_content("This message is in HTML; your mail program shows it as such.")
    message.add_alternative(doc["html"], subtype="html")
    return message


class MailSender:
    def __init__(
        self,
        storage: Storage,
        *,
        batch: int = 20,
        poll_seconds: float = 2.0,
        lease_seconds: float = 120.0,
        max_attempts: int = 5,
        retry_base_seconds: float = 30.0,
    ) -> None:
        self._storage = storage
        self._batch = batch
        self._poll_seconds = poll_seconds
        self._lease_ms = int(lease_seconds * 1000)
        self._max_attempts = max_attempts
        self._retry_base_ms = int(retry_base_seconds * 1000)
        self._config = ConfigCache()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    def kick(self) -> None:
        """A mail was queued by this process: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            self._wake.clear()
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be briefly away; the next round tries again.
                log.exception("mail sender round failed")

    async def send_due(self) -> int:
        """Send what is due now, batch after batch; answers how many went out."""
        sent = 0
        while True:
            now_ms = int(time.time() * 1000)
            async with self._storage.connection() as conn:
                if not await outbox.any_due(conn, now_ms):
                    return sent
            async with self._storage.transaction() as conn:
                await self._config.ensure_fresh(conn)
                claimed = await outbox.claim_due(conn, now_ms, self._lease_ms, self._batch)
            if not claimed:
                return sent
            settings = dict(self._config.settings)
            for mail_id, attempts, doc in claimed:
                error = await self._deliver(settings, doc)
                async with self._storage.transaction() as conn:
                    if error is None:
                        await outbox.mark_sent(conn, mail_id)
                        sent += 1
                        continue
                    give_up = attempts >= self._max_attempts
                    retry_at = None if give_up else now_ms + self._retry_base_ms * 2 ** (attempts - 1)
                    await outbox.mark_failed(conn, mail_id, error, retry_at_ms=retry_at)
                log.error(
                    "%s to %s not sent (attempt %d of %d%s): %s",
                    doc.get("kind", "mail"),
                    doc.get("to"),
                    attempts,
                    self._max_attempts,
                    ", giving up" if give_up else "",
                    error,
                )

    async def _deliver(self, settings: Mapping[str, Any], doc: Mapping[str, Any]) -> str | None:
        try:
            options = smtp_options(settings)
            await aiosmtplib.send(build_message(doc), **options)
        except (NotConfigured, aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        return None
