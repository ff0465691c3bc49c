"""Which job failures are retried, and how.

arq re-runs a job only when it raises `arq.worker.Retry` (or when the worker died
mid-job); any other exception fails the job for good. So:

- transient: the connection to Redis or the database dropped or timed out, the session
  lock is held by another turn, or another turn advanced the session first -> `Retry`
  with exponential backoff (1, 2, 4, 8 s, capped at 60 s), at most `MAX_TRIES` runs;
  (errors of other areas can opt in with a class attribute `transient = True`);
- permanent: anything else (a bug, an invalid payload) -> logged and raised, not retried.

A job that must outlast a Redis switch (`orchestrate_turn`: `redis_switch_budget_s`) is
not limited to `MAX_TRIES` while the cause is Redis changing hands: a commit no replica
has confirmed yet (`CommitNotReplicated`), the primary unreachable, read-only, loading, or
refusing writes for want of a replica (`NOREPLICAS`, with `min-replicas-to-write`).
A failover takes seconds (the sentinels notice, elect, promote) and a replica that comes
back resyncs for as long as its data takes; a fixed count of tries would give the turn
up in the middle of that. Such a job is retried every few seconds (backoff capped at
`REDIS_SWITCH_BACKOFF_MAX_S`) until that budget, counted from when the job was enqueued,
runs out; after that it fails like any transient error (and `recover_pending` runs the
turn again later).

An error is classified by its whole cause chain, not only its outer class: libraries wrap
the connection error they met (redisvl raises `RedisVLError("Failed to load data: ...")
from ConnectionError`, SQLAlchemy keeps the driver's error as `.orig`), and a wrapped
connection error is as transient as a bare one. On PostgreSQL, asyncpg's connection class
(SQLSTATE 08, e.g. "connection was closed in the middle of operation"), a server shutting
down or refusing more connections, and any error SQLAlchemy flagged as a disconnect
(`connection_invalidated`) are transient too.

Log lines carry :func:`describe_error`, the class names of that chain (plus the text of
network errors, which hold no customer data): a database error's text can quote a bound
value, i.e. a customer's message.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg.exceptions
import redis.exceptions
import sqlalchemy.exc
from arq.worker import Retry

from graph.session.errors import CommitNotReplicated
from server.logging import get_logger

log = get_logger(__name__)

MAX_TRIES = 5
"""Also arq's default `max_tries`: the run that would exceed it is failed by arq itself."""

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,  # the address now leads to a replica: the primary moved
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)


REDIS_SWITCH_ERRORS: tuple[type[BaseException], ...] = (
    CommitNotReplicated,
    redis.exceptions.ConnectionError,  # also MasterNotFoundError, BusyLoadingError
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
)
"""Redis is changing hands (see module doc): worth waiting for, not counting tries."""

REDIS_SWITCH_BACKOFF_MAX_S = 5.0
"""While Redis switches, a job is tried again at least this often: the turn is answered
within seconds of the replica being back."""


MAX_CHAIN = 8
"""How deep a cause chain is followed (a cycle or a pathological chain stops there)."""


def cause_chain(exc: BaseException) -> list[BaseException]:
    """`exc`, then what it wraps: `__cause__`, an implicit `__context__`, a DB-API `.orig`."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < MAX_CHAIN and current not in chain:
        chain.append(current)
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            current = orig
        elif current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return chain


REDIS_SWITCH_REPLIES = ("NOREPLICAS", "MASTERDOWN")
"""Redis replies (plain `ResponseError`s to redis-py) of a primary with no replica in reach
(`min-replicas-to-write`) or a replica cut off from its primary: Redis is switching."""


def _redis_switch_reply(exc: BaseException) -> bool:
    return isinstance(exc, redis.exceptions.ResponseError) and str(exc).lstrip().startswith(
        REDIS_SWITCH_REPLIES
    )


def _declares_transient(exc: BaseException) -> bool:
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy saw the driver's error as a lost connection
    if _redis_switch_reply(exc):
        return True
    return getattr(exc, "transient", False) is True


def is_transient(exc: BaseException, extra: tuple[type[BaseException], ...] = ()) -> bool:
    """A known transient error, or one that declares itself so (`exc.transient is True`),
    anywhere in the cause chain of `exc`."""
    kinds = (*TRANSIENT_ERRORS, *extra)
    return any(isinstance(link, kinds) or _declares_transient(link) for link in cause_chain(exc))


_SAFE_TEXT: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)


def describe_error(exc: BaseException) -> str:
    """For logs: the cause chain's class names, outer first (`RedisVLError<-ConnectionError`),
    with the text of network errors only (a database error's text may quote a customer's
    message; a connection error's says refused / reset / closed)."""
    parts = []
    for link in cause_chain(exc):
        name = type(link).__name__
        text = str(link)[:200] if isinstance(link, _SAFE_TEXT) else ""
        parts.append(f"{name}: {text}" if text else name)
    return " <- ".join(parts)


def backoff_seconds(job_try: int) -> float:
    return float(min(2 ** max(job_try - 1, 0), 60))


def waits_for_redis(exc: BaseException) -> bool:
    """The error says Redis is switching primaries (see `REDIS_SWITCH_ERRORS`)."""
    return any(
        isinstance(link, REDIS_SWITCH_ERRORS) or _redis_switch_reply(link)
        for link in cause_chain(exc)
    )


def job_age_s(ctx: dict[str, Any]) -> float | None:
    """Seconds since the job was enqueued (arq keeps the time through its retries); None
    when unknown (then only the count of tries applies)."""
    enqueued = ctx.get("enqueue_time")
    if not isinstance(enqueued, datetime):
        return None
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return max((datetime.now(UTC) - enqueued).total_seconds(), 0.0)


@contextlib.asynccontextmanager
async def retry_transient(
    ctx: dict[str, Any],
    event: str,
    extra: tuple[type[BaseException], ...] = (),
    *,
    redis_switch_budget_s: float = 0.0,
    **fields: Any,
) -> AsyncIterator[None]:
    """Turn a transient error into `Retry(defer=backoff)`; after `MAX_TRIES`, re-raise it.
    With `redis_switch_budget_s`, an error of Redis switching primaries, or one of the
    `extra` conflicts (another turn of the session holds its lock or committed first, which
    a switch makes last longer), is retried until the job is that old instead: a turn given
    up while the session's later messages go on would be answered out of order (see module
    doc; the job's arq `max_tries` must allow it)."""
    try:
        yield
    except Retry:
        raise
    except Exception as exc:
        if not is_transient(exc, extra):
            raise
        job_try = int(ctx.get("job_try") or 1)
        error = describe_error(exc)
        age_s = job_age_s(ctx)
        conflict = any(isinstance(link, extra) for link in cause_chain(exc))
        if (
            age_s is not None
            and age_s < redis_switch_budget_s
            and (waits_for_redis(exc) or conflict)
        ):
            defer = min(backoff_seconds(job_try), REDIS_SWITCH_BACKOFF_MAX_S)
            log.warning(
                f"{event}.retry",
                job_try=job_try,
                defer_s=defer,
                error=error,
                waiting_for="redis_switch" if waits_for_redis(exc) else "session",
                waited_s=round(age_s, 1),
                **fields,
            )
            raise Retry(defer=defer) from exc
        if job_try >= MAX_TRIES:
            log.error(f"{event}.gave_up", job_try=job_try, error=error, **fields)
            raise
        defer = backoff_seconds(job_try)
        log.warning(f"{event}.retry", job_try=job_try, defer_s=defer, error=error, **fields)
        raise Retry(defer=defer) from exc
