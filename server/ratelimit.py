"""Send-rate limits shared by every worker, kept in Redis.

WhatsApp refuses messages beyond two rates, and we pace ourselves below both so that its
errors 130429 and 131056 are avoided rather than hit:

- per business number: 80 messages per second by default (`WHATSAPP_MESSAGES_PER_SECOND`);
- per (business number, user) pair: about one message every 6 s, with short bursts
  (`WHATSAPP_PAIR_INTERVAL_SECONDS`, `WHATSAPP_PAIR_BURST`).

Each limit is a token bucket (a hash `{tokens, ts}` in Redis). One Lua script checks both
buckets and takes a token from each only if both have one, so the check is atomic across
processes and machines; it reads the clock from Redis (`TIME`), so workers with skewed
clocks still agree. Both keys share a hash tag (the phone number id) for Redis Cluster.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import redis.asyncio as aioredis

from server.settings import Settings

_ACQUIRE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ttl = tonumber(ARGV[2])
local wait, levels, stamps = 0, {}, {}
for i = 1, #KEYS do
  local rate, cap = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local v = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if not tokens then tokens, ts = cap, now end
  if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate); ts = now end
  levels[i], stamps[i] = tokens, ts
  if tokens < 1 then wait = math.max(wait, math.ceil((1 - tokens) / rate)) end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - 1), 'ts', stamps[i])
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0
"""
"""KEYS: buckets. ARGV: now_ms or '' (Redis TIME), ttl_ms, then (tokens per ms, capacity)
for each key. Returns 0 when a token was taken from every bucket, else the milliseconds
until all of them have one (nothing is taken)."""

_DRAIN = """
local t = redis.call('TIME')
local now = tonumber(ARGV[1]) or (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', KEYS[1], 'tokens', '0', 'ts', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
"""Empty a bucket now (after WhatsApp said we went too fast anyway)."""


@dataclass(frozen=True, slots=True)
class Rate:
    """A token bucket: refills `per_second` tokens each second, holds at most `burst`."""

    per_second: float
    burst: float

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")

    @property
    def per_ms(self) -> float:
        return self.per_second / 1000

    @property
    def refill_ms(self) -> int:
        """Time to refill from empty to full (the key's TTL after that is pointless)."""
        return math.ceil(self.burst / self.per_ms) + 1000


class RateLimited(Exception):
    """No token within the allowed wait; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.3f} s")
        self.retry_after = retry_after


class SendRateLimiter:
    """Admits a message to a user only when both the number's and the pair's bucket allow."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        number: Rate,
        pair: Rate,
        prefix: str = "ratelimit:whatsapp",
    ) -> None:
        self._redis = redis
        self.number = number
        self.pair = pair
        self._prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._drain = redis.register_script(_DRAIN)

    @classmethod
    def from_settings(cls, redis: aioredis.Redis, settings: Settings) -> SendRateLimiter:
        rate = settings.whatsapp_messages_per_second
        return cls(
            redis,
            number=Rate(per_second=rate, burst=max(1.0, rate)),
            pair=Rate(
                per_second=1 / settings.whatsapp_pair_interval_seconds,
                burst=settings.whatsapp_pair_burst,
            ),
        )

    def number_key(self, phone_number_id: str) -> str:
        return f"{self._prefix}:{{{phone_number_id}}}:number"

    def pair_key(self, phone_number_id: str, wa_id: str) -> str:
        return f"{self._prefix}:{{{phone_number_id}}}:pair:{wa_id}"

    async def try_acquire(
        self, phone_number_id: str, wa_id: str, *, now_ms: int | None = None
    ) -> float:
        """Take a token for one message: 0.0 if admitted, else the seconds to wait first."""
        keys = [self.number_key(phone_number_id), self.pair_key(phone_number_id, wa_id)]
        ttl = max(self.number.refill_ms, self.pair.refill_ms)
        args = [
            "" if now_ms is None else now_ms,
            ttl,
            self.number.per_ms,
            self.number.burst,
            self.pair.per_ms,
            self.pair.burst,
        ]
        wait_ms = int(await self._acquire(keys=keys, args=args))
        return wait_ms / 1000

    async def acquire(self, phone_number_id: str, wa_id: str, *, max_wait: float) -> float:
        """Wait (at most `max_wait` seconds in all) for a token; returns the time waited.

        Raises :class:`RateLimited` instead of waiting longer, so a job can defer itself.
        """
        waited = 0.0
        while True:
            wait = await self.try_acquire(phone_number_id, wa_id)
            if wait == 0:
                return waited
            if waited + wait > max_wait:
                raise RateLimited(wait)
            await asyncio.sleep(wait)
            waited += wait

    async def penalize_number(self, phone_number_id: str, *, now_ms: int | None = None) -> None:
        """WhatsApp answered 130429: let this number's bucket refill from empty."""
        await self._drain(
            keys=[self.number_key(phone_number_id)],
            args=["" if now_ms is None else now_ms, self.number.refill_ms],
        )

    async def penalize_pair(
        self, phone_number_id: str, wa_id: str, *, now_ms: int | None = None
    ) -> None:
        """WhatsApp answered 131056: this user gets nothing until the pair bucket refills."""
        await self._drain(
            keys=[self.pair_key(phone_number_id, wa_id)],
            args=["" if now_ms is None else now_ms, self.pair.refill_ms],
        )
