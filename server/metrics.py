"""Prometheus metrics: every metric the service exports, and one small helper per event.

Code records an event with a helper (`record_webhook("accepted", seconds)`,
`record_turn(...)`, `record_order("paid")`); `GET /metrics` renders them in the
Prometheus text format (`render`). Names, labels and what each counts:

Webhook
  convo_webhook_requests_total{outcome}   POSTs: accepted, too_large, unsigned,
                                          bad_signature, malformed, store_unavailable
  convo_webhook_ack_seconds               histogram: request to answer (Meta: well under 1 s)
  convo_webhook_items_total{kind}         items of accepted POSTs: message, status, error
Turns
  convo_turns_total{lane,intent,method}   committed turns: the lane that answered (after
                                          handoffs), the router's intent and method
                                          (offline, llm, sticky, clarify, choice, fallback,
                                          keyword)
  convo_turn_results_total{result}        completed, duplicate, conflict (lock busy or
                                          state moved: retried), failed (for good)
  convo_turn_failures_total{error}        failed turns by exception class
  convo_turn_seconds{lane}                histogram: a committed turn, lock wait included
  convo_burst_wait_seconds                histogram: a text turn's wait for the rest of a
                                          burst (the tenant's `burst_window_ms`)
  convo_lane_handoffs_total{from_lane,to_lane}   a lane passing its turn to another
  convo_human_handoffs_total{event}       handoffs to people: requested, claimed, withdrawn
                                          (cancelled or expired unclaimed), released
LLM
  convo_llm_calls_total{purpose,outcome}  chat-model calls by graph node: ok, timeout,
                                          rate_limited, server_error, client_error,
                                          connection_error, error
  convo_llm_call_seconds{purpose}         histogram: one chat-model call
  convo_llm_fallbacks_total{reason}       LLM answers replaced by the offline router
Session lock
  convo_session_lock_acquisitions_total{contended}   taken at once (no) or after a wait (yes)
  convo_session_lock_wait_seconds         histogram: time waited (0 when free)
  convo_session_lock_timeouts_total       turns that gave up waiting (retried later)
Sending and jobs
  convo_sends_total{result}               sent, retried, failed, rate_limited, unknown
  convo_send_errors_total{code}           Graph API errors by `error.code`
  convo_queue_jobs{state}                 gauge, read at scrape time: ready or deferred
  convo_job_runs_total{job,attempt}       job runs: first, or retry
Business
  convo_orders_total{status}              orders reaching a status (pending_payment when
                                          placed, paid, preparing, shipped, cancelled, ...)
  convo_payments_total{provider,status}   payments reaching a status (pending, paid, failed,
                                          expired, cancelled); both counted only once the
                                          transaction that made the change has committed

Label values come from code, never from customers (no phone numbers, no texts), so the
endpoint holds no personal data and the number of series stays bounded.

**Processes.** With `PROMETHEUS_MULTIPROC_DIR` set, each process writes its values to
files in that folder and `/metrics` adds up every process that wrote there (the web app's
workers and `convo worker` on the same machine). The folder must be empty when the
processes start (empty it in the service manager's start step). Without the variable each
process counts alone, which is right for `convo serve` (web app and worker in one process).
The variable must be set before this module is imported: the library decides at import.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Buckets chosen for what they measure (seconds).
WEBHOOK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""A webhook answer: a few ms normally; Meta's patience ends in seconds."""
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
"""A turn: tens of ms offline, seconds with an LLM, up to a minute behind a busy lock."""
LLM_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0)
"""A chat-model call: sub-second to the client timeout (10 s by default)."""
LOCK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""A session-lock wait: 0 when free, one turn's length when queued, 60 s is the give-up."""

BURST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0)
"""A burst wait: about one window (0.5-3 s typical), at most three (30 s at the limit)."""

WEBHOOK_OUTCOMES = (
    "accepted",
    "too_large",
    "unsigned",
    "bad_signature",
    "malformed",
    "store_unavailable",
)
TURN_RESULTS = ("completed", "duplicate", "conflict", "failed")
SEND_RESULTS = ("sent", "retried", "failed", "rate_limited", "unknown")

WEBHOOK_REQUESTS = Counter("convo_webhook_requests", "Webhook POSTs by outcome.", ["outcome"])
WEBHOOK_ACK_SECONDS = Histogram(
    "convo_webhook_ack_seconds", "Time to answer a webhook POST.", buckets=WEBHOOK_BUCKETS
)
WEBHOOK_ITEMS = Counter(
    "convo_webhook_items", "Items in accepted webhook POSTs (message, status, error).", ["kind"]
)
WEBHOOK_REFUSED_ITEMS = Counter(
    "convo_webhook_refused_items", "Webhook items the store refused for good (logged by id)."
)
TURNS = Counter(
    "convo_turns", "Committed turns by answering lane, intent and router method.",
    ["lane", "intent", "method"],
)  # fmt: skip
TURN_RESULTS_TOTAL = Counter(
    "convo_turn_results", "Turn attempts by result (completed, duplicate, conflict, failed).",
    ["result"],
)  # fmt: skip
TURN_FAILURES = Counter("convo_turn_failures", "Failed turns by exception class.", ["error"])
TURNS_GIVEN_UP = Counter(
    "convo_turns_given_up", "Turns marked turn_failed after their last try, by cause "
    "(transient: recovered by itself; permanent: needs `convo retry-failed`).", ["cause"],
)  # fmt: skip
TURNS_RECOVERED = Counter(
    "convo_turns_recovered", "Turns re-enqueued by the recovery sweep, by what left them.",
    ["reason"],
)  # fmt: skip
TURN_SECONDS = Histogram(
    "convo_turn_seconds", "Committed turn duration, lock wait included.", ["lane"],
    buckets=TURN_BUCKETS,
)  # fmt: skip
BURST_WAIT_SECONDS = Histogram(
    "convo_burst_wait_seconds", "Wait of a text turn for the rest of its burst.",
    buckets=BURST_BUCKETS,
)  # fmt: skip
LANE_HANDOFFS = Counter(
    "convo_lane_handoffs", "A lane passing a turn to another lane.", ["from_lane", "to_lane"]
)
HUMAN_HANDOFFS = Counter(
    "convo_human_handoffs", "Conversations handed to people, by event.", ["event"]
)
LLM_CALLS = Counter(
    "convo_llm_calls", "Chat-model calls by purpose and outcome.", ["purpose", "outcome"]
)
LLM_CALL_SECONDS = Histogram(
    "convo_llm_call_seconds", "Chat-model call latency.", ["purpose"], buckets=LLM_BUCKETS
)
LLM_FALLBACKS = Counter(
    "convo_llm_fallbacks", "LLM answers replaced by the offline router, by reason.", ["reason"]
)
LOCK_ACQUISITIONS = Counter(
    "convo_session_lock_acquisitions", "Session locks taken, at once or after waiting.",
    ["contended"],
)  # fmt: skip
LOCK_WAIT_SECONDS = Histogram(
    "convo_session_lock_wait_seconds", "Time waited for a session lock.", buckets=LOCK_BUCKETS
)
LOCK_TIMEOUTS = Counter(
    "convo_session_lock_timeouts", "Turns that gave up waiting for their session lock."
)
SENDS = Counter("convo_sends", "Outbound messages by result.", ["result"])
SEND_ERRORS = Counter("convo_send_errors", "Graph API errors by error code.", ["code"])
JOB_RUNS = Counter("convo_job_runs", "Job runs: first or retry.", ["job", "attempt"])
ORDERS = Counter("convo_orders", "Orders reaching a status.", ["status"])
PAYMENTS = Counter("convo_payments", "Payments reaching a status.", ["provider", "status"])

# Children bound once: `labels()` costs a dict lookup and a lock; the hot path skips it.
_WEBHOOK_OUTCOME = {outcome: WEBHOOK_REQUESTS.labels(outcome) for outcome in WEBHOOK_OUTCOMES}
_TURN_RESULT = {result: TURN_RESULTS_TOTAL.labels(result) for result in TURN_RESULTS}
_SEND_RESULT = {result: SENDS.labels(result) for result in SEND_RESULTS}
_LOCK_CONTENDED = {True: LOCK_ACQUISITIONS.labels("yes"), False: LOCK_ACQUISITIONS.labels("no")}
for _kind in ("message", "status", "error"):
    WEBHOOK_ITEMS.labels(_kind)


# --- helpers: one per event -------------------------------------------------------------


def record_webhook(
    outcome: str, seconds: float, *, messages: int = 0, statuses: int = 0, errors: int = 0
) -> None:
    """A webhook POST answered (`outcome` is one of `WEBHOOK_OUTCOMES`)."""
    child = _WEBHOOK_OUTCOME.get(outcome) or WEBHOOK_REQUESTS.labels(outcome)
    child.inc()
    WEBHOOK_ACK_SECONDS.observe(seconds)
    if messages:
        WEBHOOK_ITEMS.labels("message").inc(messages)
    if statuses:
        WEBHOOK_ITEMS.labels("status").inc(statuses)
    if errors:
        WEBHOOK_ITEMS.labels("error").inc(errors)


def record_webhook_refused_item() -> None:
    WEBHOOK_REFUSED_ITEMS.inc()


def record_turn(
    *,
    lane: str,
    intent: str,
    method: str,
    seconds: float,
    handoffs: Iterable[tuple[str, str]] = (),
    fallback_reason: str | None = None,
) -> None:
    """A committed turn: which lane answered what, how it was decided, how long it took.

    `handoffs` are the lane-to-lane passes inside the turn, `(from_lane, to_lane)`.
    """
    TURNS.labels(lane, intent, method).inc()
    TURN_SECONDS.labels(lane).observe(seconds)
    _TURN_RESULT["completed"].inc()
    for source, target in handoffs:
        LANE_HANDOFFS.labels(source, target).inc()
    if fallback_reason:
        LLM_FALLBACKS.labels(fallback_reason).inc()


def record_turn_result(result: str, error: str | None = None) -> None:
    """A turn that did not complete: `duplicate`, `conflict` (retried) or `failed` (with the
    exception class name as `error`)."""
    (_TURN_RESULT.get(result) or TURN_RESULTS_TOTAL.labels(result)).inc()
    if result == "failed":
        TURN_FAILURES.labels(error or "unknown").inc()


def record_burst_wait(seconds: float) -> None:
    BURST_WAIT_SECONDS.observe(seconds)


def record_turn_given_up(cause: str) -> None:
    TURNS_GIVEN_UP.labels(cause).inc()


def record_turns_recovered(reason: str, count: int) -> None:
    if count:
        TURNS_RECOVERED.labels(reason).inc(count)


def record_human_handoff(event: str) -> None:
    """A committed move of a handoff to people: `requested`, `claimed` (an agent took it),
    `withdrawn` (cancelled or expired before a claim), `released` (back to the bot)."""
    HUMAN_HANDOFFS.labels(event).inc()


def record_llm_call(purpose: str, outcome: str, seconds: float) -> None:
    """One chat-model call (`purpose`: which part of the graph asked, e.g. `route`)."""
    LLM_CALLS.labels(purpose, outcome).inc()
    LLM_CALL_SECONDS.labels(purpose).observe(seconds)


def record_lock_acquired(waited_seconds: float, *, contended: bool) -> None:
    _LOCK_CONTENDED[contended].inc()
    LOCK_WAIT_SECONDS.observe(waited_seconds)


def record_lock_timeout(waited_seconds: float) -> None:
    LOCK_TIMEOUTS.inc()
    LOCK_WAIT_SECONDS.observe(waited_seconds)


def record_send(result: str) -> None:
    """An outbound message's attempt ended: `sent`, `retried`, `failed`, `rate_limited`,
    `unknown` (the outcome of a crashed attempt cannot be known)."""
    (_SEND_RESULT.get(result) or SENDS.labels(result)).inc()


def record_send_error(code: int | str) -> None:
    """The Graph API answered with `error.code`."""
    SEND_ERRORS.labels(str(code)).inc()


def job_kind(job_id: str | None) -> str:
    """`orchestrate:wamid.X` -> `orchestrate` (job ids start with their kind; see server.jobs)."""
    if not job_id:
        return "unknown"
    kind, _, rest = job_id.partition(":")
    return kind if rest else "cron"


def record_job_run(job_id: str | None, job_try: int) -> None:
    JOB_RUNS.labels(job_kind(job_id), "first" if job_try <= 1 else "retry").inc()


def record_order(status: str) -> None:
    """An order reached `status` (pending_payment when placed, paid, shipped, cancelled...)."""
    ORDERS.labels(status).inc()


def record_payment(provider: str, status: str) -> None:
    """A payment with `provider` (`stripe`, `offline`) reached `status` (pending, paid,
    failed, expired, cancelled)."""
    PAYMENTS.labels(provider, status).inc()


class Stopwatch:
    """`with Stopwatch() as watch: ...; watch.seconds` (monotonic clock)."""

    __slots__ = ("_started", "seconds")

    def __enter__(self) -> Stopwatch:
        self._started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._started


# --- exposition --------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(path: str | os.PathLike[str], *, empty: bool) -> Path:
    """Point the library at `path` (before this module is imported) and create it;
    `empty=True` removes values left by earlier runs (only for the folder's sole owner)."""
    folder = Path(path).resolve()
    if empty and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def process_exited(pid: int | None = None) -> None:
    """Bookkeeping when a process of a multi-process setup ends (live gauges)."""
    folder = multiprocess_dir()
    if folder:
        mark_process_dead(pid or os.getpid(), folder)


class _QueueCollector:
    """The queue's depth, read from Redis by the scrape just before rendering."""

    def __init__(self, ready: int, deferred: int) -> None:
        self.ready, self.deferred = ready, deferred

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "convo_queue_jobs", "Jobs in the arq queue: due now or deferred.", labels=["state"]
        )
        gauge.add_metric(["ready"], self.ready)
        gauge.add_metric(["deferred"], self.deferred)
        yield gauge


def render(queue: tuple[int, int] | None = None) -> tuple[bytes, str]:
    """The metrics page and its content type; `queue` is `(ready, deferred)` when known."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistry())
    if queue is not None:
        registry.register(_QueueCollector(*queue))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _DefaultRegistry:
    """The process's own registry (single-process mode), inside a per-scrape registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
