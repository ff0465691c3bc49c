"""The session lock: turns of one conversation run one at a time, in arrival order.

    async with acquire_session_lock(redis, tenant_id, wa_id) as lock:
        ...  # lock.token fences the commit; lock.lost says the lock expired under us

Keys (per session, all with a TTL):

    session:{tenant}:{wa_id}:lock          the mutex: SET NX PX with a random token (30 s),
                                           extended by a watchdog while the turn runs,
                                           released by compare-and-delete
    session:{tenant}:{wa_id}:lock:queue    waiting turns: zset token -> ticket number
    session:{tenant}:{wa_id}:lock:waiters  hash token -> heartbeat deadline (ms)
    session:{tenant}:{wa_id}:lock:ticket   the ticket counter (INCR)

Uncontended (nobody in line, mutex free) a turn just takes the mutex. Otherwise fairness
works like Rasa's ticket lock: a turn draws a ticket (INCR) and only the turn at
the head of the queue may take the mutex, so turns run in the order they arrived, not in
whichever order they happen to poll. Every poll is a heartbeat; a waiter that stops polling
for `waiter_ttl_ms` (its process died) is dropped from the head, and a holder that dies
simply lets the mutex expire, so a dead turn never blocks the session for long.

Errors: :class:`LockError` (transient: retry the turn later).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions

from server import metrics
from server.logging import get_logger, mask_thread_id

log = get_logger(__name__)

# KEYS: lock, queue, waiters, ticket; ARGV: token, lock ttl ms, waiter ttl ms, keys ttl ms
_ACQUIRE = """
if redis.call('ZCARD', KEYS[2]) == 0 then
  if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, 0, 0} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local joined = 0
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
  joined = 1
end
redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[3]))
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
while head ~= ARGV[1] and tonumber(redis.call('HGET', KEYS[3], head) or '0') < now do
  redis.call('ZREM', KEYS[2], head)
  redis.call('HDEL', KEYS[3], head)
  head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
end
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
if head == ARGV[1] and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {1, 0, joined}
end
return {0, redis.call('ZRANK', KEYS[2], ARGV[1]), joined}
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LockError(Exception):
    """The session lock could not be taken in time; the turn did not run (transient)."""

    transient = True


@dataclass(frozen=True)
class LockConfig:
    ttl_ms: int = 30_000
    """The mutex expires this long after its last extension (a dead holder's bound)."""
    wait_timeout_s: float = 60.0
    """Give up (LockError) after waiting this long behind other turns."""
    waiter_ttl_ms: int = 5_000
    """A waiter that has not polled for this long is presumed dead and skipped."""
    min_poll_s: float = 0.005
    max_poll_s: float = 0.05

    @property
    def extend_every_s(self) -> float:
        return self.ttl_ms / 3000

    @property
    def keys_ttl_ms(self) -> int:
        return self.ttl_ms + self.waiter_ttl_ms + int(self.wait_timeout_s * 1000)


def session_lock_key(tenant_id: str, wa_id: str) -> str:
    return f"session:{tenant_id}:{wa_id}:lock"


def new_lock_token() -> str:
    return secrets.token_hex(16)


class SessionLock:
    """One turn's hold on one session's lock; use :func:`acquire_session_lock`."""

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant_id: str,
        wa_id: str,
        config: LockConfig,
        token: str | None = None,
    ) -> None:
        self.redis = redis
        self.key = session_lock_key(tenant_id, wa_id)
        self.session = f"{tenant_id}:{wa_id}"
        self.token = token or new_lock_token()
        self.config = config
        self.lost = False
        self.waited_s = 0.0
        self._released_elsewhere = False
        self._watchdog: asyncio.Task[None] | None = None
        self._acquire = redis.register_script(_ACQUIRE)
        self._extend = redis.register_script(_EXTEND)
        self._release = redis.register_script(_RELEASE)

    @property
    def _keys(self) -> list[str]:
        return [self.key, f"{self.key}:queue", f"{self.key}:waiters", f"{self.key}:ticket"]

    async def _try(self) -> tuple[bool, int]:
        c = self.config
        args: list[str | int] = [self.token, c.ttl_ms, c.waiter_ttl_ms, c.keys_ttl_ms]
        result = await self._acquire(keys=self._keys, args=args)
        got, position, _joined = result
        return bool(got), int(position)

    async def acquire(self) -> None:
        """Wait for this turn's turn; raise LockError after `wait_timeout_s`."""
        started = time.monotonic()
        got, position = await self._try()
        if not got:
            log.info("session_lock.contended", session=self.session, position=position)
            try:
                await self._wait(started, position)
            except BaseException as exc:
                await self._leave_queue()
                if isinstance(exc, LockError):
                    metrics.record_lock_timeout(time.monotonic() - started)
                raise
            self.waited_s = time.monotonic() - started
            log.info("session_lock.acquired", session=self.session, waited_ms=self._waited_ms())
        metrics.record_lock_acquired(self.waited_s, contended=not got)
        self._watchdog = asyncio.create_task(self._keep_alive())

    def adopt(self) -> None:
        """Hold a mutex already taken with this token (by a script that also did other
        work in the same round trip): start the watchdog, as `acquire` does."""
        metrics.record_lock_acquired(0.0, contended=False)
        self._watchdog = asyncio.create_task(self._keep_alive())

    def released_elsewhere(self) -> None:
        """The mutex was deleted by a script that checked this token (the commit): stop
        extending it, and let `release` not ask Redis again."""
        self._released_elsewhere = True

    async def _wait(self, started: float, position: int) -> None:
        """Poll (a heartbeat too) until at the head and the mutex is free; the head polls fast."""
        poll, got = self.config.min_poll_s, False
        while not got:
            waited = time.monotonic() - started
            if waited >= self.config.wait_timeout_s:
                raise LockError(
                    f"session {mask_thread_id(self.session)} is busy: waited {waited:.1f}s as"
                    f" number {position + 1} in line for its lock; the turn was not run"
                    " (retry it later)"
                )
            await asyncio.sleep(self.config.min_poll_s if position == 0 else poll)
            poll = min(poll * 2, self.config.max_poll_s)
            got, position = await self._try()

    def _waited_ms(self) -> int:
        return int(self.waited_s * 1000)

    async def _leave_queue(self) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(f"{self.key}:queue", self.token)
            pipe.hdel(f"{self.key}:waiters", self.token)
            await pipe.execute()

    async def _keep_alive(self) -> None:
        """Extend the mutex every ttl/3 while the turn runs; note it if it was lost."""
        while True:
            await asyncio.sleep(self.config.extend_every_s)
            try:
                extended = await self._extend(
                    keys=[self.key], args=[self.token, self.config.ttl_ms]
                )
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                # A blip: try again next tick (the commit fence still catches a lost lock).
                log.warning("session_lock.extend_failed", session=self.session, error=repr(exc))
                continue
            if not extended:
                self.lost = True
                log.warning("session_lock.lost", session=self.session)
                return

    async def release(self) -> None:
        """Stop extending and delete the mutex if it is still ours (compare-and-delete)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        if self._released_elsewhere:
            return
        released = await self._release(keys=[self.key], args=[self.token])
        if not released:
            self.lost = True
            log.warning("session_lock.release_not_held", session=self.session)

    async def is_held(self) -> bool:
        value: Any = await self.redis.get(self.key)
        return value is not None and value.decode() == self.token


@contextlib.asynccontextmanager
async def acquire_session_lock(
    redis: aioredis.Redis,
    tenant_id: str,
    wa_id: str,
    *,
    config: LockConfig | None = None,
    taken_with: str | None = None,
) -> AsyncIterator[SessionLock]:
    """Hold the session's lock for the block (FIFO among waiters); released in `finally`.
    `taken_with`: the token of a mutex the caller already took (the block only holds it)."""
    lock = SessionLock(redis, tenant_id, wa_id, config or LockConfig(), token=taken_with)
    if taken_with is None:
        await lock.acquire()
    else:
        lock.adopt()
    try:
        yield lock
    finally:
        await lock.release()
