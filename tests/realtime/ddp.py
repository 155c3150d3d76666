"""A small synchronous DDP client for the tests: a real WebSocket to the server under test."""

import contextlib
import itertools
import json
import time
from typing import Any

from websockets.sync.client import ClientConnection, connect

# Generous: the suite runs on a shared machine; an event that arrives at all arrives well inside it.
TIMEOUT = 15.0


class Ddp:
    def __init__(self, base_url: str) -> None:
        self.url = base_url.replace("http://", "ws://") + "/websocket"
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(connect(self.url, open_timeout=TIMEOUT, max_size=None))
        self.pending: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.session: str | None = None

    # --- raw frames ------------------------------------------------------------------------------

    def send(self, message: dict[str, Any] | str) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        value = json.loads(self.ws.recv(timeout=timeout))
        assert isinstance(value, dict)
        return value

    def next_matching(self, match: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first frame (buffered or new) for which `match(frame)` is true; others are kept."""
        for index, frame in enumerate(self.pending):
            if match(frame):
                return self.pending.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame; buffered: {self.pending}")
            frame = self.recv(timeout=left)
            if match(frame):
                return frame
            self.pending.append(frame)

    def nothing_matching(self, match: Any, wait: float = 0.5) -> None:
        """Assert no frame matching arrives within `wait` seconds."""
        try:
            frame = self.next_matching(match, timeout=wait)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {frame}")

    # --- protocol --------------------------------------------------------------------------------

    def handshake(self) -> "Ddp":
        assert self.recv() == {"msg": "server_id", "server_id": "0"}
        self.send({"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]})
        connected = self.recv()
        assert connected["msg"] == "connected" and set(connected) == {"msg", "session"}
        self.session = connected["session"]
        return self

    def call_raw(self, method: str, *params: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """(result message, updated message) of one method call."""
        call_id = f"m{next(self._ids)}"
        self.send({"msg": "method", "method": method, "params": list(params), "id": call_id})
        result = self.next_matching(lambda f: f.get("msg") == "result" and f.get("id") == call_id)
        updated = self.next_matching(lambda f: f.get("msg") == "updated" and call_id in f.get("methods", []))
        return result, updated

    def call(self, method: str, *params: Any) -> Any:
        result, _ = self.call_raw(method, *params)
        assert "error" not in result, result
        return result.get("result")

    def login(self, token: str) -> Any:
        return self.call("login", {"resume": token})

    def sub(self, name: str, event: str, *args: Any) -> tuple[str, dict[str, Any]]:
        """Subscribe; answers (sub id, the ready or nosub frame)."""
        sub_id = f"s{next(self._ids)}"
        self.send(
            {"msg": "sub", "id": sub_id, "name": name, "params": [event, {"useCollection": False, "args": list(args)}]}
        )
        frame = self.next_matching(
            lambda f: (
                (f.get("msg") == "ready" and sub_id in f.get("subs", []))
                or (f.get("msg") == "nosub" and f.get("id") == sub_id)
            )
        )
        return sub_id, frame

    def subscribed(self, name: str, event: str, *args: Any) -> str:
        sub_id, frame = self.sub(name, event, *args)
        assert frame == {"msg": "ready", "subs": [sub_id]}, frame
        return sub_id

    def event(self, stream: str, event: str, timeout: float = TIMEOUT, where: Any = None) -> list[Any]:
        """The args of the next event on `stream`/`event` (optionally the first whose args match)."""

        def match(frame: dict[str, Any]) -> bool:
            if frame.get("msg") != "changed" or frame.get("collection") != stream:
                return False
            fields = frame.get("fields") or {}
            return fields.get("eventName") == event and (where is None or where(fields.get("args")))

        frame = self.next_matching(match, timeout=timeout)
        assert frame["id"] == "id" and set(frame) == {"msg", "collection", "id", "fields"}
        return frame["fields"]["args"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self._stack.close()
