"""`orchestrate_turn`: one turn of the conversation for one stored inbound message.

Builds the :class:`InboundTurn` from the stored message, runs it through the controller
(session lock, idempotency, graph) and puts the replies in the outbox: rows of
`wa_messages` with `idempotency_key = "{wamid}:reply:{i}"`. With sending disabled (no
`WHATSAPP_ACCESS_TOKEN`) the replies are logged and kept with status `logged`; otherwise
they are `queued` and a `send_message` job is enqueued per reply.

Re-runs are harmless: the controller skips a turn it already completed, outbox rows are
insert-or-ignore, and the send jobs' ids come from the rows' idempotency keys.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, cast

import sqlalchemy.exc
from arq.worker import Retry, func

from graph.messages import InboundTurn, OutboundMessage
from graph.session.errors import StaleStateError
from server import metrics
from server.jobs import (
    ORCHESTRATE_TURN,
    SEND_MESSAGE,
    burst,
    enqueue_once,
    queue_from_ctx,
    send_job_id,
)
from server.jobs.retry import (
    MAX_TRIES,
    describe_error,
    is_transient,
    job_age_s,
    retry_transient,
)
from server.jobs.send import mark_read_best_effort
from server.locks import LockError
from server.logging import get_logger
from server.resources import Resources
from server.store import repository
from server.store.models import WaMessage
from server.whatsapp.content import Location
from server.whatsapp.updates import Message

log = get_logger(__name__)


class TurnResultLike(Protocol):
    status: str
    lane: str | None
    messages: Sequence[OutboundMessage]
    state_version: int | None


class ControllerLike(Protocol):
    async def handle_turn(self, turn: InboundTurn, backlog: Any = None) -> Any: ...


def build_turn(message: Message) -> InboundTurn | None:
    """The turn a message starts, or None (not text/button/interactive/location, or empty)."""
    if not message.starts_turn:
        return None
    return InboundTurn(
        tenant_id=message.metadata.phone_number_id,
        wa_id=message.from_,
        msg_id=message.id,
        text=(message.text or "").strip(),
        message_type=cast(Any, message.type),
        choice_id=message.choice_id,
        received_at=message.timestamp or datetime.now(UTC),
        profile_name=message.profile.name if message.profile else None,
        **_coordinates(message),
    )


def _coordinates(message: Message) -> dict[str, Any]:
    """A shared location's coordinates (the checkout takes it as the delivery address)."""
    content = message.content
    if not isinstance(content, Location) or content.latitude is None or content.longitude is None:
        return {}
    return {"latitude": content.latitude, "longitude": content.longitude}


async def make_controller(resources: Resources) -> ControllerLike:
    """The real controller (tests replace this function or put one in `ctx`)."""
    settings = resources.settings
    await asyncio.to_thread(prepare_turn_machinery, settings.model_cache_dir, settings.tenants_dir)
    from server.controller import create_controller
    from server.llm_warm_up import warm_up_llm_client

    controller = await create_controller(resources)
    await asyncio.to_thread(warm_up_llm_client, settings)  # the LLM client's one-off work
    return cast(ControllerLike, controller)


async def get_controller(ctx: dict[str, Any]) -> ControllerLike:
    """The worker's controller, created on first use and kept in `ctx`."""
    if ctx.get("controller") is None:
        lock = ctx.setdefault("controller_lock", asyncio.Lock())
        async with lock:
            if ctx.get("controller") is None:
                ctx["controller"] = await make_controller(ctx["resources"])
    return cast(ControllerLike, ctx["controller"])


_router_loaded = False


def router_ready() -> bool:
    """True once this process has the offline router trained or loaded (readiness)."""
    return _router_loaded


def use_model_cache(folder: str | None) -> None:
    """Where the offline router keeps its cached training-set embeddings (CONVO_MODEL_CACHE)."""
    from nodes.router.embeddings import set_cache_dir

    if folder:
        set_cache_dir(folder)


def prepare_turn_machinery(model_cache_dir: str | None, tenants_dir: str | None) -> None:
    """`use_model_cache` then `load_turn_machinery`, both in the caller's thread: call it
    in a thread. (Setting the cache imports the router, numpy and scikit-learn: tens of
    seconds on a loaded machine, during which an event loop could not even see a SIGTERM.)"""
    use_model_cache(model_cache_dir)
    load_turn_machinery(tenants_dir)


def load_turn_machinery(tenants_dir: str | None = None) -> None:
    """Import the graph, load the offline router and the language model (read from the
    model cache when there, else fitted and stored) and read the tenants' files: seconds of
    CPU and file reads, run in a thread so no turn does them on the event loop."""
    global _router_loaded
    # The modules `create_controller` imports, here in the thread rather than on the
    # event loop: the graph pulls in every lane, LangGraph and the commerce store.
    import graph.graph  # noqa: F401
    import server.commerce.runtime
    import server.commerce.store
    import server.controller
    import server.graph_runtime
    import server.support.wiring  # noqa: F401
    from nodes import language
    from nodes.router.offline import OfflineClassifier
    from nodes.tenants import load_catalog, load_profiles

    OfflineClassifier.default()  # cached for the process
    language.warm_up()  # the language model, read from the model cache too
    for profile in load_profiles(tenants_dir):  # cached too
        load_catalog(profile)
    _router_loaded = True


async def warm_up(ctx: dict[str, Any]) -> None:
    """Create the controller at worker start-up, not during the first user's turn.

    The slow, synchronous part (imports, training the offline classifier) runs in a
    thread, so a web app sharing the event loop (`convo serve`) keeps answering webhooks.
    """
    if not ctx["resources"].settings.enable_orchestration:
        return
    started = time.monotonic()
    try:
        await get_controller(ctx)
    except Exception as exc:  # best effort: the first turn creates it again and fails visibly
        log.exception("orchestrate_turn.controller_failed")
        ctx["controller_error"] = f"{type(exc).__name__}: {exc}"
        return
    elapsed_ms = int((time.monotonic() - started) * 1000)
    log.info("orchestrate_turn.controller_ready", duration_ms=elapsed_ms)


async def close_controller(ctx: dict[str, Any]) -> None:
    controller = ctx.pop("controller", None)
    close = getattr(controller, "aclose", None)
    if close is not None:
        await close()


class TurnClaimedElsewhere(Exception):
    """The turn stayed claimed by another run through every retry (permanent)."""


TURN_CONFLICTS: tuple[type[BaseException], ...] = (LockError, StaleStateError)
"""Another turn of the same session holds the lock or advanced the state first: retry."""


REDIS_SWITCH_BUDGET_S = 300.0
"""How long a turn keeps being retried while Redis switches primaries (a failover, a
replica resyncing; see `server.jobs.retry`): the customer's answer waits for the new
primary and a replica, it is not given up after a few tries. Past it the turn is
`turn_failed` (transient) and `recover_pending` runs it again."""


async def orchestrate_turn(ctx: dict[str, Any], wamid: str) -> str:
    """Run the turn of inbound message `wamid`; returns what happened."""
    try:
        async with retry_transient(
            ctx,
            "orchestrate_turn",
            extra=TURN_CONFLICTS,
            redis_switch_budget_s=REDIS_SWITCH_BUDGET_S,
            provider_message_id=wamid,
        ):
            return await _orchestrate(ctx, wamid)
    except Retry:
        raise
    except Exception as exc:
        await _mark_failed(ctx, wamid, exc)
        raise


ORCHESTRATE_TURN_JOB = func(
    orchestrate_turn,
    name=ORCHESTRATE_TURN,
    max_tries=MAX_TRIES + int(REDIS_SWITCH_BUDGET_S),  # a retry waits >= 1 s: the budget ends first
)
"""What `server.worker.JOB_FUNCTIONS` registers."""


async def _mark_failed(ctx: dict[str, Any], wamid: str, exc: Exception) -> None:
    """Record a turn that failed through its last try: status `turn_failed`, the cause
    (`transient: ...` ones are run again by `recover_pending`), a log line, a metric."""
    transient = is_transient(exc, TURN_CONFLICTS)
    cause = describe_error(exc)
    kind = repository.TRANSIENT_FAILURE if transient else repository.PERMANENT_FAILURE
    fields: dict[str, Any] = {"success": False, "provider_message_id": wamid}
    if transient or isinstance(exc, sqlalchemy.exc.DBAPIError):
        # No traceback: a database error's text can quote the customer's message.
        log.error("orchestrate_turn.failed", transient=transient, error=cause, **fields)
    else:
        log.exception("orchestrate_turn.failed", transient=False, **fields)
    metrics.record_turn_given_up("transient" if transient else "permanent")
    try:
        await _mark(ctx["resources"], wamid, repository.TURN_FAILED, f"{kind} {cause}"[:500])
    except Exception as mark_exc:  # the store is down too: the original error is what matters
        if not is_transient(mark_exc):
            raise
        log.warning("orchestrate_turn.mark_failed_skipped", provider_message_id=wamid)


async def _orchestrate(ctx: dict[str, Any], wamid: str) -> str:
    resources: Resources = ctx["resources"]
    async with resources.sessions() as session:
        row = await repository.get_by_wamid(session, wamid)
    if row is None:
        log.warning("orchestrate_turn.not_found", provider_message_id=wamid)
        return "missing"
    if row.status == repository.ANSWERED:
        await _dispatch(ctx, await _replies(resources, wamid))
        return "duplicate"
    turn = build_turn(Message.from_envelope(row.payload))
    if turn is None:
        log.info("orchestrate_turn.skipped", provider_message_id=wamid, reason="no_text")
        await _mark(resources, wamid, repository.ANSWERED)
        return "skipped"
    controller = await get_controller(ctx)
    # Best-effort "read" + "typing…" (sending enabled only); never fails the turn.
    await mark_read_best_effort(ctx, turn.tenant_id, turn.msg_id)
    window_ms = burst.burst_window_ms(resources, turn.tenant_id)
    if window_ms and turn.message_type == "text":
        await burst.settle(resources, row, window_ms)
    backlog = StoredBacklog(ctx, repository.sent_order(row), window_ms)
    result = cast(TurnResultLike, await controller.handle_turn(turn, backlog=backlog))
    if result.status == "duplicate" and not result.messages:
        return await _duplicate_turn(ctx, turn, committed=getattr(result, "committed", False))
    await _deliver(ctx, wamid, result, inbound=row)
    return str(result.status)


async def _deliver(
    ctx: dict[str, Any], wamid: str, result: TurnResultLike, *, inbound: WaMessage | None = None
) -> None:
    """Put a turn's replies in the outbox (the inbound row becomes `answered`) and send.
    A burst's replies belong to its newest message; the others become `answered` with it.
    `inbound`: the row of `wamid` as the job read it (its identity columns never change),
    so the outbox transaction does not read it again."""
    answered: Sequence[str] = getattr(result, "message_ids", ()) or (wamid,)
    known = inbound if inbound is not None and inbound.wamid == answered[-1] else None
    wamid = answered[-1]
    rows = await _store_replies(
        ctx["resources"], wamid, result.messages, answered[:-1], inbound=known
    )
    log.info(
        "orchestrate_turn.replies_stored",
        provider_message_id=wamid,
        turn_status=result.status,
        lane=result.lane,
        replies=len(rows),
        state_version=result.state_version,
    )
    await _dispatch(ctx, rows)


class StoredBacklog:
    """The controller's `Backlog` from the message store: the conversation's messages
    sent before this job's own (WhatsApp timestamp, then arrival) that still wait for their
    turn. Read under the session lock, so whichever job of a conversation gets the lock
    first runs the waiting turns in the order they were sent; the others then find their
    turn committed and only deliver its replies.

    With the tenant's burst window on, the waiting messages are grouped into bursts
    (`server.jobs.burst`) and each burst is one turn, this job's own included."""

    def __init__(
        self, ctx: dict[str, Any], own_order: tuple[datetime, int], window_ms: int = 0
    ) -> None:
        self.ctx = ctx
        self.own_order = own_order
        self.window_ms = window_ms
        self._own: InboundTurn | None = None

    async def earlier(self, turn: InboundTurn) -> list[InboundTurn]:
        resources: Resources = self.ctx["resources"]
        async with resources.sessions() as session:
            rows = await repository.waiting_turns(session, turn.tenant_id, turn.wa_id)
        if self.window_ms > 0:
            return await self._bursts_before(turn, rows)
        turns = []
        for row in rows:
            if row.wamid == turn.msg_id or repository.sent_order(row) >= self.own_order:
                continue
            earlier = build_turn(Message.from_envelope(row.payload))
            if earlier is not None:
                turns.append(earlier)
        if turns:
            log.info(
                "orchestrate_turn.earlier_first",
                provider_message_id=turn.msg_id,
                earlier=[t.msg_id for t in turns],
            )
        return turns

    async def _bursts_before(
        self, turn: InboundTurn, rows: Sequence[WaMessage]
    ) -> list[InboundTurn]:
        """The bursts sent before the one holding `turn`, each as one turn; that one is
        kept for `coalesced`."""
        built = {row.wamid: build_turn(Message.from_envelope(row.payload)) for row in rows}
        rows = [row for row in rows if built[row.wamid] is not None]
        from server.controller import committed_ids  # the controller's keys

        redis = self.ctx["resources"].session_redis(turn.tenant_id, turn.wa_id)
        done = await committed_ids(
            redis, turn.tenant_id, turn.wa_id, [row.wamid for row in rows if row.wamid]
        )
        bursts = burst.plan_bursts(rows, self.window_ms, done)
        own = next(
            (i for i, b in enumerate(bursts) if any(r.wamid == turn.msg_id for r in b)), None
        )
        if own is None:  # answered meanwhile: run it alone (it is found committed)
            before = [b for b in bursts if repository.sent_order(b[-1]) < self.own_order]
        else:
            before = bursts[:own]
            self._own = burst.merged_turn([cast(InboundTurn, built[r.wamid]) for r in bursts[own]])
        turns = [burst.merged_turn([cast(InboundTurn, built[r.wamid]) for r in b]) for b in before]
        if waiting := [t.msg_id for t in turns if t.msg_id not in done]:  # not just delivery
            log.info(
                "orchestrate_turn.earlier_first", provider_message_id=turn.msg_id, earlier=waiting
            )
        for coalesced in [*turns, *([self._own] if self._own else [])]:
            if coalesced.merged_ids:
                log.info(
                    "orchestrate_turn.coalesced",
                    provider_message_id=coalesced.msg_id,
                    merged_ids=list(coalesced.merged_ids),
                    window_ms=self.window_ms,
                )
        return turns

    async def coalesced(self, turn: InboundTurn) -> InboundTurn:
        return self._own if self._own is not None else turn

    async def done(self, turn: InboundTurn, result: Any) -> None:
        await _deliver(self.ctx, turn.msg_id, cast(TurnResultLike, result))

    async def failed(self, turn: InboundTurn, error: Exception) -> None:
        """A transient failure stops the drain (this job is retried); a permanent one is
        recorded on that message (`turn_failed`) and the next turn goes on."""
        if is_transient(error, TURN_CONFLICTS):
            raise error
        await _mark_failed(self.ctx, turn.msg_id, error)


async def _duplicate_turn(
    ctx: dict[str, Any], turn: InboundTurn, *, committed: bool = False
) -> str:
    """The controller says this turn ran or runs elsewhere: find out which.

    - committed (the controller said so, or `turn:processed:{wamid}` exists): done;
      dispatch the replies already stored;
    - only claimed (`orchestrated:{wamid}`): another run holds it, or crashed holding it.
      Retry once the claim has expired, so a crashed turn still gets answered.
    """
    from server.controller import orchestrated_key, read_marker  # the controller's keys

    resources: Resources = ctx["resources"]
    wamid = turn.msg_id
    redis = resources.session_redis(turn.tenant_id, turn.wa_id)  # the session's shard
    settings = resources.settings
    replicas, wait_ms = settings.redis_commit_replicas, settings.redis_commit_wait_ms
    if committed or await read_marker(redis, wamid, replicas, wait_ms) is not None:
        rows = await _store_replies(resources, wamid, [])
        if not rows:
            log.warning("orchestrate_turn.duplicate_without_replies", provider_message_id=wamid)
        await _dispatch(ctx, rows)
        return "duplicate"
    claim_ms = int(await redis.pttl(orchestrated_key(wamid)))
    job_try = int(ctx.get("job_try") or 1)
    age_s = job_age_s(ctx)
    # Tries spent waiting out a Redis switch do not count against a claim (it lasts 45 s at
    # most): within the switch budget the turn keeps waiting for it.
    if job_try >= MAX_TRIES and (age_s is None or age_s >= REDIS_SWITCH_BUDGET_S):
        raise TurnClaimedElsewhere(f"turn {wamid} is still claimed after {job_try} tries")
    defer_s = max(claim_ms, 0) / 1000 + 1
    log.info("orchestrate_turn.claimed_elsewhere", provider_message_id=wamid, defer_s=defer_s)
    raise Retry(defer=defer_s)


async def _store_replies(
    resources: Resources,
    wamid: str,
    messages: Sequence[OutboundMessage],
    merged_ids: Sequence[str] = (),
    *,
    inbound: WaMessage | None = None,
) -> list[WaMessage]:
    """Store the replies to `wamid` and mark it (and the burst's `merged_ids`) answered;
    `inbound`: its row when the caller has it already."""
    status = repository.QUEUED if resources.settings.sending_enabled else repository.LOGGED
    async with resources.sessions.begin() as session:
        if inbound is None:
            inbound = await repository.get_by_wamid(session, wamid)
        assert inbound is not None
        conversation = (inbound.tenant_id, inbound.wa_id)
        rows = await repository.add_outbox(session, inbound, messages, status=status)
        for answered in (*merged_ids, wamid):
            await repository.advance_inbound(
                session,
                answered,
                repository.ANSWERED,
                from_statuses=[repository.RECEIVED, repository.PROCESSED, repository.TURN_FAILED],
            )
    await _forget_marker_replies(resources, *conversation, wamid)
    return rows


async def _forget_marker_replies(
    resources: Resources, tenant_id: str, wa_id: str, wamid: str
) -> None:
    """The outbox has the replies now: drop the processed marker that kept them for a retry
    (best effort: a marker left behind only expires later)."""
    from server.controller import forget_replies  # the controller's keys

    try:
        await forget_replies(resources.session_redis(tenant_id, wa_id), wamid)
    except Exception as exc:
        if not is_transient(exc):
            raise
        log.warning(
            "orchestrate_turn.marker_kept", provider_message_id=wamid, error=describe_error(exc)
        )


async def _replies(resources: Resources, wamid: str) -> list[WaMessage]:
    async with resources.sessions() as session:
        return await repository.replies_to(session, wamid)


async def _dispatch(ctx: dict[str, Any], rows: Sequence[WaMessage]) -> None:
    """Log the `logged` replies; enqueue a send job per `queued` one (ids dedupe)."""
    for row in rows:
        if row.status == repository.LOGGED:
            log.info(
                "orchestrate_turn.reply_logged",
                outbound_id=row.id,
                kind=row.message_type,
                text=row.text,
                context_message_id=row.context_wamid,
            )
        elif row.status == repository.QUEUED and row.idempotency_key:
            job_id = send_job_id(row.idempotency_key)
            await enqueue_once(queue_from_ctx(ctx), SEND_MESSAGE, row.id, job_id=job_id)


async def _mark(
    resources: Resources, wamid: str, status: str, error_title: str | None = None
) -> None:
    async with resources.sessions.begin() as session:
        await repository.advance_inbound(
            session,
            wamid,
            status,
            from_statuses=[repository.RECEIVED, repository.PROCESSED, repository.TURN_FAILED],
            error_title=error_title,
        )
