"""The arq job worker. Job functions are registered in `JOB_FUNCTIONS`."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Worker

from server import metrics
from server.chatwoot.status import CHATWOOT_STATUS_JOB
from server.chatwoot.sync import CHATWOOT_SYNC_JOB
from server.health import Readiness
from server.jobs.handoff import expire_handoffs
from server.jobs.orchestrate import close_controller, orchestrate_turn, router_ready, warm_up
from server.jobs.process import process_message, process_status, recover_pending
from server.jobs.send import SEND_MESSAGE_JOB, close_client, recover_outbox
from server.resources import Resources
from server.settings import Settings
from server.support.notify import NOTIFY_HANDOFF_JOB

JOB_FUNCTIONS: list[Any] = [
    process_message,
    process_status,
    orchestrate_turn,
    SEND_MESSAGE_JOB,
    NOTIFY_HANDOFF_JOB,
    CHATWOOT_SYNC_JOB,
    CHATWOOT_STATUS_JOB,
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

    async def on_job_start(ctx: dict[str, Any]) -> None:
        metrics.record_job_run(ctx.get("job_id"), int(ctx.get("job_try") or 1))

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await close_controller(ctx)  # created by warm_up or the first orchestrate_turn
        await close_client(ctx)  # the Graph API client, created by the first send_message

    worker = Worker(
        functions=JOB_FUNCTIONS,
        cron_jobs=CRON_JOBS,
        on_shutdown=on_shutdown,
        redis_settings=RedisSettings.from_dsn(resources.redis_url),
        on_startup=on_startup,
        on_job_start=on_job_start,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.1,
    )
    return worker


def worker_readiness(worker: Worker, readiness: Readiness, settings: Settings) -> None:
    """Add the in-process worker's checks to `/readyz`: `router` (trained or loaded) and
    `controller` (built), when orchestration is on; until then a turn would have to wait."""
    if not settings.enable_orchestration:
        return

    def router() -> str | None:
        return None if router_ready() else "loading the router"

    def controller() -> str | None:
        if worker.ctx.get("controller") is not None:
            return None
        error = worker.ctx.get("controller_error")
        return f"failed: {error}" if error else "building the turn controller"

    readiness.add("router", router)
    readiness.add("controller", controller)
