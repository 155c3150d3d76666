"""Query strings, pagination and sort, the way Rocket.Chat reads them (spec §1.1, §1.7, §1.8)."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import orjson

from omnicontacts.restapi.errors import InvalidParams, MeteorError
from omnicontacts.restapi.limits import MAX_SAFE_INTEGER

_KEY_PATH = re.compile(r"\[([^\]]*)\]")
# Node's `qs` defaults: five levels of brackets (the rest of the key is one literal segment), and
# the first thousand parameters (the rest are dropped).
_QS_DEPTH = 5
_QS_PARAMETER_LIMIT = 1000


def _decode(part: str) -> str:
    """Form decoding, except that a leading `+` before a digit is a phone number's plus sign
    sent unencoded by some clients, not a space."""
    if len(part) > 1 and part[0] == "+" and part[1].isdigit():
        return "+" + unquote(part[1:].replace("+", " "))
    return unquote(part.replace("+", " "))


def _assign(target: dict[str, Any], key: str, value: str) -> None:
    head, _, rest = key.partition("[")
    path = [head, *_KEY_PATH.findall("[" + rest)] if rest else [head]
    if len(path) > _QS_DEPTH + 1:
        path = [*path[: _QS_DEPTH + 1], "".join(f"[{step}]" for step in path[_QS_DEPTH + 1 :])]
    # `key[]=value` appends to a list, as `qs` reads it (`agents[]=a&agents[]=b`).
    append = len(path) > 1 and path[-1] == ""
    if append:
        path.pop()
    node = target
    for step in path[:-1]:
        child = node.get(step)
        if not isinstance(child, dict):
            child = {}
            node[step] = child
        node = child
    leaf = path[-1]
    existing = node.get(leaf)
    if leaf not in node:
        node[leaf] = [value] if append else value
    elif isinstance(existing, list):
        existing.append(value)
    elif isinstance(existing, dict):
        # `qs` adds a plain value to an object under the next free index.
        existing[str(len(existing))] = value
    else:
        node[leaf] = [existing, value]


def parse_query(raw: str) -> dict[str, Any]:
    """Like Node's `qs`: `a[b]=c` nests, a repeated key becomes an array, every value a string."""
    result: dict[str, Any] = {}
    pairs = raw.split("&", _QS_PARAMETER_LIMIT)
    for pair in pairs[:_QS_PARAMETER_LIMIT]:
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key = _decode(key)
        if key:
            _assign(result, key, _decode(value))
    return result


def _to_int(value: Any) -> int:
    """JavaScript's parseInt on a value AJV has already made a number."""
    try:
        return int(value) if isinstance(value, int) else int(float(value))
    except (TypeError, ValueError):
        return 0
    except OverflowError:  # an infinity: out of any range below
        return MAX_SAFE_INTEGER + 1 if float(value) > 0 else -MAX_SAFE_INTEGER - 1


def page_number(value: Any) -> int:
    """An offset, count or limit the client sent, as an integer both databases (and JavaScript)
    hold exactly; beyond that the request is refused in AJV's words, never sent to SQL."""
    number = _to_int(value)
    if number > MAX_SAFE_INTEGER:
        raise InvalidParams([f"must be <= {MAX_SAFE_INTEGER}"])
    if number < -MAX_SAFE_INTEGER:
        raise InvalidParams([f"must be >= {-MAX_SAFE_INTEGER}"])
    return number


def pagination(params: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[int, int]:
    """Answer (offset, count); count 0 means no limit, as MongoDB's limit(0) does."""
    default_count = _to_int(settings.get("API_Default_Count", 50))
    if default_count <= 0:
        default_count = 50
    upper = _to_int(settings.get("API_Upper_Count_Limit", 100))
    if upper <= 0:
        upper = 100
    # A negative skip would make MongoDB fail; we start from the beginning instead.
    offset = max(page_number(params.get("offset")), 0)
    raw_count = params.get("count")
    count = default_count if raw_count is None else page_number(raw_count)
    count = min(count, upper)
    if count == 0 and not settings.get("API_Allow_Infinite_Count", True):
        count = default_count
    # MongoDB reads a negative limit as "a single batch of that many".
    return offset, abs(count)


def parse_sort(raw: Any) -> dict[str, int] | None:
    """The `sort` parameter: a JSON object whose values are 1 or -1, else `error-invalid-sort`."""
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
    try:
        sort = orjson.loads(text)
    except orjson.JSONDecodeError:
        sort = None
    if not isinstance(sort, dict) or not all(
        value in (1, -1) and not isinstance(value, bool | float) for value in sort.values()
    ):
        raise MeteorError(
            "error-invalid-sort",
            f'Invalid sort parameter provided: "{text}"',
            {"helperMethod": "parseJsonQuery"},
        )
    return sort


def order_by(
    sort: Mapping[str, int] | None,
    columns: Mapping[str, str],
    default: str,
    *,
    nullable: frozenset[str] = frozenset(),
    fixed: frozenset[str] = frozenset(),
) -> str:
    """An ORDER BY clause from the client's sort, naming only columns from our own whitelist.

    A key we do not know is skipped, as MongoDB orders by a field every document lacks. Missing
    values sort first ascending and last descending, as in MongoDB (that is SQLite's default;
    PostgreSQL is told so explicitly for the `nullable` columns). `default` is used when no
    known key is left. The id ends the clause in the last key's direction, so pages never
    overlap and an index on (..., key, id) serves the order. A `fixed` column is one the query's
    filter holds to one value: it orders nothing, so it adds no term (PostgreSQL would sort by
    it rather than see that), but its direction still sets the id's.
    """
    terms = []
    last_direction = "ASC"
    seen = False
    for key, direction in (sort or {}).items():
        column = columns.get(key)
        if column is None:
            continue
        seen = True
        last_direction = "ASC" if direction == 1 else "DESC"
        if column in fixed:
            continue
        nulls = ""
        if column in nullable:
            nulls = " NULLS FIRST" if direction == 1 else " NULLS LAST"
        terms.append(f"{column} {last_direction}{nulls}")
    if not seen:
        return f"ORDER BY {default}"
    if not terms:
        return f"ORDER BY id {last_direction}"
    if any(term.startswith("id ") for term in terms):
        # Already unique; a second `id` would make SQLite sort what its index already orders.
        return f"ORDER BY {', '.join(terms)}"
    return f"ORDER BY {', '.join(terms)}, id {last_direction}"


def like_pattern(text: str) -> str:
    """A LIKE pattern (used with ESCAPE '\\') that matches `text` literally, anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def limit_offset(count: int, offset: int) -> str:
    """LIMIT/OFFSET from integers we computed (never from raw text)."""
    limit = 2**63 - 1 if count == 0 else int(count)
    return f"LIMIT {limit} OFFSET {int(offset)}"


def total_from_page(offset: int, count: int, found: int) -> int | None:
    """A listing's total when its page already tells it, so no count(*) is needed: a page that
    holds fewer rows than asked for (count 0 asks for all) is the end of the listing. An empty
    page past the first row says nothing (the offset may lie beyond the end): None."""
    if found and (count == 0 or found < count):
        return offset + found
    if not found and offset == 0:
        return 0
    return None
