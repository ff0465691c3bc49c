"""Per-tenant business profiles: one YAML file per tenant in a folder.

A profile is found by its `tenant_id` or one of its `phone_number_ids` (WhatsApp's
`phone_number_id` is the graph's tenant id); an unknown id falls back to the profile marked
`default: true`, so a new number answers with the demo profile instead of failing.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph.session.contract import Language
from nodes.tenants.commerce import CommerceSettings

DEFAULT_TENANTS_DIR = Path(__file__).resolve().parent / "data"
Weekday = str
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_BURST_WINDOW_MS = 10_000
"""A longer wait before every answer reads as a bot that does not answer."""


class TenantsError(Exception):
    """Tenant data is missing or invalid (permanent: fix the YAML)."""


Localized = dict[Language, str]
Interval = tuple[str, str]
"""("09:00", "19:00"); a close time at or before the open time runs past midnight."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HoursException(_Model):
    date: date
    hours: list[Interval] = Field(default_factory=list)
    """Empty: closed all day."""
    note: Localized = Field(default_factory=dict)


class Location(_Model):
    name: str
    address: str
    maps_url: str | None = None


def require_english(value: Localized) -> Localized:
    """English is the fallback of every localized text, so it must be there."""
    if not value.get("en"):
        raise ValueError("needs an English ('en') text: it is the fallback for other languages")
    return value


class Faq(_Model):
    id: str
    keywords: list[str]
    answer: Localized

    _answer_has_english = field_validator("answer")(require_english)


class ReplyTemplate(_Model):
    """An approved WhatsApp template an agent may send once the 24-hour window has closed."""

    name: str = Field(min_length=1)
    language: str = "en_US"
    parameters: int = Field(default=0, ge=0)
    """How many body placeholders ({{1}}, {{2}}, ...) the agent fills in."""


class HandoffProfile(_Model):
    """How the people of the business take over a conversation (all optional)."""

    team_hours: dict[Weekday, list[Interval]] | None = None
    """When people answer chats; None: the business hours (with their exceptions)."""
    queue_timeout_minutes: int = Field(default=30, ge=1)
    """A request nobody claims within this many minutes of team time goes back to the bot."""
    idle_timeout_minutes: int = Field(default=60, ge=1)
    """A claimed chat with no message from either side this long goes back to the bot."""
    webhook_url: str | None = None
    """Where to POST the signed `handoff.requested` event (secret: HANDOFF_WEBHOOK_SECRET)."""
    templates: list[ReplyTemplate] = Field(default_factory=list)
    """Templates agents may send when the customer's 24-hour window has closed."""
    chatwoot_inbox_id: int | None = None
    """The Chatwoot API-channel inbox of this business (else CHATWOOT_INBOX_ID)."""


class TenantProfile(_Model):
    tenant_id: str
    name: str
    default: bool = False
    phone_number_ids: list[str] = Field(default_factory=list)
    timezone: str
    catalog: str | None = None
    """File name of the catalog, next to the profile."""
    hours: dict[Weekday, list[Interval]]
    exceptions: list[HoursException] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    faqs: list[Faq] = Field(default_factory=list)
    commerce: CommerceSettings = Field(default_factory=CommerceSettings)
    """Selling settings: currency/locale, fulfilment, payment methods, templates."""
    handoff: HandoffProfile = Field(default_factory=HandoffProfile)
    """Human handoff: team hours, timeouts, notification URL, reply templates."""
    burst_window_ms: int = 0
    """Text messages of one customer that arrive within this many milliseconds of each
    other are answered as one turn (their texts joined in order); every text turn then
    waits this long for a follow-up before it runs. 0: off, each message is its own turn."""
    source_dir: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except ZoneInfoNotFoundError as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("burst_window_ms", mode="before")
    @classmethod
    def _window_in_range(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"burst_window_ms must be a whole number of milliseconds, got {value!r}"
            )
        if not 0 <= value <= MAX_BURST_WINDOW_MS:
            raise ValueError(
                f"burst_window_ms must be between 0 (off) and {MAX_BURST_WINDOW_MS}"
                f" milliseconds, got {value}"
            )
        return value

    @model_validator(mode="after")
    def _pickup_locations_exist(self) -> TenantProfile:
        names = {location.name for location in self.locations}
        unknown = [name for name in self.commerce.fulfilment.pickup.locations if name not in names]
        if unknown:
            raise ValueError(f"commerce pickup locations not in `locations`: {', '.join(unknown)}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=16)
def _profiles(folder: Path) -> tuple[TenantProfile, ...]:
    profiles = []
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or "hours" not in raw:
            continue  # a catalog or another data file
        try:
            profiles.append(TenantProfile.model_validate({**raw, "source_dir": folder}))
        except ValidationError as exc:
            raise TenantsError(f"{path}: {exc}") from exc
    if not profiles:
        raise TenantsError(f"no tenant profiles in {folder}")
    return tuple(profiles)


@lru_cache(maxsize=16)
def _resolved(folder: Path) -> Path:
    """An absolute folder resolved once: a turn looks its tenant up several times, and
    resolving walks the path with a system call per part each time."""
    return folder.resolve()


def load_profiles(tenants_dir: str | Path | None = None) -> tuple[TenantProfile, ...]:
    """Every profile of the folder (read once per process, then cached)."""
    folder = Path(tenants_dir) if tenants_dir else DEFAULT_TENANTS_DIR
    # A relative folder depends on the working directory: resolved on every call.
    return _profiles(_resolved(folder) if folder.is_absolute() else folder.resolve())


def load_profile(tenant_id: str, tenants_dir: str | Path | None = None) -> TenantProfile:
    """The profile of `tenant_id` (id or phone_number_id), else the default profile."""
    profiles = load_profiles(tenants_dir)
    for profile in profiles:
        if tenant_id == profile.tenant_id or tenant_id in profile.phone_number_ids:
            return profile
    return next((p for p in profiles if p.default), profiles[0])
