"""HTTP side of livechat custom field definitions (livechat/custom-fields*)."""

from omnicontacts.restapi.routing import Router

router = Router()
