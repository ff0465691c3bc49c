"""Pieces shared by messages and statuses: which business number, and error objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.whatsapp._fields import integer, obj, objects, string


@dataclass(frozen=True, slots=True)
class Metadata:
    """Which business number the update is for: `phone_number_id` is the tenant id."""

    phone_number_id: str
    display_phone_number: str | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Metadata:
        return cls(
            phone_number_id=string(data.get("phone_number_id")) or "",
            display_phone_number=string(data.get("display_phone_number")),
        )


@dataclass(frozen=True, slots=True)
class WhatsAppError:
    """An error object, at value, message or status level."""

    code: int | None
    title: str | None
    message: str | None = None
    details: str | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> WhatsAppError:
        return cls(
            code=integer(data.get("code")),
            title=string(data.get("title")),
            message=string(data.get("message")),
            details=string(obj(data.get("error_data")).get("details"))
            or string(data.get("details")),
        )


def errors_from(value: object) -> tuple[WhatsAppError, ...]:
    return tuple(WhatsAppError.from_payload(e) for e in objects(value))
