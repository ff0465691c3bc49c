"""What the info lane says about the business: open now, hours, one day's hours, locations.

Everything comes from the tenant's YAML profile, in the tenant's timezone, in the
customer's language.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from graph.session.contract import Language
from nodes.i18n import WEEKDAY_NAMES, WEEKDAY_ON, say
from nodes.tenants import TenantProfile, open_status
from nodes.tenants.hours import intervals_on
from nodes.tenants.profile import WEEKDAYS


def zone_name(profile: TenantProfile) -> str:
    return profile.timezone.rsplit("/", 1)[-1].replace("_", " ")


def day_name(day: date, today: date, language: Language) -> str:
    """ "today", "tomorrow" or "on Monday", in `language`."""
    delta = (day - today).days
    if delta == 0:
        return say("open.today", language)
    if delta == 1:
        return say("open.tomorrow", language)
    return WEEKDAY_ON[language][day.weekday()]


def spans_text(spans: list[tuple[str, str]], language: Language) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans) or say("hours.closed", language)


def open_now_text(profile: TenantProfile, now: datetime, language: Language) -> str:
    status = open_status(profile, now)
    zone = zone_name(profile)
    if status.is_open and status.closes_at is not None:
        return say("open.yes", language, time=status.closes_at.strftime("%H:%M"), zone=zone)
    if status.opens_at is None:
        return say("info.unknown", language)
    day = day_name(status.opens_at.date(), status.local_now.date(), language)
    return say("open.no", language, day=day, time=status.opens_at.strftime("%H:%M"), zone=zone)


def hours_text(profile: TenantProfile, now: datetime, language: Language) -> str:
    lines = [say("hours.title", language)]
    for index, key in enumerate(WEEKDAYS):
        shown = spans_text(list(profile.hours.get(key, [])), language)
        lines.append(f"• {WEEKDAY_NAMES[language][index]}: {shown}")
    local_today = now.astimezone(profile.zone).date()
    for exception in profile.exceptions:
        if local_today <= exception.date <= local_today + timedelta(days=30):
            shown = spans_text(intervals_on(profile, exception.date), language)
            note = exception.note.get(language) or exception.note.get("en", "")
            lines.append(f"• {exception.date.isoformat()} ({note}): {shown}")
    return "\n".join(lines)


def day_hours_text(
    profile: TenantProfile,
    day: date,
    now: datetime,
    language: Language,
    *,
    named: bool = False,
    closing: bool = False,
) -> str:
    """One day's hours ("On Sunday we're closed."), with the exception's note if there is one.
    `named`: the customer named the weekday, so "tomorrow" also says which day it is
    ("Tomorrow (Sunday) we're closed."). `closing`: the closing time was asked ("Today we
    close at 19:00.")."""
    today = now.astimezone(profile.zone).date()
    spans = intervals_on(profile, day)
    when = day_name(day, today, language)
    if named and (day - today).days in (0, 1):
        when = f"{when} ({WEEKDAY_NAMES[language][day.weekday()]})"
    exception = next((e for e in profile.exceptions if e.date == day), None)
    note = ""
    if exception is not None:
        note = f" ({exception.note.get(language) or exception.note.get('en', '')})"
    if not spans:
        text = say("hours.day_closed", language, day=when, note=note)
    elif closing:
        text = say("hours.day_closes", language, day=when, time=spans[-1][1], note=note)
    else:
        hours = spans_text(spans, language)
        text = say("hours.day_open", language, day=when, hours=hours, note=note)
    return text[:1].upper() + text[1:]


def locations_text(profile: TenantProfile, language: Language) -> str:
    lines = [say("locations.title", language)]
    for place in profile.locations:
        link = f" {place.maps_url}" if place.maps_url else ""
        lines.append(f"• {place.name}: {place.address}{link}")
    return "\n".join(lines)
