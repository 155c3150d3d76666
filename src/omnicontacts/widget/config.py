"""`GET livechat/config`: what the widget needs to draw itself, and the visitor's open chat.

The shape is Rocket.Chat's; the values come from the `Livechat_*` settings with their ids. What
omnicontacts does not have is answered as Rocket.Chat answers without it: no
triggers, no custom emojis, file upload off (there are no uploads yet), no video calls, no sound.
"""

from collections.abc import Mapping
from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.departments import service as departments
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.livechat import routing
from omnicontacts.storage import Connection

# The labels the widget shows on call messages; calls are off, but the widget reads the keys.
_ACTION_LINKS = {
    "webrtc": [
        {
            "actionLinksAlignment": "flex-start",
            "i18nLabel": "Join_call",
            "label": "Join call",
            "method_id": "joinLivechatWebRTCCall",
        },
        {"i18nLabel": "End_call", "label": "End call", "method_id": "endLivechatWebRTCCall", "danger": True},
    ],
    "jitsi": [{"icon": "icon-videocam", "i18nLabel": "Accept"}, {"icon": "icon-cancel", "i18nLabel": "Decline"}],
}

_GUEST_KEYS = ("_id", "name", "username", "token", "visitorEmails", "department")
_ROOM_KEYS = ("_id", "departmentId", "servedBy", "open", "callStatus")
_AGENT_KEYS = ("_id", "name", "username", "phone", "customFields", "status", "livechat")


def _pick(doc: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: doc[key] for key in keys if key in doc}


def widget_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the answer that depends on settings only."""
    character_limit = settings.get("Livechat_enable_message_character_limit") and (
        settings.get("Livechat_message_character_limit") or settings.get("Message_MaxAllowedSize")
    )
    return {
        "enabled": True,
        "settings": {
            "registrationForm": settings.get("Livechat_registration_form", True),
            "allowSwitchingDepartments": settings.get("Livechat_allow_switching_departments", True),
            "nameFieldRegistrationForm": settings.get("Livechat_name_field_registration_form", True),
            "emailFieldRegistrationForm": settings.get("Livechat_email_field_registration_form", True),
            "displayOfflineForm": settings.get("Livechat_display_offline_form", True),
            "videoCall": settings.get("Omnichannel_call_provider") == "default-provider",
            # Uploads do not exist yet; the widget hides its attach button.
            "fileUpload": False,
            "language": settings.get("Language", ""),
            "transcript": settings.get("Livechat_enable_transcript", False),
            "historyMonitorType": settings.get("Livechat_history_monitor_type", "url"),
            "forceAcceptDataProcessingConsent": settings.get("Livechat_force_accept_data_processing_consent", False),
            "agentHiddenInfo": settings.get("Livechat_show_agent_info", True) is False,
            "clearLocalStorageWhenChatEnded": settings.get("Livechat_clear_local_storage_when_chat_ended", False),
            "limitTextLength": character_limit or False,
            "hideWatermark": False,
            "visitorsCanCloseChat": settings.get("Omnichannel_allow_visitors_to_close_conversation", True),
        },
        "theme": {
            "title": settings.get("Livechat_title", "Rocket.Chat"),
            "color": settings.get("Livechat_title_color", "#C1272D"),
            "offlineTitle": settings.get("Livechat_offline_title", "Leave a message"),
            "offlineColor": settings.get("Livechat_offline_title_color", "#666666"),
            "position": "right",
            "actionLinks": _ACTION_LINKS,
        },
        "messages": {
            "offlineMessage": settings.get("Livechat_offline_message", ""),
            "offlineSuccessMessage": settings.get("Livechat_offline_success_message", ""),
            "offlineUnavailableMessage": settings.get("Livechat_offline_form_unavailable", ""),
            "conversationFinishedMessage": settings.get("Livechat_conversation_finished_message", ""),
            "conversationFinishedText": settings.get("Livechat_conversation_finished_text", ""),
            "transcriptMessage": settings.get("Livechat_transcript_message", ""),
            "registrationFormMessage": settings.get("Livechat_registration_form_message", ""),
            "dataProcessingConsentText": settings.get("Livechat_data_processing_consent_text", ""),
        },
        "survey": {
            "items": ["satisfaction", "agentKnowledge", "agentResposiveness", "agentFriendliness"],
            "values": ["1", "2", "3", "4", "5"],
        },
        "triggers": [],
        "departments": [],
        # No `sound`: the widget then plays nothing on new messages.
        "resources": {"emojis": []},
    }


async def online(conn: Connection, settings: Mapping[str, Any], department: str | None = None) -> bool:
    """Whether a chat started now would be taken: always when chats are accepted without agents,
    otherwise when an agent (of the `department`, when the widget names one) is available."""
    if settings.get("Livechat_accept_chats_with_no_agents"):
        return True
    if department:
        return await departments.online_in_department(conn, department)
    return await routing.next_available_agent(conn) is not None


async def public_custom_fields(conn: Connection) -> list[dict[str, Any]]:
    """Visitor fields the widget may ask for on its registration form."""
    fields = []
    for field in await livechat_repository.custom_fields(conn, "visitor"):
        if field.get("visibility") != "visible" or field.get("public") is not True:
            continue
        entry: dict[str, Any] = {
            "_id": field["_id"],
            "label": field.get("label"),
            "regexp": field.get("regexp"),
            "required": field.get("required", False),
            "type": field.get("type"),
            "defaultValue": field.get("defaultValue"),
        }
        options = field.get("options")
        if isinstance(options, str) and options:
            entry["options"] = options.split(",")
        fields.append({key: value for key, value in entry.items() if value is not None or key == "defaultValue"})
    return fields


async def agent_info(conn: Connection, agent_id: str, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The agent as the widget may show them (`{hiddenInfo: true}` when agent info is off)."""
    if settings.get("Livechat_show_agent_info", True) is False:
        return {"hiddenInfo": True}
    user = await accounts_repository.find_user_doc(conn, agent_id)
    if user is None:
        return None
    agent = _pick(user, _AGENT_KEYS)
    if settings.get("Livechat_show_agent_email", True) and "emails" in user:
        agent["emails"] = user["emails"]
    return agent


async def livechat_config(
    conn: Connection, token: str | None, settings: Mapping[str, Any], *, department: str | None = None
) -> dict[str, Any]:
    if not settings.get("Livechat_enabled", True):
        return {"enabled": False}
    config = widget_settings(settings)
    config["departments"] = await departments.widget_departments(conn)
    config["online"] = await online(conn, settings, department)
    custom_fields = await public_custom_fields(conn)
    if custom_fields:
        config["customFields"] = custom_fields
    visitor = await livechat_repository.find_visitor_by_token(conn, token) if token else None
    if visitor is None:
        return config
    config["guest"] = _pick(visitor, _GUEST_KEYS)
    room = await livechat_repository.find_open_room_of_visitor(conn, visitor["_id"])
    if room is None:
        return config
    config["room"] = _pick(room, _ROOM_KEYS)
    served_by = (room.get("servedBy") or {}).get("_id")
    if isinstance(served_by, str):
        agent = await agent_info(conn, served_by, settings)
        if agent is not None:
            config["agent"] = agent
    return config
