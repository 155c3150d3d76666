"""Visitor SQL only the legacy visitor endpoints need (spec §2.1-§2.3).

Visitors belong to the livechat domain: storing, finding and erasing them goes through
`omnicontacts.livechat.repository`. What is here is the legacy search, which no livechat
endpoint uses.
"""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.restapi.query import like_pattern
from omnicontacts.storage import Connection


def _loads(text: Any) -> dict[str, Any] | None:
    return None if text is None else jsonutil.loads(text)


async def find_enabled_visitor(conn: Connection, visitor_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM visitors WHERE id = $1 AND NOT disabled", visitor_id))


def _custom_field_condition(dialect: str, key_param: int, pattern_param: int) -> str:
    """A case-insensitive literal substring test on `livechatData.<key>`, key and text as parameters."""
    if dialect == "postgresql":
        return f"lower((v.doc::jsonb -> 'livechatData') ->> ${key_param}) LIKE ${pattern_param} ESCAPE '\\'"
    # SQLite's lower() folds ASCII letters only.
    return (
        f"EXISTS (SELECT 1 FROM json_each(v.doc, '$.livechatData') f WHERE f.key = ${key_param} "
        f"AND lower(f.value) LIKE ${pattern_param} ESCAPE '\\')"
    )


async def find_one_by_email_phone_custom(
    conn: Connection, *, email: str | None, phone: str | None, custom: dict[str, str]
) -> dict[str, Any] | None:
    """An enabled visitor matching every given criterion: exact email, exact phone, and a
    case-insensitive substring per custom field. No criterion at all finds nothing."""
    if not email and not phone and not custom:
        return None
    conditions = ["NOT v.disabled"]
    args: list[Any] = []
    if email:
        args.append(email)
        conditions.append(
            f"EXISTS (SELECT 1 FROM visitor_emails e WHERE e.visitor_id = v.id AND e.address = ${len(args)})"
        )
    if phone:
        args.append(phone)
        conditions.append(
            f"EXISTS (SELECT 1 FROM visitor_phones p WHERE p.visitor_id = v.id AND p.phone = ${len(args)})"
        )
    for key, text in custom.items():
        args.extend([key, like_pattern(text.lower())])
        conditions.append(_custom_field_condition(conn.dialect, len(args) - 1, len(args)))
    sql = f"SELECT v.doc FROM visitors v WHERE {' AND '.join(conditions)} ORDER BY v.id LIMIT 1"
    return _loads(await conn.fetchval(sql, *args))
