"""HTTP side of livechat: agents, visitors, rooms, messages, inquiries, subscriptions."""

from omnicontacts.restapi.routing import Router

router = Router()
