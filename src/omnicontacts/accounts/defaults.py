"""Rocket.Chat's default roles, permission map and settings, as far as omnicontacts uses them.

Seeded on start when missing; an operator's later changes (permissions.update, settings POST) are
never overwritten by a restart.
"""

from typing import Any

ROLES: dict[str, dict[str, Any]] = {
    "admin": {"name": "admin", "scope": "Users", "description": "Admin", "protected": True},
    "user": {"name": "user", "scope": "Users", "description": "", "protected": True},
    "bot": {"name": "bot", "scope": "Users", "description": "", "protected": True},
    "app": {"name": "app", "scope": "Users", "description": "", "protected": True},
    "guest": {"name": "guest", "scope": "Users", "description": "", "protected": True},
    "anonymous": {"name": "anonymous", "scope": "Users", "description": "", "protected": True},
    "livechat-agent": {
        "name": "livechat-agent",
        "scope": "Users",
        "description": "Livechat Agent",
        "protected": True,
    },
    "livechat-manager": {
        "name": "livechat-manager",
        "scope": "Users",
        "description": "Livechat Manager",
        "protected": True,
    },
    "livechat-monitor": {
        "name": "livechat-monitor",
        "scope": "Users",
        "description": "Livechat Monitor",
        "protected": True,
    },
}

_OMNI_ALL = ["livechat-manager", "livechat-monitor", "livechat-agent", "admin"]
_OMNI_MANAGERS = ["livechat-manager", "livechat-monitor", "admin"]

PERMISSIONS: dict[str, list[str]] = {
    # The contacts family (spec §7).
    "view-l-room": _OMNI_ALL,
    "create-livechat-contact": _OMNI_ALL,
    "update-livechat-contact": _OMNI_ALL,
    "view-livechat-contact": _OMNI_ALL,
    "view-livechat-contact-history": _OMNI_ALL,
    "delete-livechat-contact": ["livechat-manager", "admin"],
    "block-livechat-contact": ["admin", "livechat-manager", "livechat-monitor", "livechat-agent"],
    "unblock-livechat-contact": ["admin", "livechat-manager", "livechat-monitor", "livechat-agent"],
    "view-omnichannel-contact-center": ["livechat-manager", "livechat-agent", "livechat-monitor", "admin"],
    "edit-omnichannel-contact": ["livechat-manager", "livechat-agent", "admin"],
    "view-livechat-room-customfields": _OMNI_ALL,
    "edit-livechat-room-customfields": _OMNI_ALL,
    # Livechat rooms, agents, managers and custom fields.
    "view-livechat-manager": _OMNI_MANAGERS,
    "manage-livechat-agents": _OMNI_MANAGERS,
    "manage-livechat-managers": ["livechat-manager", "admin"],
    "view-livechat-rooms": _OMNI_MANAGERS,
    "close-livechat-room": _OMNI_ALL,
    "close-others-livechat-room": _OMNI_MANAGERS,
    "view-livechat-queue": _OMNI_ALL,
    "transfer-livechat-guest": _OMNI_MANAGERS,
    "take-inquiry-livechat": ["livechat-manager", "livechat-monitor", "livechat-agent", "admin"],
    "view-livechat-departments": _OMNI_MANAGERS,
    "view-livechat-room-closed-by-another-agent": _OMNI_MANAGERS,
    "view-livechat-room-closed-same-department": _OMNI_MANAGERS,
    "edit-livechat-settings": ["livechat-manager", "admin"],
    "view-livechat-analytics": _OMNI_MANAGERS,
    "view-other-user-channels": ["admin"],
    # Accounts and administration.
    "create-user": ["admin"],
    "delete-user": ["admin"],
    "edit-other-user-info": ["admin"],
    "edit-other-user-active-status": ["admin"],
    "view-full-other-user-info": ["admin"],
    "view-user-administration": ["admin"],
    "access-permissions": ["admin"],
    "access-setting-permissions": ["admin"],
    "view-privileged-setting": ["admin"],
    "edit-privileged-setting": ["admin"],
    "manage-selected-settings": ["admin"],
    "view-d-room": ["admin", "user", "bot", "app", "guest"],
    "view-c-room": ["admin", "user", "bot", "app", "anonymous"],
    "view-room-administration": ["admin"],
    "view-statistics": ["admin"],
    "api-bypass-rate-limit": ["admin", "bot", "app"],
    # Messages: sending under another name or picture (chat.sendMessage / chat.postMessage).
    "message-impersonate": ["bot", "app"],
}

# Setting id -> (default value, type). Types follow Rocket.Chat's setting types.
SETTINGS: dict[str, tuple[Any, str]] = {
    "API_Default_Count": (50, "int"),
    "API_Upper_Count_Limit": (100, "int"),
    "API_Allow_Infinite_Count": (True, "boolean"),
    "Site_Name": ("omnicontacts", "string"),
    "Site_Url": ("http://localhost:3000", "string"),
    "Livechat_enabled": (True, "boolean"),
    "Livechat_Routing_Method": ("Auto_Selection", "select"),
    "Livechat_guest_count": (1, "int"),
    "Livechat_Allow_collect_and_store_HTTP_header_informations": (False, "boolean"),
    "Livechat_Require_Contact_Verification": ("never", "select"),
    "Livechat_Contact_Verification_App": ("", "string"),
    "Livechat_request_comment_when_closing_conversation": (False, "boolean"),
    "Livechat_show_agent_info": (True, "boolean"),
    "Livechat_accept_chats_with_no_agents": (False, "boolean"),
    "Livechat_waiting_queue": (False, "boolean"),
    "Livechat_enable_message_character_limit": (False, "boolean"),
    "Livechat_message_character_limit": (0, "int"),
    "Omnichannel_allow_visitors_to_close_conversation": (True, "boolean"),
    "Omnichannel_enable_department_removal": (False, "boolean"),
    "Omnichannel_contact_manager_routing": (True, "boolean"),
    "Resolved_Conflicts_Count": (0, "int"),
    "Merged_Contacts_Count": (0, "int"),
    "Accounts_Default_User_Preferences_language": ("en", "string"),
    "Message_MaxAllowedSize": (5000, "int"),
    "Unread_Count_Omni": ("all_messages", "select"),
    # REST API: cross-origin requests (restapi/cors.py).
    "API_Enable_CORS": (False, "boolean"),
    "API_CORS_Origin": ("*", "string"),
    # New accounts (accounts/policy.py).
    "UTF8_User_Names_Validation": ("[0-9a-zA-Z-_.]+", "string"),
    "Accounts_Password_Policy_Enabled": (False, "boolean"),
    "Accounts_Password_Policy_MinLength": (7, "int"),
    "Accounts_Password_Policy_MaxLength": (-1, "int"),
    "Accounts_Password_Policy_ForbidRepeatingCharacters": (True, "boolean"),
    "Accounts_Password_Policy_ForbidRepeatingCharactersCount": (3, "int"),
    "Accounts_Password_Policy_AtLeastOneLowercase": (True, "boolean"),
    "Accounts_Password_Policy_AtLeastOneUppercase": (True, "boolean"),
    "Accounts_Password_Policy_AtLeastOneNumber": (True, "boolean"),
    "Accounts_Password_Policy_AtLeastOneSpecialCharacter": (True, "boolean"),
}
