"""Counters of the sender, kept in Redis so every worker adds to the same numbers.

One hash, `metrics:whatsapp:send`, with fields such as `sent`, `failed`, `retried`,
`rate_limited`, `error:131047` and `alert:190`. `read_send_metrics` returns it and
`sending_health` is the `sending` entry of `/readyz`. `raise_alert` is for errors an
operator must fix (bad token, restricted account): it logs `whatsapp.alert` at error
level, counts it and keeps the last alert under `metrics:whatsapp:last_alert`.
"""

from __future__ import annotations

import json
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from server import metrics as prometheus
from server.logging import get_logger
from server.whatsapp.errors import SendError

log = get_logger(__name__)

METRICS_KEY = "metrics:whatsapp:send"
LAST_ALERT_KEY = "metrics:whatsapp:last_alert"


async def count(redis: aioredis.Redis, *fields: str) -> None:
    """Add one to each counter (and to the Prometheus ones, see `server.metrics`)."""
    for field in fields:
        kind, _, code = field.partition(":")
        if kind == "error":
            prometheus.record_send_error(code)
        elif not code:
            prometheus.record_send(kind)
    async with redis.pipeline(transaction=False) as pipe:
        for field in fields:
            pipe.hincrby(METRICS_KEY, field, 1)
        await pipe.execute()


async def raise_alert(
    redis: aioredis.Redis, error: SendError, *, phone_number_id: str | None = None
) -> None:
    """An operator must act (e.g. renew the access token): log, count, remember."""
    log.error(
        "whatsapp.alert",
        code=error.code,
        error=type(error).__name__,
        title=error.title,
        phone_number_id=phone_number_id,
    )
    alert = {"code": error.code, "error": type(error).__name__, "title": error.title}
    await count(redis, f"alert:{error.code}")
    await redis.set(LAST_ALERT_KEY, json.dumps(alert | {"at": round(time.time(), 3)}))


async def read_send_metrics(redis: aioredis.Redis) -> dict[str, object]:
    """The counters and the last alert, for `/readyz`."""
    raw = await redis.hgetall(METRICS_KEY)
    counters = {_text(key): int(value) for key, value in raw.items()}
    last = await redis.get(LAST_ALERT_KEY)
    return {"counters": counters, "last_alert": json.loads(last) if last else None}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def sending_health(redis: aioredis.Redis, *, enabled: bool) -> dict[str, object]:
    """The `sending` entry of `/readyz`: mode, counters, last alert (never raises)."""
    report: dict[str, object] = {"status": "ok", "mode": "send" if enabled else "log_only"}
    try:
        report |= await read_send_metrics(redis)
    except (RedisError, OSError) as exc:  # Redis is down: its own entry says so
        report |= {"status": "error", "error": type(exc).__name__}
    return report
