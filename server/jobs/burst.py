"""Burst coalescing: text messages a customer sends within the tenant's window of each
other ("hi" / "I want to return" / "the blue mug") are answered as one turn.

The tenant's `burst_window_ms` (0: off) sets the window. Three parts:

- the turn job of a text message is enqueued deferred until its window is over
  (:func:`remaining_s`): it waits in the queue, holding no worker slot;
- :func:`settle`, before a text message's turn takes the session lock: wait until the
  window has passed since the conversation's newest waiting text message (a follow-up
  arriving meanwhile moves that point), at most :data:`MAX_WAIT_WINDOWS` windows after the
  message itself arrived (a job slot is held only for the follow-ups' extra time). The
  queue delay plus this wait is the latency the feature adds, about one window per
  answer; the wait is logged as `orchestrate_turn.burst_wait` and counted in
  `convo_burst_wait_seconds`, the delay as `deferred_ms` on
  `process_message.orchestration_triggered`.
- :func:`plan_bursts`, under the lock: the conversation's waiting messages in the order
  sent, grouped into bursts. A text joins the burst before it when that burst ends in a
  text that arrived (at the webhook) at most a window earlier; a button or list reply, a
  location or any other message is a burst of its own, so a tap is never merged with what
  follows it. :func:`merged_turn` makes one turn of a burst: the newest message's turn with
  every text joined in order by newlines, and the others' ids in `merged_ids`.

Nothing is lost to the wait: the messages stay `received`/`processed` in the store until
the turn that answers them commits (and records all their ids in the same atomic step).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from graph.messages import InboundTurn
from server import metrics
from server.logging import get_logger
from server.resources import Resources
from server.store import repository
from server.store.models import WaMessage

log = get_logger(__name__)

MAX_WAIT_WINDOWS = 3
"""A customer who keeps typing is answered at most this many windows after a message
arrived; what they send later is the next turn."""

MAX_BURST = 10
"""At most this many messages in one turn (the session remembers 16 recent message ids)."""


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


CLOCK: Clock = SystemClock()
"""The clock of the wait (tests put a deterministic one here)."""


def burst_window_ms(resources: Resources, tenant_id: str) -> int:
    """The tenant's window (its profile's `burst_window_ms`; 0 when off)."""
    from nodes.tenants import load_profile  # cached per process after the first read

    return load_profile(tenant_id, resources.settings.tenants_dir).burst_window_ms


def enqueue_delay_s(resources: Resources, row: WaMessage) -> float:
    """How long to keep a text's turn job queued: until its window is over. 0 when the
    tenant has no window, or its files do not load (the turn then fails saying why)."""
    from nodes.tenants import TenantsError

    if row.message_type != "text":
        return 0.0
    try:
        window_ms = burst_window_ms(resources, row.tenant_id)
    except TenantsError:
        return 0.0
    return remaining_s(row, window_ms) if window_ms else 0.0


def arrived(row: WaMessage) -> datetime:
    """When the webhook stored the message, as an aware UTC time (SQLite keeps it naive)."""
    at = row.created_at
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def remaining_s(row: WaMessage, window_ms: int) -> float:
    """Seconds until the window after `row` arrived is over (0 when it is)."""
    end = arrived(row) + timedelta(milliseconds=window_ms)
    return max(0.0, (end - CLOCK.now()).total_seconds())


async def settle(resources: Resources, row: WaMessage, window_ms: int) -> float:
    """Wait until the conversation's waiting texts have been quiet for a window (bounded);
    the seconds waited."""
    window = timedelta(milliseconds=window_ms)
    latest = arrived(row) + MAX_WAIT_WINDOWS * window
    started = time.monotonic()
    while True:
        async with resources.sessions() as session:
            rows = await repository.waiting_turns(session, row.tenant_id, row.wa_id)
        newest = max((arrived(r) for r in rows if r.message_type == "text"), default=arrived(row))
        delay = (min(newest + window, latest) - CLOCK.now()).total_seconds()
        if delay <= 0:
            break
        await CLOCK.sleep(delay)
    waited = time.monotonic() - started
    metrics.record_burst_wait(waited)
    log.info(
        "orchestrate_turn.burst_wait",
        provider_message_id=row.wamid,
        window_ms=window_ms,
        waited_ms=int(waited * 1000),
    )
    return waited


def plan_bursts(
    rows: Sequence[WaMessage], window_ms: int, committed: set[str]
) -> list[list[WaMessage]]:
    """`rows` (one conversation's waiting messages, in the order sent) grouped into bursts.
    A message already `committed` (answered by a turn whose replies are not stored yet) is
    never part of a new burst."""
    window = timedelta(milliseconds=window_ms)
    bursts: list[list[WaMessage]] = []
    for row in rows:
        last = bursts[-1] if bursts else None
        if (
            last is not None
            and window_ms > 0
            and len(last) < MAX_BURST
            and _mergeable(row, committed)
            and _mergeable(last[-1], committed)
            and arrived(row) - max(arrived(r) for r in last) <= window
        ):
            last.append(row)
        else:
            bursts.append([row])
    return bursts


def _mergeable(row: WaMessage, committed: set[str]) -> bool:
    return row.message_type == "text" and row.wamid not in committed


def merged_turn(turns: Sequence[InboundTurn]) -> InboundTurn:
    """One turn for a burst's turns (oldest first): the newest one's, every text joined."""
    newest = turns[-1]
    if len(turns) == 1:
        return newest
    return newest.model_copy(
        update={
            "text": "\n".join(t.text for t in turns if t.text),
            "merged_ids": tuple(t.msg_id for t in turns[:-1]),
        }
    )
