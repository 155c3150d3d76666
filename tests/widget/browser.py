"""Real Chromium (Debian's, driven by Playwright) for the widget tests, and a host page that
embeds the widget with Rocket.Chat's snippet, served from its own origin."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.support import RunningServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Rocket.Chat's embed snippet, as its administration page hands it out, pointed at our server.
SNIPPET = """<!-- Start of Rocket.Chat Livechat Script -->
<script type="text/javascript">
(function(w, d, s, u) {
	w.RocketChat = function(c) { w.RocketChat._.push(c) }; w.RocketChat._ = []; w.RocketChat.url = u;
	var h = d.getElementsByTagName(s)[0], j = d.createElement(s);
	j.async = true; j.src = '%(server)s/livechat/rocketchat-livechat.min.js?_=201903270000';
	h.parentNode.insertBefore(j, h);
})(window, document, 'script', '%(server)s/livechat');
</script>
<!-- End of Rocket.Chat Livechat Script -->"""


def host_page_html(server_url: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Example shop</title></head>"
        f"<body><h1>Example shop</h1><p>Questions? Ask us.</p>{SNIPPET % {'server': server_url}}</body></html>"
    )


def serve_host_page(server_url: str) -> Iterator[str]:
    """The shop's page on its own loopback port (another origin than the chat server)."""
    body = host_page_html(server_url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def second_process(server: RunningServer, port: int, log_path: Path) -> Iterator[str]:
    """`omnicontacts serve` in a process of its own, over the test server's database. Its log
    goes to a file (a pipe nobody reads would fill and stall it)."""
    env = {
        **os.environ,
        "DATABASE_URL": server.settings.database_url,
        "BCRYPT_ROUNDS": "4",
    }
    if server.settings.database_schema:
        env["DATABASE_SCHEMA"] = server.settings.database_schema
    command = [str(Path(sys.executable).parent / "omnicontacts"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a loaded machine a cold start (imports, migrations check) can take a while.
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")[-2000:]
            try:
                if httpx.get(f"{base_url}/api/info", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "second server process did not start"
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
