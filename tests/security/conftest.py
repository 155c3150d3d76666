"""Servers configured as in production for the attacks these tests make: the API rate limiter on
(no TEST_MODE) and Rocket.Chat's default bcrypt cost, one fresh server per test so that no
counter of an earlier test leaks into the next."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Api, RunningServer, backends, run_server


@pytest.fixture(params=backends())
def production(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    yield from run_server(request.param, tmp_path, test_mode=None, bcrypt_rounds=10)


@pytest.fixture
def admin(production: RunningServer) -> Iterator[Api]:
    client = Api(production.base_url, production.admin_headers)
    yield client
    client.client.close()
