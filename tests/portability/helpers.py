"""Uploading an import through the REST API and waiting for it to finish; reading an import's
document while another process imports."""

import asyncio
import time
from typing import Any

import orjson

from omnicontacts.storage import open_storage
from tests.support import Api, RunningServer


def upload(api: Api, content: bytes, filename: str = "contacts.csv", **fields: str) -> str:
    response = api.client.post(
        "/api/v1/omnichannel/contacts.import", files={"file": (filename, content)}, data=fields or None
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"importId", "success"}
    return str(body["importId"])


def wait(api: Api, import_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = api.get("omnichannel/contacts.import", params={"importId": import_id, "count": 0})
        assert response.status_code == 200, response.text
        body = response.json()
        if body["import"]["status"] in ("done", "failed"):
            return body  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def import_file(api: Api, content: bytes, filename: str = "contacts.csv", **fields: str) -> dict[str, Any]:
    return wait(api, upload(api, content, filename, **fields))


def search(api: Api, text: str = "") -> list[dict[str, Any]]:
    response = api.get("omnichannel/contacts.search", params={"searchText": text, "count": 0})
    assert response.status_code == 200, response.text
    return response.json()["contacts"]  # type: ignore[no-any-return]


def latest_job(server: RunningServer) -> dict[str, Any] | None:
    """The newest import's document, read outside any write transaction: on SQLite an import in
    another process holds the write lock for a whole batch, which a slow machine can stretch
    past the busy timeout."""

    async def main() -> Any:
        storage = await open_storage(server.settings)
        try:
            async with storage.connection() as conn:
                return await conn.fetchval("SELECT doc FROM imports ORDER BY created_at DESC, id DESC LIMIT 1")
        finally:
            await storage.close()

    text = asyncio.run(main())
    return None if text is None else orjson.loads(text)
