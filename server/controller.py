"""The turn controller: one inbound message -> at most one committed turn of its session.

    handle_turn(turn)
      turn:processed:{msg_id} exists?        -> "duplicate" (the turn was committed before)
      SET orchestrated:{msg_id} NX            -> taken: "duplicate" (another worker runs it)
      session lock (FIFO, watchdog)           -> LockError if the wait is too long
      HGET session:{tenant}:{wa_id} version   -> the version this turn starts from
      graph.ainvoke(durability="exit")        -> one checkpoint, committed by the fenced
                                                 saver only if the lock is still ours and the
                                                 version has not moved; turn:processed is set
                                                 in the same atomic step
      on failure: DEL orchestrated:{msg_id}   -> a retry of the job can run the turn again

Order: the lock is first come, first served, but jobs reach it in whatever order the
workers (each running several jobs at once) get there. So a caller may pass a
:class:`Backlog`: under the lock, before its own turn, the controller runs the
conversation's earlier messages still waiting (in the order the customer sent them), and
their own jobs later find them committed. Turns therefore follow WhatsApp's timestamps
however the jobs are scheduled. The backlog may also coalesce a burst (texts sent within
the tenant's window) into one turn: `InboundTurn.merged_ids` names the burst's other
messages, and the commit records them all as answered in the same atomic step.

A lock that expired mid-turn (another worker took the session over) ends in
`StaleStateError`, never in a silent overwrite. Errors: `LockError` and `StaleStateError`
are transient (retry the job); anything else comes from the graph.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import redis.asyncio as aioredis
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import TypeAdapter

from graph import checkpoint_scripts as scripts
from graph.checkpointer import (
    DEFAULT_RECENT_TURNS,
    FENCE_CONFIG_KEY,
    CommitFence,
    Prefetched,
    document_session_version,
    latest_pointer_key,
    read_processed_marker,
    recent_ids,
    redis_checkpointer,
)
from graph.messages import InboundTurn, OutboundMessage
from graph.session.errors import CommitNotReplicated, StaleStateError
from graph.understanding import Understanding
from server import metrics
from server.jobs.retry import describe_error, is_transient
from server.locks import (
    LockConfig,
    LockError,
    SessionLock,
    acquire_session_lock,
    new_lock_token,
    session_lock_key,
)
from server.logging import get_logger
from server.shards import shard_index

if TYPE_CHECKING:
    from server.resources import Resources

log = get_logger(__name__)

__all__ = [
    "Backlog",
    "Controller",
    "ControllerConfig",
    "LockError",
    "SessionShard",
    "StaleStateError",
    "TurnResult",
    "committed_ids",
    "create_controller",
    "forget_replies",
    "orchestrated_key",
    "processed_key",
    "read_marker",
    "session_key",
    "turn_committed",
]

WEEK_S = 7 * 24 * 3600


def processed_key(msg_id: str) -> str:
    return f"turn:processed:{msg_id}"


def orchestrated_key(msg_id: str) -> str:
    return f"orchestrated:{msg_id}"


def session_key(tenant_id: str, wa_id: str) -> str:
    """The committed-version hash {version, checkpoint} of a session (the commit fence)."""
    return f"session:{tenant_id}:{wa_id}"


@dataclass(frozen=True)
class ControllerConfig:
    processed_ttl_s: int = WEEK_S
    """Meta retries a webhook for up to 7 days: remember completed turns that long."""
    orchestrated_ttl_s: int = 45
    """The in-flight claim; deleted when a turn fails. Short (not the original 1 h) so a
    turn whose worker crashed is answered on the job's retry, not an hour later: exactly
    once comes from the processed marker, re-checked under the session lock. A dead
    worker's job is free again 30 s after its last heartbeat (`server.worker`); the new
    run then waits at most the rest of this claim."""
    lock: LockConfig = field(default_factory=LockConfig)
    commit_replicas: int = 0
    """With replicas (`REDIS_COMMIT_REPLICAS`): a `turn:processed` marker counts only once
    that many replicas have it, like the commit that wrote it (see `confirm_replicated`)."""
    commit_wait_ms: int = 2000


@dataclass(frozen=True)
class TurnResult:
    status: Literal["completed", "duplicate"]
    lane: str | None
    messages: list[OutboundMessage]
    state_version: int | None
    understanding: Understanding | None
    """What the turn understood of the message (None for a duplicate or a muted turn)."""
    handoffs: tuple[str, ...] = ()
    """Lanes the turn was handed to after the router's choice, in order."""
    committed: bool = False
    """A duplicate whose turn is committed (not one that another run holds right now)."""
    message_ids: tuple[str, ...] = ()
    """A burst answered as one turn: every message it answered, oldest first, the one
    its replies belong to last (empty: just the turn's own message)."""


DUPLICATE = TurnResult("duplicate", None, [], None, None)
"""Another run holds the message's claim right now."""
COMMITTED_DUPLICATE = TurnResult("duplicate", None, [], None, None, committed=True)
"""Committed before, and its replies already left the processed marker for the outbox."""


class Backlog(Protocol):
    """A conversation's earlier messages that still wait for their turn (see module doc)."""

    async def earlier(self, turn: InboundTurn) -> Sequence[InboundTurn]:
        """The messages sent before `turn` and not answered yet, oldest first (read
        under the session lock)."""
        ...

    async def coalesced(self, turn: InboundTurn) -> InboundTurn:
        """The turn to run for `turn` after the earlier ones: `turn` itself, or the burst it
        belongs to as one turn (called after `earlier`, under the same lock)."""
        ...

    async def done(self, turn: InboundTurn, result: TurnResult) -> None:
        """An earlier turn ran (or had been committed already): deliver its replies."""
        ...

    async def failed(self, turn: InboundTurn, error: Exception) -> None:
        """An earlier turn failed: raise to stop (the caller's turn is retried later), or
        return to go on with the next one (the failed one is recorded by the backlog)."""
        ...


_REPLIES = TypeAdapter(list[OutboundMessage])


@dataclass(frozen=True)
class SessionShard:
    """One Redis holding sessions: its client, the saver on it and the graph using that
    saver. Every key of a turn lives on its session's shard (see `server.shards`)."""

    graph: Any
    redis: aioredis.Redis
    saver: BaseCheckpointSaver | None = None


class Controller:
    """Runs turns through the graph under the session lock, exactly once per message id."""

    def shard(self, turn: InboundTurn) -> SessionShard:
        """The shard of `turn`'s session."""
        return self.shards[shard_index(turn.thread_id, len(self.shards))]

    def __init__(
        self,
        graph: Any,
        redis: aioredis.Redis,
        *,
        saver: BaseCheckpointSaver | None = None,
        context: Any = None,
        config: ControllerConfig | None = None,
        on_close: Callable[[], Awaitable[Any]] | None = None,
        shards: Sequence[SessionShard] | None = None,
        moved_from: Callable[[str], aioredis.Redis | None] | None = None,
    ) -> None:
        self.graph = graph
        self.redis = redis
        self.saver = saver
        self.shards = list(shards) if shards else [SessionShard(graph, redis, saver)]
        """Where sessions live: one entry per Redis (`server.shards`); the first is the
        `graph`/`redis`/`saver` given."""
        self.moved_from = moved_from
        """thread id -> the Redis its session was on before the shard list changed, if
        another one (`server.reshard`); None: the list did not change."""
        self.context = context
        self.config = config or ControllerConfig()
        self._on_close = on_close
        self._begin = redis.register_script(scripts.BEGIN)
        self._load = redis.register_script(scripts.LOAD)
        self._mark_done = redis.register_script(scripts.MARK_DONE)

    async def handle_turn(self, turn: InboundTurn, backlog: Backlog | None = None) -> TurnResult:
        """Run `turn` once; with a `backlog`, its conversation's earlier waiting messages
        first, under the same hold of the session lock."""
        started = time.monotonic()
        token = new_lock_token()
        opened = await self._open(turn, token)
        if opened.status == "claimed":
            log.info("orchestrate_turn.duplicate", msg_id=turn.msg_id, wa_id=turn.wa_id)
            metrics.record_turn_result("duplicate")
            return DUPLICATE
        if opened.result is not None:  # committed before: no claim, no lock taken
            log.info("orchestrate_turn.duplicate", msg_id=turn.msg_id, wa_id=turn.wa_id)
            return opened.result
        try:
            result = await self._run_locked(turn, token, opened, backlog)
        except BaseException as exc:
            await self.shard(turn).redis.delete(orchestrated_key(turn.msg_id))
            self._log_failure(turn, exc, started)
            if isinstance(exc, LockError | StaleStateError):
                metrics.record_turn_result("conflict")
            raise
        if result.status == "duplicate":
            await self.shard(turn).redis.delete(orchestrated_key(turn.msg_id))
            metrics.record_turn_result("duplicate")
            return result
        self._completed(turn, result, started)
        return result

    def _completed(self, turn: InboundTurn, result: TurnResult, started: float) -> None:
        _record_turn(result, time.monotonic() - started)
        log.info(
            "orchestrate_turn.completed",
            success=True,
            lane=result.lane,
            messages_count=len(result.messages),
            state_version=result.state_version,
            tenant_id=turn.tenant_id,
            wa_id=turn.wa_id,
            msg_id=result.message_ids[-1] if result.message_ids else turn.msg_id,
            duration_ms=int((time.monotonic() - started) * 1000),
            **({"merged_ids": list(result.message_ids[:-1])} if result.message_ids else {}),
        )

    async def _open(self, turn: InboundTurn, token: str) -> _Opened:
        """One round trip: committed already? claim; take the lock if free; read the session."""
        lock_key = session_lock_key(turn.tenant_id, turn.wa_id)
        redis = self.shard(turn).redis
        reply = await self._begin(
            keys=[
                *self._session_keys(turn),
                *(orchestrated_key(turn.msg_id), lock_key, f"{lock_key}:queue"),
            ],
            args=[
                turn.msg_id,
                self.config.orchestrated_ttl_s * 1000,
                token,
                self.config.lock.ttl_ms,
            ],
            client=redis,
        )
        return await self._trusted(redis, _opened(reply))

    async def _trusted(self, redis: aioredis.Redis, opened: _Opened) -> _Opened:
        """With replicas required, a turn found committed counts only once they have it."""
        if opened.result is not None and self.config.commit_replicas > 0:
            await confirm_replicated(redis, self.config.commit_replicas, self.config.commit_wait_ms)
        return opened

    def _session_keys(self, turn: InboundTurn) -> list[str]:
        """KEYS 1-3 of the controller's scripts: marker, version hash, latest pointer."""
        pointer = latest_pointer_key(turn.thread_id)
        return [processed_key(turn.msg_id), session_key(turn.tenant_id, turn.wa_id), pointer]

    async def _run_locked(
        self, turn: InboundTurn, token: str, opened: _Opened, backlog: Backlog | None
    ) -> TurnResult:
        taken = token if opened.status == "go" else None
        async with acquire_session_lock(
            self.shard(turn).redis,
            turn.tenant_id,
            turn.wa_id,
            config=self.config.lock,
            taken_with=taken,
        ) as lock:
            moved = await self._adopt_moved_session(turn)
            earlier = await backlog.earlier(turn) if backlog is not None else []
            for waiting in earlier:
                await self._run_earlier(waiting, lock, backlog)  # type: ignore[arg-type]
            own = await backlog.coalesced(turn) if backlog is not None else turn
            # What the begin script read is still the session's state unless a turn ran since
            # (a burst's other messages were checked uncommitted under the lock), or the
            # session was just moved here from its previous shard.
            fresh = opened if taken and not earlier and not moved else None
            result = await self._turn_under_lock(own, lock, fresh, last=True)
        if own.msg_id != turn.msg_id:  # answered inside a burst: its own claim is spent
            await self.shard(turn).redis.delete(orchestrated_key(turn.msg_id))
        return result

    async def _adopt_moved_session(self, turn: InboundTurn) -> bool:
        """Under the session lock: bring the session over from the shard it was on before
        the shard list changed, if it is not here yet (`server.reshard`)."""
        source = self.moved_from(turn.thread_id) if self.moved_from is not None else None
        if source is None:
            return False
        from server.reshard import move_session

        moved = await move_session(
            source,
            self.shard(turn).redis,
            tenant_id=turn.tenant_id,
            wa_id=turn.wa_id,
            version_key=session_key(turn.tenant_id, turn.wa_id),
            marker_key=processed_key,
        )
        return moved > 0

    async def _run_earlier(self, turn: InboundTurn, lock: SessionLock, backlog: Backlog) -> None:
        """One earlier waiting message's turn, under the lock the caller holds."""
        started = time.monotonic()
        try:
            result = await self._turn_under_lock(turn, lock)
        except Exception as exc:
            self._log_failure(turn, exc, started)
            await backlog.failed(turn, exc)
            return
        if result.status == "completed":
            self._completed(turn, result, started)
        await backlog.done(turn, result)

    async def _turn_under_lock(
        self,
        turn: InboundTurn,
        lock: SessionLock,
        opened: _Opened | None = None,
        *,
        last: bool = False,
    ) -> TurnResult:
        """Run one turn while holding its session's lock: exactly once, fenced commit.
        `opened`: the session as read with the lock (else read now); `last`: the hold's
        last turn, whose commit also releases the lock."""
        if opened is None:
            # Checked again under the lock: the claim may have expired while another run
            # of this message committed it (or a later message's turn ran it first).
            redis = self.shard(turn).redis
            loaded = await self._load(
                keys=self._session_keys(turn), args=[turn.msg_id], client=redis
            )
            opened = await self._trusted(redis, _opened(loaded))
            if opened.result is not None:
                return opened.result
        expected = opened.version
        baseline = expected if expected is not None else document_session_version(opened.document)
        fence = CommitFence(
            lock_key=lock.key,
            lock_token=lock.token,
            version_key=session_key(turn.tenant_id, turn.wa_id),
            expected_version=expected,
            baseline_version=baseline,
            processed_key=processed_key(turn.msg_id),
            processed_ttl_ms=self.config.processed_ttl_s * 1000,
            msg_id=turn.msg_id,
            merged_ids=turn.merged_ids,
            claim_key=orchestrated_key(turn.msg_id),
            release_lock=last,
            prefetched=Prefetched(opened.document),
        )
        output = await self.shard(turn).graph.ainvoke(
            {"turn": turn},
            config={"configurable": {"thread_id": turn.thread_id, FENCE_CONFIG_KEY: fence}},
            context=self.context,
            durability="exit",
        )
        if fence.receipt.lock_released:
            lock.released_elsewhere()
        result = _turn_result(output)
        if result.state_version is None or result.state_version == baseline:
            # The commit marks processed only when the version advanced; mark it here.
            await self._mark_done(
                keys=[
                    processed_key(turn.msg_id),
                    session_key(turn.tenant_id, turn.wa_id),
                    orchestrated_key(turn.msg_id),
                ],
                args=[
                    _REPLIES.dump_json(result.messages).decode(),
                    self.config.processed_ttl_s * 1000,
                    recent_ids(turn.msg_id, turn.merged_ids),
                    DEFAULT_RECENT_TURNS,
                ],
                client=self.shard(turn).redis,
            )
        if turn.merged_ids and result.status == "completed":
            result = replace(result, message_ids=turn.message_ids)
        return result

    def _log_failure(self, turn: InboundTurn, exc: BaseException, started: float) -> None:
        log.warning(
            "orchestrate_turn.completed",
            success=False,
            error=type(exc).__name__,
            # The cause chain's class names: a database error's text quotes the
            # statement's values (a customer's message, a phone number)
            reason=describe_error(exc),
            transient=is_transient(exc, (LockError, StaleStateError)),
            tenant_id=turn.tenant_id,
            wa_id=turn.wa_id,
            msg_id=turn.msg_id,
            duration_ms=int((time.monotonic() - started) * 1000),
        )

    async def aclose(self) -> None:
        if self._on_close is not None:
            await self._on_close()
            self._on_close = None


@dataclass(frozen=True)
class _Opened:
    """What the begin or load script found."""

    status: Literal["go", "busy", "claimed", "done", "committed"]
    version: int | None = None
    document: bytes | None = None
    result: TurnResult | None = None
    """For a turn committed before: the duplicate result (with the replies if the
    processed marker still holds them)."""


def _opened(reply: Any) -> _Opened:
    status = reply[0].decode()
    if status == "done":
        replies = read_processed_marker(reply[1]) or []
        return _Opened(
            "done", result=TurnResult("duplicate", None, replies, None, None, committed=True)
        )
    if status == "committed":
        return _Opened("committed", result=COMMITTED_DUPLICATE)
    if status != "go":
        return _Opened(status)
    version = int(reply[1]) if reply[1] else None
    return _Opened("go", version=version, document=reply[2] or None)


REPLICATION_PROBE = "turn:replication-probe"


async def confirm_replicated(redis: aioredis.Redis, replicas: int, wait_ms: int = 2000) -> None:
    """Raise `CommitNotReplicated` unless `replicas` replicas have everything written so far.

    A marker read from a primary that is being failed over (still answering, its replica
    already gone) may vanish with it; answering the customer from it would lose the turn.
    So a small write and `WAIT` follow the read on the same client (transient: the job is
    retried, and then reads the new primary)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(REPLICATION_PROBE, "1", px=60_000)
        pipe.execute_command("WAIT", replicas, wait_ms)
        _, acked = await pipe.execute()
    if int(acked) < replicas:
        raise CommitNotReplicated(
            f"a turn is marked committed on a primary {int(acked)} of {replicas} replicas"
            " confirm: not trusted yet (the turn is retried)"
        )


async def read_marker(
    redis: aioredis.Redis, msg_id: str, replicas: int = 0, wait_ms: int = 2000
) -> bytes | None:
    """The `turn:processed` marker of a message; with `replicas` > 0 only once that many
    replicas have everything written before it (see `confirm_replicated`)."""
    value: Any = await redis.get(processed_key(msg_id))
    if value is not None and replicas > 0:
        await confirm_replicated(redis, replicas, wait_ms)
    return cast(bytes | None, value)


async def turn_committed(redis: aioredis.Redis, turn: InboundTurn | tuple[str, str, str]) -> bool:
    """Was this message's turn committed? Its processed marker (replies not yet in the
    outbox), or its id among the session's recent committed turns."""
    tenant_id, wa_id, msg_id = (
        (turn.tenant_id, turn.wa_id, turn.msg_id) if isinstance(turn, InboundTurn) else turn
    )
    async with redis.pipeline(transaction=False) as pipe:
        pipe.exists(processed_key(msg_id))
        pipe.hget(session_key(tenant_id, wa_id), "recent")
        marked, recent = await pipe.execute()
    return bool(marked) or msg_id.encode() in (recent or b"").split(b"\n")


async def committed_ids(
    redis: aioredis.Redis, tenant_id: str, wa_id: str, msg_ids: Sequence[str]
) -> set[str]:
    """Which of one session's messages have their turn committed (see `turn_committed`),
    in one round trip."""
    if not msg_ids:
        return set()
    async with redis.pipeline(transaction=False) as pipe:
        for msg_id in msg_ids:
            pipe.exists(processed_key(msg_id))
        pipe.hget(session_key(tenant_id, wa_id), "recent")
        *marked, recent = await pipe.execute()
    listed = set((recent or b"").decode().split("\n"))
    return {m for m, flag in zip(msg_ids, marked, strict=True) if flag or m in listed}


async def forget_replies(redis: aioredis.Redis, msg_id: str) -> None:
    """The outbox has the turn's replies: the processed marker no longer needs to keep them.

    Deleting it keeps a session's keys flat. Exactly-once does not depend on it: the inbound
    row is `answered` (the job skips it), and the session's version hash still lists the
    message among its recent committed turns for a run that raced past that check.
    """
    await redis.delete(processed_key(msg_id))


def _turn_result(output: dict[str, Any]) -> TurnResult:
    session = output.get("session") or {}
    understanding = output.get("understanding")
    lane = (session.get("meta") or {}).get("current_lane")
    if understanding is not None and getattr(understanding, "lane", None):
        lane = understanding.lane
    messages: Sequence[OutboundMessage] = output.get("outbound") or []
    version = session.get("version")
    return TurnResult(
        status="completed",
        lane=lane,
        messages=list(messages),
        state_version=version if isinstance(version, int) else None,
        understanding=understanding if isinstance(understanding, Understanding) else None,
        handoffs=tuple(output.get("handoffs") or ()),
    )


def _record_turn(result: TurnResult, seconds: float) -> None:
    """Count a committed turn: the lane that finally answered, what the router read."""
    understood = result.understanding
    routed = understood.lane if understood is not None else (result.lane or "unknown")
    chain = [routed, *result.handoffs]
    metrics.record_turn(
        lane=chain[-1],
        intent=understood.intent if understood is not None else "unknown",
        method=understood.method if understood is not None else "unknown",
        seconds=seconds,
        handoffs=itertools.pairwise(chain),
        fallback_reason=understood.fallback_reason if understood is not None else None,
    )


async def create_controller(
    resources: Resources, *, config: ControllerConfig | None = None
) -> Controller:
    """The production controller: Redis checkpointer + the conversation graph + its context."""
    from graph.graph import build_graph  # imported when used: the graph pulls in every lane
    from graph.state import CARRIED_CHANNELS
    from server.commerce.runtime import Commerce
    from server.commerce.store import SqlCommerceStore
    from server.graph_runtime import build_context
    from server.support.wiring import build_desk

    settings = resources.settings
    stack = contextlib.AsyncExitStack()
    shards = []
    try:
        for client in resources.session_shards or (resources.redis,):
            saver = await stack.enter_async_context(
                redis_checkpointer(
                    client=client,
                    keep_last=settings.session_versions_kept,
                    carried_channels=CARRIED_CHANNELS,
                    commit_replicas=settings.redis_commit_replicas,
                    commit_wait_ms=settings.redis_commit_wait_ms,
                )
            )
            shards.append(SessionShard(build_graph(saver), client, saver))
        commerce = Commerce(resources)
        stack.push_async_callback(commerce.aclose)
        config = config or ControllerConfig(
            commit_replicas=settings.redis_commit_replicas,
            commit_wait_ms=settings.redis_commit_wait_ms,
        )
        context = build_context(
            resources.settings, desk=build_desk(resources), commerce=SqlCommerceStore(commerce)
        )
    except BaseException:
        await stack.aclose()
        raise
    first = shards[0]
    return Controller(
        first.graph,
        first.redis,
        saver=first.saver,
        context=context,
        config=config,
        on_close=stack.aclose,
        shards=shards,
        moved_from=resources.session_moved_from,
    )
