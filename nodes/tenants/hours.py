"""Opening hours in the tenant's own timezone: open now? until when? when next?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from nodes.tenants.profile import WEEKDAYS, Interval, TenantProfile


@dataclass(frozen=True)
class OpenStatus:
    is_open: bool
    local_now: datetime
    closes_at: datetime | None = None
    """When open: the end of the current interval (local time)."""
    opens_at: datetime | None = None
    """When closed: the start of the next interval within a week (local time)."""


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def intervals_on(profile: TenantProfile, day: date) -> list[Interval]:
    """The day's intervals: an exception for that date wins over the weekly hours."""
    for exception in profile.exceptions:
        if exception.date == day:
            return list(exception.hours)
    return list(profile.hours.get(WEEKDAYS[day.weekday()], []))


def _spans(profile: TenantProfile, day: date) -> list[tuple[datetime, datetime]]:
    spans = []
    for start, end in intervals_on(profile, day):
        opens = datetime.combine(day, _parse(start), profile.zone)
        closes = datetime.combine(day, _parse(end), profile.zone)
        if closes <= opens:  # runs past midnight
            closes += timedelta(days=1)
        spans.append((opens, closes))
    return spans


def open_status(profile: TenantProfile, now: datetime) -> OpenStatus:
    """Whether the business is open at `now` (any timezone-aware datetime)."""
    local = now.astimezone(profile.zone)
    today = local.date()
    for offset in (-1, 0):  # yesterday's interval may run past midnight
        for opens, closes in _spans(profile, today + timedelta(days=offset)):
            if opens <= local < closes:
                return OpenStatus(True, local, closes_at=closes)
    for offset in range(8):
        for opens, _ in sorted(_spans(profile, today + timedelta(days=offset))):
            if opens > local:
                return OpenStatus(False, local, opens_at=opens)
    return OpenStatus(False, local)
