"""Readiness: can this process do its work right now? (`GET /readyz`)

Liveness (`/healthz`) only says the process answers. Readiness checks what a turn
needs, each entry `ok` or an error with its latency:

- `redis`: reachable, *with* the RedisJSON and RediSearch modules the checkpointer needs;
- `session_shards` (with `REDIS_SESSION_URLS`): every session shard answers, with the
  same modules;
- `database`: the message store answers a query;
- checks added by the process's parts through :class:`Readiness` (the in-process
  worker adds `router` and `controller`: the router is trained or loaded and the turn
  controller is built, so the first customer message is answered at once).

`sending` (mode, counters, last alert) is reported beside the checks; it does not decide
readiness.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from server.jobs.retry import describe_error
from server.logging import get_logger
from server.redis_modules import missing_modules
from server.resources import Resources
from server.whatsapp.metrics import sending_health

log = get_logger(__name__)

Check = Callable[[], Awaitable[str | None] | str | None]
"""A readiness check: returns None when ready, else a short reason (may be async)."""


@dataclass
class Readiness:
    """Named checks other parts of the process register (e.g. the worker's controller)."""

    checks: dict[str, Check] = field(default_factory=dict)

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def run(self) -> dict[str, dict[str, Any]]:
        report: dict[str, dict[str, Any]] = {}
        for name, check in self.checks.items():
            try:
                outcome = check()
                reason = await outcome if isinstance(outcome, Awaitable) else outcome
            except Exception as exc:  # a failing check is a reason, never a 500
                log.warning("readiness.check_failed", check=name, error=describe_error(exc))
                reason = type(exc).__name__
            entry = {"status": "ok"} if reason is None else {"status": "waiting", "reason": reason}
            report[name] = entry
        return report


def _failed(check: str, exc: BaseException) -> dict[str, Any]:
    """The check's entry names the error class only: an error's text can hold hosts, paths
    or SQL, which an unauthenticated endpoint must not show. The details go to the log."""
    log.warning("readiness.check_failed", check=check, error=describe_error(exc))
    return {"status": "error", "error": type(exc).__name__}


async def _redis(resources: Resources) -> dict[str, Any]:
    try:
        await resources.redis.ping()
        missing = await missing_modules(resources.redis)
    except Exception as exc:  # reported, never raised: this is the readiness check
        return _failed("redis", exc)
    if missing:
        return {"status": "error", "error": f"missing modules: {', '.join(missing)}"}
    return {"status": "ok"}


async def _session_shards(resources: Resources) -> dict[str, Any]:
    """Each session shard (`REDIS_SESSION_URLS`) answers and has the modules; an error
    names the shard by its position in the list (its address may hold a password)."""
    for position, shard in enumerate(resources.session_shards):
        try:
            await shard.ping()
            missing = await missing_modules(shard)
        except Exception as exc:  # reported, never raised
            entry = _failed("session_shards", exc)
            entry["error"] = f"shard {position}: {entry['error']}"
            return entry
        if missing:
            return {"status": "error", "error": f"shard {position}: missing modules: "
                    f"{', '.join(missing)}"}  # fmt: skip
    return {"status": "ok", "shards": len(resources.session_shards)}


async def _database(resources: Resources) -> dict[str, Any]:
    try:
        async with resources.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # reported, never raised
        return _failed("database", exc)
    return {"status": "ok", "dialect": resources.engine.dialect.name}


async def _timed(probe: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    started = time.perf_counter()
    entry = await probe()
    entry["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return entry


async def check_readiness(
    resources: Resources, readiness: Readiness | None = None
) -> dict[str, Any]:
    """`{"status": "ready" | "not_ready", "checks": {...}, "sending": {...}}`."""
    checks: dict[str, dict[str, Any]] = {
        "redis": await _timed(lambda: _redis(resources)),
        "database": await _timed(lambda: _database(resources)),
    }
    if resources.session_shards:
        checks["session_shards"] = await _timed(lambda: _session_shards(resources))
    if readiness is not None:
        checks |= await readiness.run()
    ready = all(entry["status"] == "ok" for entry in checks.values())
    sending = await sending_health(resources.redis, enabled=resources.settings.sending_enabled)
    return {"status": "ready" if ready else "not_ready", "checks": checks, "sending": sending}
