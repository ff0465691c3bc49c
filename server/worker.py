"""The arq job worker. Job functions are registered in `JOB_FUNCTIONS`."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Worker

from server.jobs.handoff import expire_handoffs
from server.jobs.orchestrate import close_controller, orchestrate_turn, warm_up
from server.jobs.process import process_message, process_status, recover_pending
from server.jobs.send import SEND_MESSAGE_JOB, close_client, recover_outbox
from server.resources import Resources
from server.support.notify import NOTIFY_HANDOFF_JOB

JOB_FUNCTIONS: list[Any] = [
    process_message,
    process_status,
    orchestrate_turn,
    SEND_MESSAGE_JOB,
    NOTIFY_HANDOFF_JOB,
]
"""Coroutine functions `async def job(ctx, ...)`; `ctx["resources"]` is the :class:`Resources`."""

CRON_JOBS: list[Any] = [
    cron(recover_pending, second=30, run_at_startup=True, unique=True),
    cron(recover_outbox, second=45, unique=True),
    cron(expire_handoffs, second=15, unique=True),
]
"""Periodic jobs: `recover_pending` re-enqueues work the webhook stored while Redis was down."""


def build_worker(
    resources: Resources, *, burst: bool = False, handle_signals: bool = True
) -> Worker:
    """A worker on the resources' Redis; `burst=True` drains the queue and returns (tests)."""

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = resources
        await warm_up(ctx)  # the controller, before the first turn (when orchestration is on)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await close_controller(ctx)  # created by warm_up or the first orchestrate_turn
        await close_client(ctx)  # the Graph API client, created by the first send_message

    return Worker(
        functions=JOB_FUNCTIONS,
        cron_jobs=CRON_JOBS,
        on_shutdown=on_shutdown,
        redis_settings=RedisSettings.from_dsn(resources.redis_url),
        on_startup=on_startup,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.1,
    )
