"""When the business's people answer chats: the tenant's `handoff.team_hours`.

Team hours default to the business hours; dated exceptions (holidays) apply to both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nodes.tenants import OpenStatus, TenantProfile, open_status


def team_profile(profile: TenantProfile) -> TenantProfile:
    """The profile with the team's hours in place of the shop's."""
    hours = profile.handoff.team_hours
    return profile if hours is None else profile.model_copy(update={"hours": hours})


def team_status(profile: TenantProfile, now: datetime) -> OpenStatus:
    """Whether someone is on duty at `now`, until when, or when they are back."""
    return open_status(team_profile(profile), now)


def queue_deadline(profile: TenantProfile, now: datetime) -> datetime:
    """When an unclaimed request goes back to the bot: the queue timeout counted from now
    if the team is on duty, else from when it is back (a request made on Saturday night
    waits for Monday morning)."""
    wait = timedelta(minutes=profile.handoff.queue_timeout_minutes)
    status = team_status(profile, now)
    if status.is_open or status.opens_at is None:
        return now + wait
    return status.opens_at + wait


def idle_deadline(profile: TenantProfile, now: datetime) -> datetime:
    """When a claimed chat with no message from either side goes back to the bot."""
    return now + timedelta(minutes=profile.handoff.idle_timeout_minutes)
