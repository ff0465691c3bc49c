"""The Redis checkpointer of the conversation graph: TTL, bounded history, fenced commits.

`redis_checkpointer()` yields a :class:`FencedRedisSaver`, an `AsyncRedisSaver`
(langgraph-checkpoint-redis 0.5.2) with these changes:

- **Fenced commits**: when the run's config carries a :class:`CommitFence`, one Lua script
  (`graph.checkpoint_scripts.COMMIT`, one round trip) checks that the session lock still
  holds the run's token and that the committed version has not moved, and only then
  stores the checkpoint document, moves the `checkpoint_latest` pointer and the version
  hash, sets the `turn:processed` marker, deletes the in-flight claim and the checkpoints
  past `keep_last`, and (for the last turn of a lock hold) releases the lock. A writer
  whose lock expired (another worker took the session over) gets `StaleStateError`, and
  nothing of its checkpoint is ever written (the document is written by the same script,
  so it can never point at a document another server has). With `commit_replicas`, the
  commit counts only once that many replicas have it (`WAIT`; else
  `CommitNotReplicated`, transient).
- **Packed documents**: a fenced checkpoint is the library's JSON document with the
  checkpoint itself as one JSON string (a RedisJSON tree costs about twice the memory)
  and only the `carried_channels` in it (the graph resets the others every turn).
  Reads accept both this and the library's own format.
- **Reads in one round trip** (a script: pointer, then document), none when the fence
  carries the document the controller read under the lock. No TTL refresh on read:
  every commit rewrites the session's keys with a fresh 24 h TTL.
- **Retention by key list**: the version hash lists the kept checkpoints; the commit
  deletes those past `keep_last` (1 by default), no index search per turn.
  An unfenced `aput` (Studio, tests) keeps the library's path and `aprune`.

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
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
)
from langgraph.checkpoint.redis.aio import AsyncRedisSaver
from langgraph.checkpoint.redis.util import (
    from_storage_safe_id,
    from_storage_safe_str,
    to_storage_safe_id,
    to_storage_safe_str,
)
from pydantic import TypeAdapter
from redis.asyncio import Redis as AsyncRedis
from redisvl.query import FilterQuery
from redisvl.query.filter import Tag

from graph import checkpoint_scripts as scripts
from graph.messages import OutboundMessage
from graph.session.errors import CommitNotReplicated, StaleStateError

log = logging.getLogger(__name__)

FENCE_CONFIG_KEY = "session_fence"
"""`config["configurable"][FENCE_CONFIG_KEY]` holds the run's :class:`CommitFence`."""
DEFAULT_TTL_MINUTES = 24 * 60
DEFAULT_KEEP_LAST = 1
DEFAULT_RECENT_TURNS = 16
"""Message ids of committed turns remembered in the version hash (see `checkpoint_scripts`)."""
MAX_REFUSED_REMEMBERED = 256
DEFAULT_COMMIT_WAIT_MS = 2000


@dataclass(frozen=True)
class Prefetched:
    """The checkpoint document read together with the fence (None: the session has none)."""

    document: bytes | str | None


@dataclass
class CommitReceipt:
    """What the commit did, filled in by the saver for the run that holds the fence."""

    committed: bool = False
    lock_released: bool = False


@dataclass(frozen=True)
class CommitFence:
    """What a run may commit over: the lock it holds and the version it started from."""

    lock_key: str
    lock_token: str
    version_key: str
    """`session:{tenant}:{wa_id}`: a hash {version, checkpoint, kept, recent} moved only by
    the commit (see `graph.checkpoint_scripts`)."""
    expected_version: int | None
    """The committed version read under the lock (None: the session has none yet)."""
    baseline_version: int = 0
    """The session version the turn started from (0 for a new session)."""
    processed_key: str | None = None
    """Set atomically with the commit when the turn advanced past `baseline_version`
    (a failed run is checkpointed too, but leaves the version where it was)."""
    processed_ttl_ms: int = 7 * 24 * 3600 * 1000
    msg_id: str | None = None
    """Remembered in the version hash's `recent` list by a commit that advanced."""
    merged_ids: tuple[str, ...] = ()
    """A burst's other messages answered by the same turn: remembered with `msg_id`."""
    claim_key: str | None = None
    """`orchestrated:{msg_id}`, deleted by a commit that advanced (the marker says it all)."""
    release_lock: bool = False
    """A commit that advanced also releases the lock (the run's last turn under it)."""
    prefetched: Prefetched | None = None
    """The session's checkpoint as read under the lock: the run's first read uses it
    instead of asking Redis again. None: read it from Redis."""
    receipt: CommitReceipt = field(default_factory=CommitReceipt, compare=False)


def recent_ids(msg_id: str | None, merged_ids: Sequence[str] = ()) -> str:
    """The ids a commit adds to the session's `recent` list, as its scripts take them
    (newline-joined; "" for none, and for an id that itself holds a newline)."""
    ids = [i for i in (msg_id, *merged_ids) if i]
    return "" if any("\n" in i for i in ids) else "\n".join(ids)


def latest_pointer_key(thread_id: str) -> str:
    """`checkpoint_latest:{thread}:__empty__`, the library's pointer to a thread's checkpoint."""
    return f"checkpoint_latest:{to_storage_safe_id(thread_id)}:{to_storage_safe_str('')}"


def session_version_of(checkpoint: Checkpoint) -> int | None:
    """The `version` of the `session` channel in a checkpoint, if it has one."""
    session = checkpoint.get("channel_values", {}).get("session")
    if isinstance(session, dict) and isinstance(session.get("version"), int):
        return int(session["version"])
    version = getattr(session, "version", None)
    return version if isinstance(version, int) else None


def document_session_version(document: bytes | str | None) -> int:
    """The session version in a stored checkpoint document (packed or library format)."""
    if not document:
        return 0
    data = orjson.loads(document)
    inner = data.get("checkpoint") or {}
    if isinstance(inner, str):
        inner = orjson.loads(inner)
    session = (inner.get("channel_values") or {}).get("session")
    version = session.get("version") if isinstance(session, dict) else None
    return version if isinstance(version, int) else 0


class FencedRedisSaver(AsyncRedisSaver):
    """`AsyncRedisSaver` with packed documents, key-list pruning and lock-fenced commits
    (see module doc)."""

    def __init__(
        self,
        *args: Any,
        keep_last: int = DEFAULT_KEEP_LAST,
        carried_channels: Collection[str] | None = None,
        recent_turns: int = DEFAULT_RECENT_TURNS,
        commit_replicas: int = 0,
        commit_wait_ms: int = DEFAULT_COMMIT_WAIT_MS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if keep_last < 1:
            raise ValueError("keep_last must be >= 1 (the current checkpoint)")
        self.keep_last = keep_last
        self.carried_channels = None if carried_channels is None else frozenset(carried_channels)
        """Channels stored in a fenced checkpoint (None: all). A graph that resets every
        other channel at the start of a turn loses nothing by not storing them."""
        self.recent_turns = recent_turns
        self.commit_replicas = commit_replicas
        """A fenced commit counts only once this many replicas have it (`WAIT`)."""
        self.commit_wait_ms = commit_wait_ms
        self._refused: dict[str, None] = {}
        """Checkpoints the fence refused (newest last, bounded): their writes are skipped."""
        self._scripts: dict[str, Any] = {}

    def _script(self, source: str) -> Any:
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self._redis.register_script(source)
        return script

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        stream_mode: str = "values",
    ) -> RunnableConfig:
        fence = config["configurable"].get(FENCE_CONFIG_KEY)
        if fence is not None:
            return await self._fenced_put(fence, config, checkpoint, metadata)
        next_config = await super().aput(config, checkpoint, metadata, new_versions, stream_mode)
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

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """One round trip (none when the fence carries the document), TTLs left alone:
        every commit rewrites the session's keys with a fresh TTL."""
        conf = config["configurable"]
        thread_id, namespace = conf["thread_id"], conf.get("checkpoint_ns", "")
        checkpoint_id = get_checkpoint_id(config)
        fence = conf.get(FENCE_CONFIG_KEY)
        if isinstance(fence, CommitFence) and fence.prefetched is not None and not checkpoint_id:
            if namespace:
                # A lane subgraph of an "exit" run: LangGraph checkpoints nested graphs only
                # when they fail or are interrupted, under a namespace that names the task
                # of that run, so a new turn never finds one there.
                return None
            document = fence.prefetched.document
        else:
            document = await self._read_document(thread_id, namespace, checkpoint_id)
        if not document:
            return None
        data = orjson.loads(document)
        if not isinstance(data.get("checkpoint"), str):
            return await super().aget_tuple(config)  # a document in the library's own format
        return await self._packed_tuple(thread_id, namespace, data)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The thread's checkpoints, newest first: ids from the search index, each read
        like `aget_tuple` (packed or library documents alike)."""
        if config is None:
            raise ValueError("alist needs a config with a thread_id")
        conf = config["configurable"]
        expression = Tag("thread_id") == to_storage_safe_id(conf["thread_id"])
        if "checkpoint_ns" in conf:
            expression &= Tag("checkpoint_ns") == to_storage_safe_str(conf["checkpoint_ns"])
        query = FilterQuery(
            filter_expression=expression,
            return_fields=["checkpoint_ns", "checkpoint_id"],
            num_results=10_000,
            sort_by=("checkpoint_id", "DESC"),
        )
        before_id = get_checkpoint_id(before) if before else None
        found = 0
        for doc in (await self.checkpoints_index.search(query)).docs:
            checkpoint_id = from_storage_safe_id(doc["checkpoint_id"])
            if before_id and checkpoint_id >= before_id:
                continue
            one: RunnableConfig = {
                "configurable": {
                    "thread_id": conf["thread_id"],
                    "checkpoint_ns": from_storage_safe_str(doc["checkpoint_ns"]),
                    "checkpoint_id": checkpoint_id,
                }
            }
            item = await self.aget_tuple(one)
            if item is None or any(item.metadata.get(k) != v for k, v in (filter or {}).items()):
                continue
            yield item
            found += 1
            if limit is not None and found >= limit:
                return

    async def _read_document(
        self, thread_id: str, namespace: str, checkpoint_id: str | None
    ) -> bytes | None:
        if checkpoint_id:
            key = self._make_redis_checkpoint_key_cached(thread_id, namespace, checkpoint_id)
            found = await self._script(scripts.READ)(keys=[key], args=["id"])
        else:
            pointer = self._make_redis_checkpoint_latest_key(thread_id, namespace)
            found = await self._script(scripts.READ)(keys=[pointer], args=["latest"])
        return cast(bytes | None, found)

    async def _packed_tuple(
        self, thread_id: str, namespace: str, data: dict[str, Any]
    ) -> CheckpointTuple:
        inner = orjson.loads(data["checkpoint"])
        channel_values = self._recursive_deserialize(inner.get("channel_values") or {})
        checkpoint = self._load_checkpoint(inner, channel_values, [])
        checkpoint_id = from_storage_safe_id(data["checkpoint_id"])
        parent_id = from_storage_safe_id(data.get("parent_checkpoint_id") or "")
        metadata = orjson.loads(data.get("metadata") or "{}")
        writes = []
        if data.get("has_writes") in (True, "true", "True"):  # a failed run's pending writes
            writes = await self._aload_pending_writes(thread_id, namespace, checkpoint_id)

        def config_of(checkpoint_id: str) -> RunnableConfig:
            conf = {"thread_id": thread_id, "checkpoint_ns": namespace}
            return {"configurable": {**conf, "checkpoint_id": checkpoint_id}}

        return CheckpointTuple(
            config=config_of(checkpoint_id),
            checkpoint=checkpoint,
            metadata=cast(CheckpointMetadata, metadata),
            parent_config=config_of(parent_id) if parent_id else None,
            pending_writes=writes,
        )

    async def _commit(self, keys: list[str], args: list[Any]) -> Any:
        """The commit script; with `commit_replicas`, then `WAIT` on the same connection (a
        pipeline): the commit counts only once that many replicas have it. A primary that
        fails over before then may lose it, so the turn must not be answered:
        `CommitNotReplicated` (transient) makes the job run it again, and the retry finds it
        committed (a duplicate with its replies) or, if the commit was lost, runs it on the
        new primary."""
        script = self._script(scripts.COMMIT)
        if self.commit_replicas <= 0:
            return await script(keys=keys, args=args)
        async with self._redis.pipeline(transaction=False) as pipe:
            await script(keys=keys, args=args, client=pipe)
            pipe.execute_command("WAIT", self.commit_replicas, self.commit_wait_ms)
            result, replicas = await pipe.execute()
        if _text(cast(list[Any], result)[0]) == "ok" and int(replicas) < self.commit_replicas:
            raise CommitNotReplicated(
                f"commit reached {int(replicas)} of {self.commit_replicas} replicas within"
                f" {self.commit_wait_ms} ms: not counted as committed (the turn is retried)"
            )
        return result

    def _ttl_ms(self) -> int:
        minutes = (self.ttl_config or {}).get("default_ttl", DEFAULT_TTL_MINUTES)
        return int(float(minutes) * 60_000)

    def _document(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata
    ) -> tuple[str, dict[str, Any], RunnableConfig]:
        """The library's document, with the checkpoint packed into one JSON string.

        The indexed fields stay top-level, so the library's search, pending writes and
        pruning work unchanged; only the checkpoint itself is one string instead of a tree
        of RedisJSON nodes (about half the memory), and only the carried channels are in it.
        """
        conf = config["configurable"]
        thread_id, checkpoint_ns = conf["thread_id"], conf.get("checkpoint_ns", "")
        parent_id = conf.get("checkpoint_id")
        checkpoint_id = checkpoint["id"]
        run_id = conf.get("run_id", metadata.get("run_id"))
        stored = checkpoint.copy()
        if self.carried_channels is not None:
            values = checkpoint.get("channel_values", {})
            stored["channel_values"] = {
                k: v for k, v in values.items() if k in self.carried_channels
            }
        data: dict[str, Any] = {
            "thread_id": to_storage_safe_id(thread_id),
            "run_id": to_storage_safe_id(run_id) if run_id else "",
            "checkpoint_ns": to_storage_safe_str(checkpoint_ns),
            "checkpoint_id": to_storage_safe_id(checkpoint_id),
            "parent_checkpoint_id": (
                to_storage_safe_id(parent_id) if parent_id and parent_id != checkpoint_id else ""
            ),
            "checkpoint_ts": time.time() * 1000,
            "checkpoint": orjson.dumps(self._dump_checkpoint(stored)).decode(),
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
        """Store the document and commit it in one script (see `graph.checkpoint_scripts`)."""
        key, data, next_config = self._document(config, checkpoint, metadata)
        conf = config["configurable"]
        pointer = self._make_redis_checkpoint_latest_key(
            conf["thread_id"], conf.get("checkpoint_ns", "")
        )
        new_version = session_version_of(checkpoint)
        expected = "" if fence.expected_version is None else str(fence.expected_version)
        version = expected if new_version is None else str(new_version)
        marking = fence.processed_key is not None and new_version is not None
        msg_id = recent_ids(fence.msg_id, fence.merged_ids)
        result = await self._commit(
            keys=[
                *(fence.lock_key, fence.version_key, pointer),
                *(fence.processed_key or pointer, key),
                *([fence.claim_key] if fence.claim_key else []),
            ],
            args=[
                *(fence.lock_token, expected, version or "0", orjson.dumps(data)),
                *(self._ttl_ms(), fence.processed_ttl_ms if marking else ""),
                *(processed_marker(checkpoint), fence.baseline_version, self.keep_last),
                *(msg_id, self.recent_turns),
                "1" if fence.release_lock else "",
            ],
        )
        outcome, current, released = (_text(item) for item in cast(list[Any], result))
        if outcome == "ok":
            fence.receipt.committed = True
            fence.receipt.lock_released = released == "1"
            return next_config
        self._refused[checkpoint["id"]] = None
        while len(self._refused) > MAX_REFUSED_REMEMBERED:
            self._refused.pop(next(iter(self._refused)))
        raise _conflict(outcome, current, fence, new_version)


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
    carried_channels: Collection[str] | None = None,
    commit_replicas: int = 0,
    commit_wait_ms: int = DEFAULT_COMMIT_WAIT_MS,
) -> AsyncIterator[FencedRedisSaver]:
    """Open the session saver: TTL `ttl_minutes`, `keep_last` versions, only
    `carried_channels` stored by fenced commits (None: every channel), on a client of its
    own for `redis_url` or on `client` (the caller's, left open: e.g. a Sentinel-managed
    one). `refresh_on_read` applies to documents in the library's own format;
    `commit_replicas` > 0 makes a commit wait for that many replicas."""
    ttl = {"default_ttl": ttl_minutes, "refresh_on_read": refresh_on_read}
    if client is None and redis_url is None:
        raise ValueError("redis_checkpointer needs a redis_url or a client")
    own = AsyncRedis.from_url(redis_url) if client is None and redis_url else None
    try:
        saver = FencedRedisSaver(
            redis_client=own or client,
            ttl=ttl,
            keep_last=keep_last,
            carried_channels=carried_channels,
            commit_replicas=commit_replicas,
            commit_wait_ms=commit_wait_ms,
        )
        async with saver:
            yield saver
    finally:
        if own is not None:
            await own.aclose()
