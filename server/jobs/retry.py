"""Which job failures are retried, and how.

arq re-runs a job only when it raises `arq.worker.Retry` (or when the worker died
mid-job); any other exception fails the job for good. So:

- transient: the connection to Redis or the database dropped or timed out, the session
  lock is held by another turn, or another turn advanced the session first -> `Retry`
  with exponential backoff (1, 2, 4, 8 s, capped at 60 s), at most `MAX_TRIES` runs;
  (errors of other areas can opt in with a class attribute `transient = True`);
- permanent: anything else (a bug, an invalid payload) -> logged and raised, not retried.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import redis.exceptions
import sqlalchemy.exc
from arq.worker import Retry

from server.logging import get_logger

log = get_logger(__name__)

MAX_TRIES = 5
"""Also arq's default `max_tries`: the run that would exceed it is failed by arq itself."""

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def is_transient(exc: BaseException, extra: tuple[type[BaseException], ...] = ()) -> bool:
    """A known transient error, or one that declares itself so (`exc.transient is True`)."""
    return isinstance(exc, (*TRANSIENT_ERRORS, *extra)) or getattr(exc, "transient", False) is True


def backoff_seconds(job_try: int) -> float:
    return float(min(2 ** max(job_try - 1, 0), 60))


@contextlib.asynccontextmanager
async def retry_transient(
    ctx: dict[str, Any], event: str, extra: tuple[type[BaseException], ...] = (), **fields: Any
) -> AsyncIterator[None]:
    """Turn a transient error into `Retry(defer=backoff)`; after `MAX_TRIES`, re-raise it."""
    try:
        yield
    except Retry:
        raise
    except Exception as exc:
        if not is_transient(exc, extra):
            raise
        job_try = int(ctx.get("job_try") or 1)
        error = f"{type(exc).__name__}: {exc}"
        if job_try >= MAX_TRIES:
            log.error(f"{event}.gave_up", job_try=job_try, error=error, **fields)
            raise
        defer = backoff_seconds(job_try)
        log.warning(f"{event}.retry", job_try=job_try, defer_s=defer, error=error, **fields)
        raise Retry(defer=defer) from exc
