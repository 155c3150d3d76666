"""The README's "Try it" steps, run as written against a server filled by `omnicontacts demo`,
print what the README says they print."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.operations.processes import environment, free_port, run, serving
from tests.support import POSTGRES_URL_VARIABLE, backends, drop_schema

README = Path(__file__).resolve().parents[2] / "README.md"

# The README's commands use the jq command. A machine set up with only python3, make and git has
# none: there the same filters run through libjq's Python binding (the dev dependency `jq`).
JQ_SHIM = """#!{python}
import json, sys
import jq
args = sys.argv[1:]
raw = "-r" in args
program = [arg for arg in args if not arg.startswith("-")][0]
for value in jq.compile(program).input_text(sys.stdin.read()).all():
    if raw and isinstance(value, str):
        print(value)
    else:
        print(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
"""


# Likewise curl, for the options the README uses (-s, -H, -d, -o, -w with %{http_code} and \\n).
CURL_SHIM = """#!{python}
import sys
import httpx
args, headers, data, out, write, url = sys.argv[1:], {{}}, None, None, "", None
index = 0
while index < len(args):
    arg = args[index]
    if arg in ("-H", "-d", "-o", "-w"):
        value = args[index + 1]
        index += 1
        if arg == "-H":
            name, _, text = value.partition(":")
            headers[name.strip()] = text.strip()
        elif arg == "-d":
            data = value
        elif arg == "-o":
            out = value
        else:
            write = value
    elif arg != "-s":
        url = arg
    index += 1
response = httpx.request("POST" if data is not None else "GET", url, headers=headers, content=data)
if out != "/dev/null":
    sys.stdout.write(response.text)
sys.stdout.write(write.replace("%{{http_code}}", str(response.status_code)).replace("\\\\n", "\\n"))
"""


def _path_with_tools(tmp_path: Path) -> str:
    """PATH with jq and curl, the machine's own when it has them."""
    path = os.environ.get("PATH", "")
    shims = tmp_path / "bin"
    shims.mkdir()
    for name, text in (("jq", JQ_SHIM), ("curl", CURL_SHIM)):
        if shutil.which(name) is None or os.environ.get("OMNICONTACTS_TEST_SHIMS"):
            (shims / name).write_text(text.format(python=sys.executable))
            (shims / name).chmod(0o755)
    return f"{shims}:{path}"


def _blocks() -> tuple[str, list[str]]:
    text = README.read_text()
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    script = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    printed = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert script and printed
    return script.group(1), printed.group(1).splitlines()


@pytest.mark.parametrize("backend", backends())
def test_readme_try_it_on_the_demo_data(backend: str, tmp_path: Path) -> None:
    script, expected = _blocks()
    schema = None
    if backend == "sqlite":
        database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'omnicontacts.db'}"}
    else:
        schema = f"omni_readme_{os.getpid()}_{secrets.token_hex(3)}"
        database = {"DATABASE_URL": os.environ[POSTGRES_URL_VARIABLE], "DATABASE_SCHEMA": schema}
    # What `make serve` does: the demo (with the Makefile's admin), then the server.
    env = environment(ADMIN_USERNAME="admin", ADMIN_PASS="change-me", **database)
    port = free_port()
    try:
        filled = run(["demo"], env, tmp_path, timeout=300)
        assert filled.returncode == 0, filled.stderr
        assert "demo data: 40 contacts created" in filled.stdout
        with serving([], env, tmp_path, port):
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script.replace("127.0.0.1:3000", f"127.0.0.1:{port}")],
                env={**os.environ, "PATH": _path_with_tools(tmp_path)},
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        if schema is not None:
            drop_schema(os.environ[POSTGRES_URL_VARIABLE], schema)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected
