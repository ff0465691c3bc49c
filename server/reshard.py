"""Sessions follow a change of `REDIS_SESSION_URLS`: moved on first touch, under the lock.

When the shard list changes, some threads hash to another shard than before. With the
list they had before in `REDIS_SESSION_URLS_PREVIOUS`, a turn whose session is not on its
(new) shard moves it from the shard it hashed to under the previous list, once, while the
turn holds the session lock on the new shard (so no other turn of the conversation runs
or moves it meanwhile), before reading it:

- the version hash `session:{tenant}:{wa_id}` (version, kept checkpoints, recent turns),
- the `checkpoint_latest` pointer and every checkpoint document the hash or the pointer
  names (RedisJSON values, copied with `DUMP`/`RESTORE`: byte for byte, with their TTL,
  and indexed by the new shard's search index like any write),
- the `turn:processed` markers of the session's recent turns that still exist (a turn
  committed but whose replies have not reached the outbox yet stays exactly-once).

The version hash is written last, so a move cut short (a crash) is simply redone by the
next turn (`RESTORE ... REPLACE`); then the keys are deleted from the old shard, so a list
changed back later cannot bring back a stale copy. Locks, claims and queues are not moved:
they live seconds. A session that exists on neither shard starts fresh, as always.

Sessions that nobody writes to are not moved; they expire on the old shard (24 h after
their last turn). So keep `REDIS_SESSION_URLS_PREVIOUS` (and the old servers) for 24 h after
the change, then remove it. Change the lists on every process together (stop the workers,
change, start): a process still on the old list would go on using the old shard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from server.logging import get_logger
from server.shards import shard_index

log = get_logger(__name__)

SourceOf = Callable[[str], "aioredis.Redis | None"]
"""thread id -> the Redis its session may still be on (None: not moved by the change)."""


def previous_shards(
    current: Sequence[str], previous: Sequence[str], clients: Mapping[str, aioredis.Redis]
) -> SourceOf | None:
    """Where each thread's session was under the `previous` list of addresses, when that
    is another server than under `current`; `clients` holds one client per address."""
    if not previous or list(previous) == list(current):
        return None

    def source(thread: str) -> aioredis.Redis | None:
        before = previous[shard_index(thread, len(previous))]
        now = current[shard_index(thread, len(current))] if current else None
        return None if before == now else clients[before]

    return source


async def move_session(
    source: aioredis.Redis,
    target: aioredis.Redis,
    *,
    tenant_id: str,
    wa_id: str,
    version_key: str,
    marker_key: Callable[[str], str],
) -> int:
    """Move one session from `source` to `target` (see module doc), the caller holding
    its lock on `target`; how many keys were moved (0: nothing to move)."""
    from graph.checkpointer import latest_pointer_key  # the checkpointer's own key names

    thread = f"{tenant_id}:{wa_id}"
    pointer = latest_pointer_key(thread)
    if await target.exists(version_key, pointer):
        return 0  # already here (moved before, or started here)
    fields: list[Any] = await source.hmget(version_key, "kept", "checkpoint", "recent")  # type: ignore[misc]
    kept, current, recent = (_text(value) for value in fields)
    target_of_pointer = _text(await source.get(pointer))
    documents = {key for key in kept.split("\n") if key} | {
        key for key in (current, target_of_pointer) if key
    }
    markers = [marker_key(msg_id) for msg_id in recent.split("\n") if msg_id]
    # The hash last: its presence on the target says the move is complete.
    keys = [*sorted(documents), *markers, pointer, version_key]
    async with source.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.dump(key)
            pipe.pttl(key)
        dumped = await pipe.execute()
    moved = []
    async with target.pipeline(transaction=False) as pipe:
        for index, key in enumerate(keys):
            value, ttl = dumped[2 * index], dumped[2 * index + 1]
            if value is None or ttl == -2:  # gone (expired, or never written)
                continue
            pipe.restore(key, max(int(ttl), 0), value, replace=True)
            moved.append(key)
        await pipe.execute()
    if moved:
        await source.delete(*moved)
        log.info("session.moved_shard", tenant_id=tenant_id, wa_id=wa_id, keys=len(moved))
    return len(moved)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
