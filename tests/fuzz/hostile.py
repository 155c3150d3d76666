"""Hostile requests for every endpoint the app registers.

The endpoints come from the app's own route table, so an endpoint added later is walked without
touching this file. For each one a request is drawn from a `random.Random`: the hypothesis suite
(test_endpoints.py) feeds it hypothesis' randoms, the long runner (run.py) a seeded one. Values
are what a stranger would send: numbers past every integer type and `1e400`, NUL and other control
characters, lone surrogate escapes, long and exotic unicode strings, wrong types, deep JSON, many
keys, broken dates and regular expressions, under every content type (JSON, form, multipart, text,
raw bytes), with the schema's own keys and real record ids mixed in so requests reach the handlers.
"""

import random
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI
from starlette.routing import Route

from omnicontacts.restapi.routing import Endpoint

# Raw JSON number literals the client library could not encode itself.
HUGE_NUMBER_LITERALS = (
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "-1e400",
    "1e308",
    "123456789012345678901234567890",
    "4.9e-324",
    "-0",
)

NUMBERS: tuple[Any, ...] = (0, -1, 1, 2**31, 2**53, 2**53 + 1, 2**63 - 1, -(2**63), 0.5, -0.0, 1e300, 3.14)

TEXT_NUMBERS = (
    "1e400",
    "-1e400",
    "Infinity",
    "NaN",
    "9223372036854775808",
    "18446744073709551616",
    "0x" + "f" * 300,
    "1" * 400,
    "-1",
    "0.5",
    " 7 ",
    "",
)

STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 10,
    "\u0001\u001f\u007f",
    "\ufeff",
    "\u202eevil",
    "é" * 3,
    "😀" * 50,
    "a\u0301" * 20,
    "\r\n\r\n",
    "%00",
    "%",
    "%ff%fe",
    "' OR 1=1 --",
    '"; DROP TABLE contacts; --',
    "\\",
    "%_%",
    "(a+)+$",
    "^(a|a)*$",
    "[",
    "(?=a)",
    "${jndi:x}",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "../../etc/passwd",
    "null",
    "true",
    "[]",
    "{}",
    '{"start":"0001-01-01T00:00:00+23:59","end":"9999-12-31T23:59:59-23:59"}',
    '{"start":"garbage"}',
    '{"$where":"1"}',
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59.999-23:59",
    "2024-02-30T25:61:61Z",
    "garbage",
    '{"ts":-1}',
    '{"ts":"x"}',
    "#general",
    "@admin",
    "a@b",
    "a@b.co",
    "+15550100",
    "+",
)

CONTENT_TYPES = ("json", "json", "json", "form", "multipart", "text", "none", "bytes", "wrong-json-type")


@dataclass(frozen=True)
class Target:
    """One registered method and path, with what the registry says of it."""

    method: str
    path: str
    schema: dict[str, Any] | None
    auth: bool

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def targets(app: FastAPI) -> list[Target]:
    """Every method and path the app routes under /api, from its route table."""
    found: dict[tuple[str, str], Target] = {}
    for route in app.router.routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        endpoint = route.endpoint
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            if isinstance(endpoint, Endpoint):
                target = Target(method, route.path, endpoint.schema, endpoint.auth)
            else:
                target = Target(method, route.path, None, False)
            found.setdefault((method, route.path), target)
    return list(found.values())


@dataclass
class Pools:
    """Real values (ids, tokens, names) that let hostile requests get past the first lookups."""

    values: list[str] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        self.values.extend(str(value) for value in values if value)


@dataclass
class Drawn:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None = None
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None

    def describe(self) -> str:
        body = self.content[:300] if self.content is not None else self.data or self.files
        return f"{self.method} {self.url[:500]} {self.headers} {body!r}"


# Characters (and items) one request may spend on its values, so a draw stays a few hundred
# kilobytes at most; the 1 MiB bodies are drawn separately.
BUDGET = 200_000


class Hostile:
    def __init__(self, rng: random.Random, pools: Pools) -> None:
        self.rng = rng
        self.pools = pools
        self.budget = BUDGET

    def _spend(self, wanted: int) -> int:
        granted = max(0, min(wanted, self.budget))
        self.budget -= max(granted, 1)
        return granted

    # --- values ----------------------------------------------------------------------------------

    def text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(STRINGS)
        if roll < 0.5 and self.pools.values:
            value = rng.choice(self.pools.values)
            return value + rng.choice(("", "", "\x00", "x", " ", value))
        if roll < 0.6:
            return rng.choice(TEXT_NUMBERS)
        if roll < 0.75:
            repeat = self._spend(rng.choice((50, 129, 257, 1025, 5001, 70000)))
            return rng.choice(("a", "é", "😀", "\x00", "%", "1", "ab ")) * repeat
        alphabet = string.printable + "éß漢字😀\u200b\u0000"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))

    def value(self, depth: int = 0) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return self.text()
        if roll < 0.6:
            return rng.choice(NUMBERS)
        if roll < 0.67:
            return rng.choice((None, True, False))
        if depth > 3:
            return None
        if roll < 0.82:
            return [self.value(depth + 1) for _ in range(self._spend(rng.choice((0, 1, 2, 5, 150))))]
        return {self.key(): self.value(depth + 1) for _ in range(self._spend(rng.choice((0, 1, 3, 120))))}

    def key(self) -> str:
        if self.rng.random() < 0.7:
            return self.rng.choice(("_id", "id", "token", "rid", "msg", "name", "email", "phone", "x", "a.b", "$gt"))
        return self.text()[:300]

    def body(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        """The schema's own keys with hostile values (each kept or dropped), plus strangers."""
        params: dict[str, Any] = {}
        for name, sub in _properties(schema).items():
            if self.rng.random() < 0.75:
                params[name] = self.typed(sub)
        for _ in range(self.rng.choice((0, 0, 0, 1, 2))):
            params[self.key()] = self.value()
        return params

    def typed(self, schema: dict[str, Any]) -> Any:
        """Often a value of the declared type (so deeper checks run), often not."""
        rng = self.rng
        if rng.random() < 0.4:
            return self.value()
        kinds = schema.get("type")
        kind = kinds if isinstance(kinds, str) else rng.choice(list(kinds or ["string"]))
        if "enum" in schema and rng.random() < 0.5:
            return rng.choice(schema["enum"])
        if kind == "string":
            return self.text()
        if kind in ("number", "integer"):
            return rng.choice(NUMBERS)
        if kind == "boolean":
            return rng.choice((True, False))
        if kind == "array":
            items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
            return [self.typed(items or {}) for _ in range(self._spend(rng.choice((0, 1, 3, 101))))]
        if kind == "object":
            return self.body(schema)
        return self.value()

    # --- requests ---------------------------------------------------------------------------------

    def path(self, template: str) -> str:
        out = template
        while "{" in out:
            start = out.index("{")
            end = out.index("}", start)
            name = out[start + 1 : end]
            if name == "rest":
                value = self.text()
            elif name == "user_type" and self.rng.random() < 0.7:
                value = self.rng.choice(("agent", "manager", "bot"))
            else:
                value = self.text()
            if not value:
                value = "x"
            out = out[:start] + quote(value[:1000], safe="") + out[end + 1 :]
        return out

    def query(self, params: dict[str, Any]) -> str:
        parts = []
        for key, value in params.items():
            parts.extend(self._query_pairs(quote(str(key), safe="[]"), value, 0))
        if self.rng.random() < 0.15:
            parts.append(self.rng.choice(("%00=%00", "a[b][c][d][e][f][g][h]=1", "=", "&&&", "%=%", "a[]=1&a[]=2")))
        # Longer URLs are refused by the client library before they are sent.
        return "&".join(parts)[:50000]

    def _query_pairs(self, key: str, value: Any, depth: int) -> list[str]:
        if isinstance(value, dict) and depth < 3:
            return [p for k, v in value.items() for p in self._query_pairs(f"{key}[{quote(str(k))}]", v, depth + 1)]
        if isinstance(value, list) and depth < 3:
            return [p for v in value[:50] for p in self._query_pairs(f"{key}[]", v, depth + 1)]
        text = value if isinstance(value, str) else orjson.dumps(value).decode() if value is not None else ""
        return [f"{key}={quote(text[:8000], safe='')}"]

    def request(self, target: Target, headers: dict[str, str]) -> Drawn:
        rng = self.rng
        url = self.path(target.path)
        params = self.body(target.schema)
        headers = dict(headers)
        if target.method in ("GET", "DELETE"):
            query = self.query(params)
            return Drawn(target.method, f"{url}?{query}" if query else url, headers)
        kind = rng.choice(CONTENT_TYPES)
        if kind == "json":
            headers["content-type"] = "application/json"
            return Drawn(target.method, url, headers, content=self.json_bytes(params))
        if kind == "wrong-json-type":
            headers["content-type"] = "application/json"
            return Drawn(target.method, url, headers, content=orjson.dumps(self.value(3)))
        if kind == "form":
            headers["content-type"] = "application/x-www-form-urlencoded"
            return Drawn(target.method, url, headers, content=self.query(params).encode())
        if kind == "multipart":
            fields = {str(k)[:200]: _flat(v)[:5000] for k, v in params.items()}
            files = {"file": ("x.txt", b"\x00" * rng.choice((0, 10, 5000)), "text/plain")}
            return Drawn(target.method, url, headers, data=fields, files=files if rng.random() < 0.5 else None)
        if kind == "text":
            headers["content-type"] = rng.choice(("text/plain", "application/xml", "application/json; charset=latin-1"))
            return Drawn(target.method, url, headers, content=self.json_bytes(params))
        if kind == "bytes":
            headers["content-type"] = rng.choice(("application/json", "multipart/form-data; boundary=x", ""))
            return Drawn(target.method, url, headers, content=self.raw_bytes())
        return Drawn(target.method, url, headers, content=self.json_bytes(params))

    def json_bytes(self, params: dict[str, Any]) -> bytes:
        """The params as JSON, sometimes with a raw literal JSON libraries would not write."""
        rng = self.rng
        body = orjson.dumps(params, default=str, option=orjson.OPT_NON_STR_KEYS)
        roll = rng.random()
        if roll < 0.15 and params:
            key = rng.choice(list(params))
            literal = rng.choice((*HUGE_NUMBER_LITERALS, '"\\u0000"', '"\\ud800"', '"a\\u0000b"'))
            return orjson.dumps({**params, key: None}).replace(
                orjson.dumps(key) + b":null", orjson.dumps(key) + b":" + literal.encode()
            )
        if roll < 0.2:
            depth = rng.choice((33, 255, 300, 1100))
            return b'{"x":' + b"[" * depth + b"]" * depth + b"}"
        if roll < 0.22:
            return b'{"x":"' + b"a" * (1024 * 1024) + b'"}'
        return body

    def raw_bytes(self) -> bytes:
        return self.rng.choice(
            (
                b"\xff\xfe\x00",
                b'{"a":"\xff"}',
                b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\x00\r\n--x--\r\n',
                b"--x\r\n\r\n",
                b"{" * 5000,
                b"[1,2,",
                b"NaN",
                b"null",
                b'"string"',
                b"12",
            )
        )


def _properties(schema: dict[str, Any] | None) -> dict[str, Any]:
    if not schema:
        return {}
    found: dict[str, Any] = dict(schema.get("properties") or {})
    for keyword in ("anyOf", "oneOf"):
        for branch in schema.get(keyword) or ():
            found.update(_properties(branch))
    return found


def _flat(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
