"""The FastAPI application: liveness, readiness, metrics and (see `server.webhook`) the
WhatsApp webhook."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from server.dev import dev_token_path, prepare_dev_token
from server.health import Readiness, check_readiness
from server.logging import configure_logging, get_logger
from server.resources import Resources, open_resources
from server.settings import exit_on_settings_error, get_settings

log = get_logger(__name__)


def get_resources(request: Request) -> Resources:
    return request.app.state.resources  # type: ignore[no-any-return]


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel `task` until it ends: a cancellation can be swallowed by a Redis call the
    worker is in (seen with redis-py 8), which left `convo serve` hanging on Ctrl-C."""
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.5)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app(
    redis_url: str | None = None, *, run_worker: bool = False, public_url: str | None = None
) -> FastAPI:
    """Build the app.

    `redis_url` overrides the settings (the CLI passes the embedded one); `run_worker`
    runs the job worker in the same process (`convo serve`, for development); with
    `public_url` in development, a sign-in link to the agents' inbox is printed.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = get_settings()
        async with open_resources(settings, redis_url=redis_url) as resources:
            app.state.resources = resources
            supervisor = None
            if run_worker:
                from server.worker import WorkerSupervisor, worker_readiness

                supervisor = WorkerSupervisor(resources, handle_signals=False)
                worker_readiness(supervisor, app.state.readiness, settings)
            app.state.dev_token = prepare_dev_token(settings)
            if public_url and settings.environment == "development":
                from server.agents.devlink import dev_inbox_link

                link = await dev_inbox_link(resources, public_url)
                print(f"agent inbox (development, signed in as Ana): {link}", flush=True)
                print(
                    f"development token for /dev/outbox (`convo chat` reads it from "
                    f"{dev_token_path(settings)}): {app.state.dev_token}",
                    flush=True,
                )
            log.info(
                "server.started",
                orchestration=settings.enable_orchestration,
                sending=settings.sending_enabled,
                router_mode=settings.effective_router_mode,
            )
            # Started last: the worker's warm-up (imports and models, in a thread) would
            # share the CPU with the rest of the start-up, and /healthz waits for all of it.
            worker_task = None
            if supervisor is not None:
                worker_task = asyncio.create_task(supervisor.run(), name="arq-worker")
            try:
                yield
            finally:
                if worker_task is not None:
                    await _stop(worker_task)  # the supervisor closes its worker

    docs = get_settings().api_docs_enabled  # off in production unless API_DOCS=true
    app = FastAPI(
        title="convo",
        summary="WhatsApp conversation orchestrator",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.readiness = Readiness()

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Liveness: the process answers. Nothing else is checked (see `/readyz`)."""
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz(request: Request, resources: ResourcesDep) -> JSONResponse:
        """Readiness: Redis with its modules, the store, and (with the in-process worker)
        the router and the turn controller. 503 until all are ready."""
        report: dict[str, Any] = await check_readiness(resources, request.app.state.readiness)
        return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)

    @app.get("/metrics")
    async def prometheus_metrics(resources: ResourcesDep) -> Response:
        """Prometheus text format (see `server.metrics`); no personal data."""
        from server import metrics

        body, content_type = metrics.render(await queue_depth(resources))
        return Response(body, media_type=content_type)

    from server import dev, webhook
    from server.agents import api as agent_api
    from server.agents import inbox, stream
    from server.chatwoot import webhook as chatwoot_webhook
    from server.commerce import admin as commerce_admin
    from server.commerce import webhooks as payment_webhooks

    app.include_router(webhook.router)
    app.include_router(dev.router)
    app.include_router(agent_api.router)
    app.include_router(stream.router)
    app.include_router(inbox.router)
    app.include_router(chatwoot_webhook.router)
    app.include_router(payment_webhooks.router)
    app.include_router(commerce_admin.router)
    return app


async def queue_depth(resources: Resources) -> tuple[int, int] | None:
    """(jobs due now, jobs deferred) in the arq queue; None when Redis does not answer."""
    import time

    from arq.constants import default_queue_name

    now_ms = int(time.time() * 1000)
    try:
        async with resources.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(default_queue_name, "-inf", now_ms)
            pipe.zcount(default_queue_name, f"({now_ms}", "+inf")
            ready, deferred = await pipe.execute()
    except Exception:  # the scrape still shows every other metric
        log.warning("metrics.queue_depth_unavailable")
        return None
    return int(ready), int(deferred)


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory server.app:app_factory`."""
    configure_logging(exit_on_settings_error().log_level)
    return create_app()
