"""HTTP side of livechat departments (livechat/department*, livechat/departments/archived)."""

from typing import Any

import orjson

from omnicontacts.departments import methods as _methods  # noqa: F401  (registers the DDP methods)
from omnicontacts.departments import schemas, service
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import Failure, RawError
from omnicontacts.restapi.meteor_check import ANY, OBJECT, Maybe, ObjectIncluding, Text, check
from omnicontacts.restapi.routing import RequestContext, Router

router = Router()

VIEW = ("view-livechat-departments", "view-l-room")
MANAGE = "manage-livechat-departments"
ADD_AGENTS = "add-livechat-department-agents"
REMOVE = "remove-livechat-department"

# `departmentUnit` is accepted, as the newest Rocket.Chat does; units do not exist here.
_SAVE_BODY = {"department": OBJECT, "agents": Maybe([ANY]), "departmentUnit": Maybe({"_id": Maybe(Text(limits.ID))})}
_AGENTS_BODY = ObjectIncluding({"upsert": [ANY], "remove": [ANY]})


def _text(ctx: RequestContext, key: str) -> str | None:
    value = ctx.params.get(key)
    return value if isinstance(value, str) and value else None


async def _list(ctx: RequestContext, *, archived: bool | None) -> dict[str, Any]:
    offset, count = ctx.page()
    return await service.list_departments(
        ctx.conn,
        archived=archived,
        text=_text(ctx, "text"),
        enabled=ctx.params.get("enabled") == "true",
        exclude_id=_text(ctx, "excludeDepartmentId"),
        sort=ctx.sort(),
        offset=offset,
        count=count,
    )


@router.get("livechat/department", permissions=VIEW, any_permission=True, query=schemas.DEPARTMENTS_LIST)
async def departments_list(ctx: RequestContext) -> dict[str, Any]:
    return await _list(ctx, archived=None if ctx.params.get("showArchived") == "true" else False)


@router.post("livechat/department", permissions=(MANAGE,))
async def departments_create(ctx: RequestContext) -> dict[str, Any]:
    check(ctx.params, _SAVE_BODY)
    agents = ctx.params.get("agents")
    async with ctx.conn.transaction():
        department = await service.save_department(
            ctx.conn, None, ctx.params["department"], {"upsert": agents} if agents else None
        )
        members = await service.get_department(ctx.conn, department["_id"], with_agents=True)
    return {"department": department, "agents": members["agents"]}


@router.get("livechat/departments/archived", permissions=VIEW, any_permission=True, query=schemas.DEPARTMENTS_LIST)
async def departments_archived(ctx: RequestContext) -> dict[str, Any]:
    return await _list(ctx, archived=True)


@router.get("livechat/department.autocomplete", permissions=VIEW, any_permission=True)
async def departments_autocomplete(ctx: RequestContext) -> dict[str, Any]:
    raw = ctx.params.get("selector")
    if not raw:
        raise Failure("The 'selector' param is required")
    try:
        selector = orjson.loads(raw) if isinstance(raw, str) else None
    except orjson.JSONDecodeError:
        selector = None
    if not isinstance(selector, dict):
        raise Failure("The 'selector' param must be a JSON object")
    return await service.autocomplete(ctx.conn, selector, show_archived=ctx.params.get("showArchived") == "true")


@router.get("livechat/department.listByIds", permissions=VIEW, any_permission=True)
async def departments_by_ids(ctx: RequestContext) -> dict[str, Any]:
    department_ids = ctx.params.get("ids")
    if not department_ids:
        raise Failure("The 'ids' param is required")
    if not isinstance(department_ids, list) or not all(isinstance(item, str) for item in department_ids):
        raise Failure("The 'ids' param must be an array")
    return await service.departments_by_ids(ctx.conn, department_ids)


@router.get(
    "livechat/department/isDepartmentCreationAvailable",
    permissions=("view-livechat-departments", MANAGE),
    any_permission=True,
)
async def departments_creation_available(ctx: RequestContext) -> dict[str, Any]:
    # No licence limits the number of departments here.
    return {"isDepartmentCreationAvailable": True}


@router.get("livechat/department/{_id}", permissions=VIEW, any_permission=True)
async def department_get(ctx: RequestContext) -> dict[str, Any]:
    # 200 with null for an unknown id: Rocket.Chat's admin page probes with it.
    with_agents = ctx.params.get("includeAgents") != "false" and ctx.has_permission("view-livechat-departments")
    return await service.get_department(ctx.conn, ctx.path["_id"], with_agents=with_agents)


@router.put("livechat/department/{_id}", permissions=(MANAGE, ADD_AGENTS), any_permission=True)
async def department_update(ctx: RequestContext) -> dict[str, Any]:
    check(ctx.params, _SAVE_BODY)
    department_id = ctx.path["_id"]
    agents = ctx.params.get("agents")
    if not ctx.has_permission(MANAGE):
        # Rocket.Chat answers a bare failure when only agents could be saved.
        raise RawError(400, {"success": False})
    async with ctx.conn.transaction():
        await service.save_department(ctx.conn, department_id, ctx.params["department"])
        if agents is not None and ctx.has_permission(ADD_AGENTS):
            await service.save_department_agents(ctx.conn, department_id, {"upsert": agents})
        return await service.get_department(ctx.conn, department_id, with_agents=True)


@router.delete("livechat/department/{_id}", permissions=(MANAGE, REMOVE), any_permission=True)
async def department_delete(ctx: RequestContext) -> None:
    if not ctx.setting("Omnichannel_enable_department_removal", False):
        raise Failure("error-department-removal-disabled")
    async with ctx.conn.transaction():
        await service.remove_department(ctx.conn, ctx.path["_id"])


@router.post("livechat/department/{_id}/archive", permissions=(MANAGE,))
async def department_archive(ctx: RequestContext) -> None:
    async with ctx.conn.transaction():
        await service.archive_department(ctx.conn, ctx.path["_id"])


@router.post("livechat/department/{_id}/unarchive", permissions=(MANAGE,))
async def department_unarchive(ctx: RequestContext) -> None:
    async with ctx.conn.transaction():
        await service.unarchive_department(ctx.conn, ctx.path["_id"])


@router.get(
    "livechat/department/{_id}/agents",
    permissions=VIEW,
    any_permission=True,
    query=schemas.DEPARTMENT_AGENTS_LIST,
)
async def department_agents(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    return await service.list_agents(ctx.conn, ctx.path["_id"], sort=ctx.sort(), offset=offset, count=count)


@router.post("livechat/department/{_id}/agents", permissions=(MANAGE, ADD_AGENTS), any_permission=True)
async def department_agents_save(ctx: RequestContext) -> None:
    check(ctx.params, _AGENTS_BODY)
    async with ctx.conn.transaction():
        await service.save_department_agents(ctx.conn, ctx.path["_id"], ctx.params)
