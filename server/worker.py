"""The arq job worker. Job functions are registered in `JOB_FUNCTIONS`."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from server.resources import Resources

JOB_FUNCTIONS: list[Any] = []
"""Coroutine functions `async def job(ctx, ...)`; `ctx["resources"]` is the :class:`Resources`."""


def build_worker(
    resources: Resources, *, burst: bool = False, handle_signals: bool = True
) -> Worker:
    """A worker on the resources' Redis; `burst=True` drains the queue and returns (tests)."""

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = resources

    return Worker(
        functions=JOB_FUNCTIONS,
        redis_settings=RedisSettings.from_dsn(resources.redis_url),
        on_startup=on_startup,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.1,
    )
