"""The departments' DDP methods, in the realtime registry (also behind REST method.call)."""

from typing import Any

from omnicontacts.departments import service
from omnicontacts.realtime.errors import DdpError
from omnicontacts.realtime.registry import Caller, method
from omnicontacts.restapi.errors import Failure

SAVE = "livechat:saveDepartment"
REMOVE = "livechat:removeDepartment"


@method(SAVE)
async def save_department(
    caller: Caller, department_id: Any, data: Any, agents: Any = None, unit: Any = None
) -> dict[str, Any]:
    """Create (empty or null id) or update a department; `agents` are the ones to add."""
    if caller.user is None or not caller.has_permission("manage-livechat-departments"):
        raise DdpError("error-not-allowed", "Not allowed", {"method": SAVE})
    if department_id is not None and not isinstance(department_id, str):
        raise DdpError(400, "Match failed")
    async with caller.conn.transaction():
        return await service.save_department(
            caller.conn, department_id or None, data, {"upsert": agents} if agents is not None else None, unit
        )


@method(REMOVE)
async def remove_department(caller: Caller, department_id: Any) -> bool:
    if caller.user is None or not caller.has_permission("manage-livechat-departments"):
        raise DdpError("error-not-allowed", "Not allowed", {"method": REMOVE})
    if not isinstance(department_id, str):
        raise DdpError(400, "Match failed")
    if not caller.settings.get("Omnichannel_enable_department_removal", False):
        raise DdpError("error-department-removal-disabled", "Department removal is disabled", {"method": REMOVE})
    try:
        async with caller.conn.transaction():
            await service.remove_department(caller.conn, department_id)
    except Failure as error:
        raise DdpError(error.error, "Department not found", {"method": REMOVE}) from None
    return True
