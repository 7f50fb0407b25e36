"""Every table of Parlour, imported here so metadata and migrations see them all."""

from parlour.db.models.conversation import (
    Conversation,
    ConversationColumns,
    ConversationContact,
    ConversationPart,
    ConversationRecord,
    ConversationTag,
    PartRecord,
)
from parlour.db.models.conversation_group import (
    GROUP_ROLLUP,
    ConversationGroup,
    ConversationHour,
)
from parlour.db.models.people import Admin, Contact, ContactTag, Team, TeamMember
from parlour.db.models.sla import SlaPolicy
from parlour.db.models.tag import Tag
from parlour.db.models.webhook import WebhookDelivery, WebhookSubscription
from parlour.db.models.workspace import AccessToken, ServerSetting, Workspace

__all__ = [
    "GROUP_ROLLUP",
    "AccessToken",
    "Admin",
    "Contact",
    "ContactTag",
    "Conversation",
    "ConversationColumns",
    "ConversationContact",
    "ConversationGroup",
    "ConversationHour",
    "ConversationPart",
    "ConversationRecord",
    "ConversationTag",
    "PartRecord",
    "ServerSetting",
    "SlaPolicy",
    "Tag",
    "Team",
    "TeamMember",
    "WebhookDelivery",
    "WebhookSubscription",
    "Workspace",
]
