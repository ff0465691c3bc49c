"""Template messages: the only kind WhatsApp lets a business send outside the 24 h window.

Templates are approved in Meta's WhatsApp Manager; here they are referenced by name and
language, with optional parameters for their placeholders. The re-engagement template
(sent when a reply fails with 131047) is chosen per business number from the settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.settings import Settings


class TemplateParameter(BaseModel):
    """A value for one placeholder: `text`, or the `payload` of a quick-reply button."""

    model_config = ConfigDict(frozen=True)

    type: Literal["text", "payload"] = "text"
    text: str | None = None
    payload: str | None = None


class TemplateComponent(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["header", "body", "button"]
    sub_type: Literal["quick_reply", "url"] | None = None
    index: int | None = None
    """Position of the button (buttons only)."""
    parameters: tuple[TemplateParameter, ...] = ()


class TemplateMessage(BaseModel):
    """An approved template, by name and language code (e.g. `en_US`, `pt_BR`)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["template"] = "template"
    name: str = Field(min_length=1)
    language: str = "en_US"
    components: tuple[TemplateComponent, ...] = ()


def reengagement_template(settings: Settings, phone_number_id: str) -> TemplateMessage | None:
    """The template to send when a reply to this number's user fails with 131047, if any."""
    configured = settings.whatsapp_reengagement_templates.get(phone_number_id)
    if configured is not None:
        return TemplateMessage(name=configured.name, language=configured.language)
    if settings.whatsapp_reengagement_template:
        return TemplateMessage(
            name=settings.whatsapp_reengagement_template,
            language=settings.whatsapp_reengagement_template_language,
        )
    return None
