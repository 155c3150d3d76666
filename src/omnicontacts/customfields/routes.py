"""HTTP side of livechat custom field definitions (livechat/custom-fields*)."""

from typing import Any

from omnicontacts.customfields import schemas, service
from omnicontacts.restapi.routing import RequestContext, Router

router = Router()


@router.get("livechat/custom-fields", permissions=("view-l-room",), query=schemas.CUSTOM_FIELDS_LIST)
async def custom_fields_list(ctx: RequestContext) -> dict[str, Any]:
    offset, count = ctx.page()
    text = ctx.params.get("text")
    return await service.list_custom_fields(
        ctx.conn, text=text if isinstance(text, str) else None, sort=ctx.sort(), offset=offset, count=count
    )


@router.get("livechat/custom-fields/{field_id}", permissions=("view-l-room",))
async def custom_fields_get(ctx: RequestContext) -> dict[str, Any]:
    # 200 with null for an unknown id: clients probe with this before creating a field.
    return {"customField": await service.get_custom_field(ctx.conn, ctx.path["field_id"])}


@router.post(
    "livechat/custom-fields.save",
    permissions=("view-livechat-manager",),
    body=schemas.CUSTOM_FIELDS_SAVE,
    typed=True,
)
async def custom_fields_save(ctx: RequestContext) -> dict[str, Any]:
    async with ctx.conn.transaction():
        record = await service.save_custom_field(
            ctx.conn, ctx.params.get("customFieldId"), ctx.params["customFieldData"]
        )
    return {"customField": record}


@router.post(
    "livechat/custom-fields.delete",
    permissions=("view-livechat-manager",),
    body=schemas.CUSTOM_FIELDS_DELETE,
    typed=True,
)
async def custom_fields_delete(ctx: RequestContext) -> None:
    async with ctx.conn.transaction():
        await service.delete_custom_field(ctx.conn, ctx.params["customFieldId"])
