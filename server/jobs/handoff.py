"""Jobs of the human handoff: the timeout sweep (cron).

`expire_handoffs` runs every minute: a request nobody claimed in time, or a claimed chat
idle too long (tenant profile `handoff.queue_timeout_minutes` / `idle_timeout_minutes`),
goes back to the bot and the customer is told. Each move is a compare-and-set, so two
workers sweeping at once, or an agent acting at the same moment, move it once.
"""

from __future__ import annotations

from typing import Any

from server.jobs.retry import retry_transient
from server.logging import get_logger
from server.resources import Resources
from server.support import actions

log = get_logger(__name__)


async def expire_handoffs(ctx: dict[str, Any]) -> int:
    resources: Resources = ctx["resources"]
    async with retry_transient(ctx, "expire_handoffs"):
        moved = await actions.expire(resources)
    if moved:
        log.info("expire_handoffs.moved", conversations=moved)
    return moved
