"""The Redis checkpointer of the conversation graph: TTL, bounded history, fenced commits.

`redis_checkpointer()` yields a :class:`FencedRedisSaver`, an `AsyncRedisSaver`
(langgraph-checkpoint-redis 0.5.2) with three additions:

- **TTL** 24 h on every key it writes, refreshed when the session is read.
- **Retention**: after each commit it prunes the thread to its `keep_last` newest
  checkpoints (`aprune`), so storage and per-turn commands stay flat however long a
  conversation runs, while the last few versions stay inspectable (`aget_state_history`).
- **Fenced commits**: when the run's config carries a :class:`CommitFence`, the new
  checkpoint is first stored under its own key (invisible to readers, who follow the
  `checkpoint_latest` pointer) and then made current by one Lua script that checks the
  session lock token, the committed version and that the document is there, and moves the
  pointer and the version key together. With `commit_replicas`, the commit counts only once
  that many replicas have it (`WAIT`; else `CommitNotReplicated`, transient). A writer
  whose lock expired (another worker took the session over) gets `StaleStateError`; its
  checkpoint is deleted, never published.

Keys written by the library (thread `{tenant}:{wa_id}`, root namespace `__empty__`):
`checkpoint:{thread}:__empty__:{checkpoint_id}` (JSON), `checkpoint_latest:{thread}:__empty__`
(string pointer), and only when a run fails or is interrupted
`checkpoint_write:{thread}:__empty__:{checkpoint_id}:{task_id}:{idx}` (JSON) with its
registry `write_keys_zset:{thread}:__empty__:{checkpoint_id}`. Plus the search indexes
`checkpoint` and `checkpoint_write` (schema, no TTL; not per session).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.redis.aio import AsyncRedisSaver
from langgraph.checkpoint.redis.util import to_storage_safe_id, to_storage_safe_str
from pydantic import TypeAdapter
from redis.asyncio import Redis as AsyncRedis

from graph.messages import OutboundMessage
from graph.session.errors import CommitNotReplicated, StaleStateError

log = logging.getLogger(__name__)

FENCE_CONFIG_KEY = "session_fence"
"""`config["configurable"][FENCE_CONFIG_KEY]` holds the run's :class:`CommitFence`."""
DEFAULT_TTL_MINUTES = 24 * 60
DEFAULT_KEEP_LAST = 5
MAX_REFUSED_REMEMBERED = 256
DEFAULT_COMMIT_WAIT_MS = 2000

# KEYS: lock, version hash, latest pointer, processed marker, checkpoint document
# ARGV: lock token, expected version ("" = none yet), new version, checkpoint key,
#       session ttl ms, processed ttl ms ("" = do not mark), marker value, baseline version
_COMMIT_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  return {'lock_lost', holder and 'another worker' or 'nobody'}
end
local current = redis.call('HGET', KEYS[2], 'version') or ''
if current ~= ARGV[2] then
  return {'stale', current}
end
if current ~= '' and tonumber(ARGV[3]) < tonumber(current) then
  return {'backwards', current}
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'missing', current}
end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('HSET', KEYS[2], 'version', ARGV[3], 'checkpoint', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if ARGV[6] ~= '' and tonumber(ARGV[3]) > tonumber(ARGV[8]) then
  redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[6])
end
return {'ok', current}
"""


@dataclass(frozen=True)
class CommitFence:
    """What a run may commit over: the lock it holds and the version it started from."""

    lock_key: str
    lock_token: str
    version_key: str
    """`session:{tenant}:{wa_id}`: a hash {version, checkpoint} moved only by the commit."""
    expected_version: int | None
    """The committed version read under the lock (None: the session has none yet)."""
    baseline_version: int = 0
    """The session version the turn started from (0 for a new session)."""
    processed_key: str | None = None
    """Set atomically with the commit when the turn advanced past `baseline_version`
    (a failed run is checkpointed too, but leaves the version where it was)."""
    processed_ttl_ms: int = 7 * 24 * 3600 * 1000


def session_version_of(checkpoint: Checkpoint) -> int | None:
    """The `version` of the `session` channel in a checkpoint, if it has one."""
    session = checkpoint.get("channel_values", {}).get("session")
    if isinstance(session, dict) and isinstance(session.get("version"), int):
        return int(session["version"])
    version = getattr(session, "version", None)
    return version if isinstance(version, int) else None


class FencedRedisSaver(AsyncRedisSaver):
    """`AsyncRedisSaver` with bounded history and lock-fenced commits (see module doc)."""

    def __init__(
        self,
        *args: Any,
        keep_last: int = DEFAULT_KEEP_LAST,
        commit_replicas: int = 0,
        commit_wait_ms: int = DEFAULT_COMMIT_WAIT_MS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if keep_last < 1:
            raise ValueError("keep_last must be >= 1 (the current checkpoint)")
        self.keep_last = keep_last
        self.commit_replicas = commit_replicas
        """A fenced commit counts only once this many replicas have it (`WAIT`)."""
        self.commit_wait_ms = commit_wait_ms
        self._refused: dict[str, None] = {}
        """Checkpoints the fence refused (newest last, bounded): their writes are skipped."""
        self._commit_script: Any = None

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        stream_mode: str = "values",
    ) -> RunnableConfig:
        fence = config["configurable"].get(FENCE_CONFIG_KEY)
        if fence is None:
            next_config = await super().aput(
                config, checkpoint, metadata, new_versions, stream_mode
            )
        else:
            next_config = await self._fenced_put(fence, config, checkpoint, metadata)
        await self.aprune([config["configurable"]["thread_id"]], keep_last=self.keep_last)
        return next_config

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Any,
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Skip the writes of a checkpoint the fence refused: they would be orphans."""
        checkpoint_id = config["configurable"].get("checkpoint_id")
        if checkpoint_id in self._refused:
            del self._refused[checkpoint_id]
            return
        await super().aput_writes(config, writes, task_id, task_path)

    def _ttl_ms(self) -> int:
        minutes = (self.ttl_config or {}).get("default_ttl", DEFAULT_TTL_MINUTES)
        return int(float(minutes) * 60_000)

    def _document(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata
    ) -> tuple[str, dict[str, Any], RunnableConfig]:
        """The checkpoint document exactly as `AsyncRedisSaver.aput` stores it."""
        conf = config["configurable"]
        thread_id, checkpoint_ns = conf["thread_id"], conf.get("checkpoint_ns", "")
        parent_id = conf.get("checkpoint_id")
        checkpoint_id = checkpoint["id"]
        run_id = conf.get("run_id", metadata.get("run_id"))
        data: dict[str, Any] = {
            "thread_id": to_storage_safe_id(thread_id),
            "run_id": to_storage_safe_id(run_id) if run_id else "",
            "checkpoint_ns": to_storage_safe_str(checkpoint_ns),
            "checkpoint_id": to_storage_safe_id(checkpoint_id),
            "parent_checkpoint_id": (
                to_storage_safe_id(parent_id) if parent_id and parent_id != checkpoint_id else ""
            ),
            "checkpoint_ts": time.time() * 1000,
            "checkpoint": self._dump_checkpoint(checkpoint.copy()),
            "metadata": self._dump_metadata(metadata),
            "has_writes": False,
        }
        if "source" in metadata and "step" in metadata:
            data["source"], data["step"] = metadata["source"], metadata["step"]
        key = self._make_redis_checkpoint_key_cached(thread_id, checkpoint_ns, checkpoint_id)
        next_config: RunnableConfig = {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint_id,
            }
        }
        return key, data, next_config

    async def _fenced_put(
        self,
        fence: CommitFence,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
    ) -> RunnableConfig:
        key, data, next_config = self._document(config, checkpoint, metadata)
        ttl_ms = self._ttl_ms()
        await self.checkpoints_index.load([data], keys=[key], ttl=ttl_ms // 1000)
        conf = config["configurable"]
        pointer = self._make_redis_checkpoint_latest_key(
            conf["thread_id"], conf.get("checkpoint_ns", "")
        )
        new_version = session_version_of(checkpoint)
        expected = "" if fence.expected_version is None else str(fence.expected_version)
        outcome, current = await self._run_commit(
            fence, pointer, key, expected, new_version, checkpoint
        )
        if outcome == "ok":
            return next_config
        await self._redis.delete(key)
        self._refused[checkpoint["id"]] = None
        while len(self._refused) > MAX_REFUSED_REMEMBERED:
            self._refused.pop(next(iter(self._refused)))
        raise _conflict(outcome, current, fence, new_version)

    async def _run_commit(
        self,
        fence: CommitFence,
        pointer: str,
        key: str,
        expected: str,
        new_version: int | None,
        checkpoint: Checkpoint,
    ) -> tuple[str, str]:
        if self._commit_script is None:
            self._commit_script = self._redis.register_script(_COMMIT_SCRIPT)
        version = expected if new_version is None else str(new_version)
        marking = fence.processed_key is not None and new_version is not None
        marker_ttl = str(fence.processed_ttl_ms) if marking else ""
        marker = fence.processed_key or pointer
        keys = [fence.lock_key, fence.version_key, pointer, marker, key]
        args = [
            *(fence.lock_token, expected, version or "0", key, self._ttl_ms()),
            *(marker_ttl, processed_marker(checkpoint), fence.baseline_version),
        ]
        if self.commit_replicas <= 0:
            result = await self._commit_script(keys=keys, args=args)
        else:
            result = await self._replicated_commit(keys, args)
        outcome, current = (_text(item) for item in cast(list[Any], result))
        return outcome, current

    async def _replicated_commit(self, keys: list[str], args: list[Any]) -> Any:
        """The commit script, then `WAIT` on the same connection (a pipeline): the commit
        counts only once `commit_replicas` replicas have it. A primary that fails over
        before then may lose it, so the turn must not be answered: `CommitNotReplicated`
        (transient) makes the job run it again, and the retry finds it committed (a
        duplicate with its replies) or, if the commit was lost, runs it on the new primary."""
        async with self._redis.pipeline(transaction=False) as pipe:
            await self._commit_script(keys=keys, args=args, client=pipe)
            pipe.execute_command("WAIT", self.commit_replicas, self.commit_wait_ms)
            result, replicas = await pipe.execute()
        if _text(cast(list[Any], result)[0]) == "ok" and int(replicas) < self.commit_replicas:
            raise CommitNotReplicated(
                f"commit reached {int(replicas)} of {self.commit_replicas} replicas within"
                f" {self.commit_wait_ms} ms: not counted as committed (the turn is retried)"
            )
        return result


_REPLIES = TypeAdapter(list[OutboundMessage])


def processed_marker(checkpoint: Checkpoint) -> str:
    """The value of `turn:processed:{msg_id}`: the turn's replies, as JSON.

    Written in the same atomic step as the commit, so a worker that dies after the commit
    but before the replies reach the outbox loses nothing: a retry replays them.
    """
    replies = checkpoint.get("channel_values", {}).get("outbound") or []
    return _REPLIES.dump_json(_REPLIES.validate_python(replies)).decode()


def read_processed_marker(raw: bytes | str | None) -> list[OutboundMessage] | None:
    """The replies stored by :func:`processed_marker`; None for a missing or legacy marker."""
    if raw is None:
        return None
    try:
        return _REPLIES.validate_json(raw)
    except ValueError:  # "1" from before replies were kept, or a foreign value
        return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _conflict(
    outcome: str, current: str, fence: CommitFence, new_version: int | None
) -> StaleStateError:
    actual = int(current) if current.lstrip("-").isdigit() else None
    reasons = {
        "lock_lost": f"the session lock was lost before commit (now held by {current})",
        "stale": f"the session moved from version {fence.expected_version} to {current or 'none'}",
        "backwards": f"version would go backwards from {current} to {new_version}",
        # The document was written through another connection, to a server that is no
        # longer the primary (a failover in between): never point at a missing document.
        "missing": "the checkpoint document is not on this server",
    }
    message = f"commit refused, nothing written: {reasons.get(outcome, outcome)}"
    log.warning(
        "checkpoint.commit_refused",
        extra={"fields": {"reason": outcome, "expected": fence.expected_version, "actual": actual}},
    )
    return StaleStateError(message, expected=fence.expected_version, actual=actual)


@contextlib.asynccontextmanager
async def redis_checkpointer(
    redis_url: str | None = None,
    *,
    client: AsyncRedis | None = None,
    ttl_minutes: float = DEFAULT_TTL_MINUTES,
    keep_last: int = DEFAULT_KEEP_LAST,
    refresh_on_read: bool = True,
    commit_replicas: int = 0,
    commit_wait_ms: int = DEFAULT_COMMIT_WAIT_MS,
) -> AsyncIterator[FencedRedisSaver]:
    """Open the session saver: TTL `ttl_minutes` (refreshed on read), `keep_last` versions,
    on a client of its own for `redis_url`, or on `client` (the caller's, left open: e.g. a
    Sentinel-managed one); `commit_replicas` > 0 makes a commit wait for that many replicas."""
    ttl = {"default_ttl": ttl_minutes, "refresh_on_read": refresh_on_read}
    if client is None and redis_url is None:
        raise ValueError("redis_checkpointer needs a redis_url or a client")
    own = AsyncRedis.from_url(redis_url) if client is None and redis_url else None
    try:
        saver = FencedRedisSaver(
            redis_client=own or client,
            ttl=ttl,
            keep_last=keep_last,
            commit_replicas=commit_replicas,
            commit_wait_ms=commit_wait_ms,
        )
        async with saver:
            yield saver
    finally:
        if own is not None:
            await own.aclose()
