"""arq jobs: the work the webhook hands off, and how they are named and enqueued.

Job ids are derived from WhatsApp ids, so a duplicate webhook or a re-run enqueues
nothing new while the first job (or its result, kept an hour) exists:

| job                | args            | id                              |
|--------------------|-----------------|---------------------------------|
| `process_message`  | (wamid)         | `process:{wamid}`               |
| `process_status`   | (wamid)         | `status:{wamid}:{status}`       |
| `orchestrate_turn` | (wamid)         | `orchestrate:{wamid}`           |
| `send_message`     | (outbound_id)   | `send:{idempotency_key}`        |

Past that hour the store's own idempotency (unique wamid, row states) makes a re-run a
no-op. Functions are registered in `server.worker.JOB_FUNCTIONS`.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from arq.connections import ArqRedis

PROCESS_MESSAGE = "process_message"
PROCESS_STATUS = "process_status"
ORCHESTRATE_TURN = "orchestrate_turn"
SEND_MESSAGE = "send_message"


def process_job_id(wamid: str) -> str:
    return f"process:{wamid}"


def status_job_id(wamid: str, status: str) -> str:
    return f"status:{wamid}:{status}"


def orchestrate_job_id(wamid: str) -> str:
    return f"orchestrate:{wamid}"


def send_job_id(idempotency_key: str) -> str:
    return f"send:{idempotency_key}"


def job_queue(client: aioredis.Redis) -> ArqRedis:
    """An arq queue handle sharing `client`'s connection pool (no extra connections)."""
    return ArqRedis(pool_or_conn=client.connection_pool)


def queue_from_ctx(ctx: dict[str, Any]) -> ArqRedis:
    """Inside a job: the worker's own queue connection."""
    queue: ArqRedis = ctx["redis"]
    return queue


async def enqueue_once(queue: ArqRedis, function: str, *args: Any, job_id: str) -> bool:
    """Enqueue unless a job with this id is queued, running or has a kept result."""
    return await queue.enqueue_job(function, *args, _job_id=job_id) is not None
