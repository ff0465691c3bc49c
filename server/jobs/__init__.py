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

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from arq.connections import ArqRedis
from arq.constants import default_queue_name, expires_extra_ms, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms

from server.jobs.retry import TRANSIENT_ERRORS, describe_error
from server.logging import get_logger

log = get_logger(__name__)

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


async def enqueue_once(
    queue: ArqRedis, function: str, *args: Any, job_id: str, defer_s: float = 0
) -> bool:
    """Enqueue unless a job with this id is queued, running or has a kept result; the job
    runs no sooner than `defer_s` seconds from now."""
    defer = defer_s if defer_s > 0 else None
    return await queue.enqueue_job(function, *args, _job_id=job_id, _defer_by=defer) is not None


async def enqueue_again(queue: ArqRedis, function: str, *args: Any, job_id: str) -> bool:
    """Enqueue unless a job with this id is queued or running; the kept result of a
    finished run (which would make `enqueue_once` a no-op for an hour) is dropped first.
    For recovering work whose last run ended without doing it."""
    if await queue.exists(job_key_prefix + job_id):
        return False
    await queue.delete(result_key_prefix + job_id)
    return await enqueue_once(queue, function, *args, job_id=job_id)


@dataclass(frozen=True)
class JobSpec:
    """One job to enqueue with :func:`enqueue_many`: function name, arguments, job id."""

    function: str
    args: tuple[Any, ...]
    job_id: str


# KEYS: queue, then per job: job key, result key.  ARGV: score, expiry ms, then per job:
# job id, serialized job. Same effect as arq's `enqueue_job` per job (skip one whose job
# or result key exists), in one round trip instead of three per job.
_ENQUEUE_MANY = """
local added = 0
for i = 1, (#KEYS - 1) / 2 do
  local job_key, result_key = KEYS[2 * i], KEYS[2 * i + 1]
  if redis.call('EXISTS', job_key, result_key) == 0 then
    redis.call('PSETEX', job_key, ARGV[2], ARGV[2 * i + 2])
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2 * i + 1])
    added = added + 1
  end
end
return added
"""


async def enqueue_many(client: aioredis.Redis, jobs: Sequence[JobSpec]) -> int:
    """Enqueue each job unless its id is queued, running or has a kept result, in one
    Redis call (a Lua script); how many were enqueued. Jobs run as if `enqueue_once`d."""
    if not jobs:
        return 0
    now = timestamp_ms()
    keys: list[str] = [default_queue_name]
    args: list[Any] = [now, expires_extra_ms]
    for job in jobs:
        keys += [job_key_prefix + job.job_id, result_key_prefix + job.job_id]
        args += [job.job_id, serialize_job(job.function, job.args, {}, None, now)]
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_ENQUEUE_MANY)
    return int(await script(keys=keys, args=args))


_scripts: weakref.WeakKeyDictionary[aioredis.Redis, Any] = weakref.WeakKeyDictionary()
"""The registered script per client (registering hashes the script text)."""


async def enqueue_committed(client: aioredis.Redis, batch: Sequence[Any]) -> None:
    """`GroupCommitter.after_commit` of the webhook: enqueue the jobs of a committed batch
    (`PendingWrite.jobs`) in one call, and log the batch (`webhook.received`: requests,
    messages, statuses, jobs enqueued; a duplicate delivery enqueues nothing). A failure is
    logged, not raised: the items are stored with status `received`, and `recover_pending`
    enqueues them later."""
    jobs = [job for pending in batch for job in pending.jobs]
    enqueued: int | None = None
    try:
        enqueued = await enqueue_many(client, jobs)
    except TRANSIENT_ERRORS as exc:
        log.error("webhook.enqueue_failed", error=describe_error(exc))
    # One line per committed batch, not per POST: under load a line per request (a write to
    # stderr each) cost more CPU than the rest of the request's own work.
    log.info(
        "webhook.received",
        requests=len(batch),
        messages=sum(len(pending.messages) for pending in batch),
        statuses=sum(len(pending.statuses) for pending in batch),
        jobs_enqueued=enqueued,
    )
