"""The README's "Try it" steps, run as written against a server filled by `omnicontacts demo`,
print what the README says they print."""

import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.operations.processes import environment, free_port, run, serving
from tests.support import POSTGRES_URL_VARIABLE, backends, drop_schema

README = Path(__file__).resolve().parents[2] / "README.md"


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
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        if schema is not None:
            drop_schema(os.environ[POSTGRES_URL_VARIABLE], schema)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected
