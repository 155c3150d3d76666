"""Browser tests of the Contact Center: the server runs as the README starts it (`omnicontacts
serve`, a real uvicorn process) on each database, and Debian's Chromium drives the pages."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from tests.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    Api,
    RunningServer,
    _free_port,
    backends,
    drop_schema,
    reset_database,
    settings_for,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("OMNICONTACTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _serve(backend: str, workdir: Path) -> Iterator[RunningServer]:
    settings, schema = settings_for(backend, workdir)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "ADMIN_USERNAME": ADMIN_USERNAME,
        "ADMIN_PASS": ADMIN_PASSWORD,
        "ADMIN_EMAIL": "admin.test@example.com",
        "BCRYPT_ROUNDS": "4",
        "DB_POOL_SIZE": "4",
    }
    if schema:
        env["DATABASE_SCHEMA"] = schema
    command = Path(sys.executable).parent / "omnicontacts"
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [str(command), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded 2-core machine takes a minute to import
        while True:
            try:
                if httpx.get(base_url + "/api/info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start: " + (workdir / "server.log").read_text())
            time.sleep(0.1)
        admin = Api(base_url).login(ADMIN_USERNAME, ADMIN_PASSWORD)
        yield RunningServer(backend, settings, base_url, admin["X-User-Id"], admin)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if schema is not None:
            drop_schema(settings.database_url, schema)


@pytest.fixture(scope="session", params=backends())
def ui_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from _serve(request.param, tmp_path_factory.mktemp("ui-" + request.param))


# Per module: Playwright's sync API keeps an event loop running on the test thread while it is
# started, and tests collected after these ones call asyncio.run.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Ui:
    """One test's view of the server: the admin's API client and signed-in browser pages."""

    def __init__(self, server: RunningServer, browser: Browser) -> None:
        self.server = server
        self.browser = browser
        self.api = Api(server.base_url, server.admin_headers)
        self.contexts: list[BrowserContext] = []

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def page(self, *, width: int = 1280, height: int = 900) -> Page:
        context = self.browser.new_context(base_url=self.base_url, viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.console_errors = errors  # type: ignore[attr-defined]
        return page

    def sign_in(self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD, **size: int) -> Page:
        page = self.page(**size)
        page.goto("/ui/login")
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/ui/contacts**")
        return page

    def user(self, roles: list[str]) -> dict[str, Any]:
        return self.api.create_user(roles=roles)

    def shot(self, page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{self.server.name}-{name}.png"), full_page=True)

    def axe(self, page: Page) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the page, run under the page's own CSP:
        axe is served from a same-origin URL the test intercepts, never inlined."""

        def fulfil(route: Route) -> None:
            route.fulfill(body=AXE.read_bytes(), content_type="text/javascript")

        page.route("**/__axe__.js", fulfil)
        page.add_script_tag(url="/__axe__.js")
        result = page.evaluate("async () => (await axe.run(document)).violations")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result
            if v["impact"] in ("serious", "critical")
        ]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def ui(ui_server: RunningServer, browser: Browser) -> Iterator[Ui]:
    off_loop(reset_database, ui_server)
    helper = Ui(ui_server, browser)
    yield helper
    helper.close()


def off_loop(work: Callable[..., Any], *args: Any) -> Any:
    """Run a helper that calls asyncio.run on its own thread: Playwright's sync API keeps an event
    loop running on the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args).result()
