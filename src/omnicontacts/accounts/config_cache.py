"""Permissions and settings, cached in each worker and reloaded when they change anywhere.

Any change bumps `meta.config_version` in the same transaction. The authentication query reads
that number on every request at no extra round trip, so a change made through one worker takes
effect on the very next request in all of them.
"""

from collections.abc import Iterable
from typing import Any

from omnicontacts import jsonutil
from omnicontacts.accounts import repository
from omnicontacts.storage import Connection


class ConfigCache:
    def __init__(self) -> None:
        self.version: int = -1
        self.permission_roles: dict[str, frozenset[str]] = {}
        self.settings: dict[str, Any] = {}

    async def ensure_fresh(self, conn: Connection, version: int | None = None) -> None:
        if version is None:
            version = await repository.config_version(conn)
        if version == self.version:
            return
        permissions = await repository.all_permissions(conn)
        settings = await repository.all_settings(conn)
        self.permission_roles = {row["id"]: frozenset(jsonutil.loads(row["roles"])) for row in permissions}
        self.settings = {row["id"]: jsonutil.loads(row["value"]) for row in settings}
        self.version = version

    def has_permission(self, roles: Iterable[str], permission: str) -> bool:
        allowed = self.permission_roles.get(permission, frozenset())
        return any(role in allowed for role in roles)

    def setting(self, setting_id: str, default: Any = None) -> Any:
        return self.settings.get(setting_id, default)
