"""Health checks of the service's dependencies."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from server.resources import Resources
from server.whatsapp.metrics import sending_health


async def check_health(resources: Resources) -> dict[str, Any]:
    """Ping Redis and the database; each entry says `ok` or the error, with its latency."""
    report: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        await resources.redis.ping()
        modules = await resources.redis.execute_command("MODULE", "LIST")
        names = sorted(module[b"name"].decode() for module in modules)
        report["redis"] = {"status": "ok", "modules": names}
    except Exception as exc:  # any failure is reported, never raised: this is the health check
        report["redis"] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    report["redis"]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    started = time.perf_counter()
    try:
        async with resources.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        report["database"] = {"status": "ok", "dialect": resources.engine.dialect.name}
    except Exception as exc:  # reported, never raised
        report["database"] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    report["database"]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    report["sending"] = await sending_health(
        resources.redis, enabled=resources.settings.sending_enabled
    )
    healthy = all(part["status"] == "ok" for part in report.values())
    return {"status": "ok" if healthy else "degraded", **report}
