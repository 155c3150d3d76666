"""`omnicontacts` as an operator runs it: a real process, its exit code and its stderr lines."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

COMMAND = str(Path(sys.executable).parent / "omnicontacts")
# Ports these tests listen on (the project's share of this machine).
PORTS = range(4300, 4400)


def free_port() -> int:
    """A port free on both loopback addresses."""
    for port in PORTS:
        try:
            with socket.socket() as v4, socket.socket(socket.AF_INET6) as v6:
                v4.bind(("127.0.0.1", port))
                v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                v6.bind(("::1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port in 4300-4399")


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ADMIN_", "DATABASE_", "LOG_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("ACCESS_LOG", None)
    env["BCRYPT_ROUNDS"] = "4"
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@contextmanager
def serving(
    args: list[str], env: dict[str, str], cwd: Path, port: int, timeout: float = 180
) -> Iterator[subprocess.Popen[str]]:
    """`omnicontacts serve` in the background until /api/info answers; stopped (SIGTERM) afterwards."""
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_up(process, port, timeout)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(process: subprocess.Popen[str], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"serve exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("serve did not answer in time")


def children(pid: int) -> set[int]:
    """Every live descendant of `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces: the fields after its closing parenthesis are fixed.
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def port_free(port: int) -> bool:
    """Whether a new server could listen on `port`: bound as servers (uvicorn included) bind,
    with SO_REUSEADDR, so connections of a dead process left in TIME_WAIT do not count."""
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
            probe.listen()
        return True
    except OSError:
        return False
