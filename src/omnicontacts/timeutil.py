"""Times on the wire: ISO-8601 with milliseconds and a Z, as JavaScript's Date.toJSON()."""

from datetime import UTC, datetime, timedelta


def to_iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return to_iso(datetime.now(UTC))


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_client_date(text: str) -> datetime | None:
    """A date a client sent, in the ISO-8601 forms JavaScript's `Date.parse` reads; a time without
    an offset is UTC. None when it is no date, or one whose offset takes it out of the calendar."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def now_after(newest: str | None) -> str:
    """Now, or one millisecond after `newest` when the clock has not passed it: the wire keeps
    milliseconds only, and records of one sequence (a room's messages, a contact's events) must
    never tie, or they could read back out of the order they were written."""
    now = now_iso()
    if newest is None or newest < now:
        return now
    return to_iso(parse_iso(newest) + timedelta(milliseconds=1))
