"""Uploading an import through the REST API and waiting for it to finish."""

import time
from typing import Any

from tests.support import Api


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
