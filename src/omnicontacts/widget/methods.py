"""The widget layer's DDP methods, in the realtime registry (also behind REST method.call)."""

from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.realtime.errors import DdpError
from omnicontacts.realtime.registry import Caller, method
from omnicontacts.widget import transcripts

SEND_TRANSCRIPT = "livechat:sendTranscript"


@method(SEND_TRANSCRIPT)
async def send_transcript(caller: Caller, token: Any, rid: Any, email: Any, subject: Any = None) -> bool:
    """An agent mails the transcript of a livechat room, whose visitor `token` they name, now.
    The mail sender of whichever process polls next sends it (within its poll interval)."""
    if not isinstance(rid, str) or not isinstance(email, str):
        raise DdpError(400, "Match failed")
    if caller.user is None or not caller.has_permission("send-omnichannel-chat-transcript"):
        raise DdpError("error-not-allowed", "Not allowed", {"method": SEND_TRANSCRIPT})
    if not isinstance(token, str) or not (subject is None or isinstance(subject, str)):
        raise DdpError(400, "Match failed")
    user = await accounts_repository.find_user_doc(caller.conn, caller.user.id) or {}
    author: dict[str, Any] = {key: user[key] for key in ("_id", "username", "name", "utcOffset") if key in user}
    async with caller.conn.transaction():
        await transcripts.send_transcript_now(
            caller.conn, token, rid, email, caller.settings, subject=subject or None, user=author
        )
    return True
