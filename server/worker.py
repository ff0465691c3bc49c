"""The arq job worker. Job functions are registered in `JOB_FUNCTIONS`.

arq's worker stops for good when Redis stops answering (its poll loop raises), and
nothing would restart it. :class:`WorkerSupervisor` runs it in a loop instead: a worker
that died is closed and a new one started after a backoff (1 s doubling to 15 s), which
resumes by itself once Redis is back (its start-up runs `recover_pending`, so work stored
while the queue was away is enqueued). `convo worker` and the in-process worker of
`convo serve` both run under it; the latter reports its state in `/readyz` (`worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from arq.constants import in_progress_key_prefix
from arq.cron import cron
from arq.worker import Worker

from server import metrics
from server.chatwoot.status import CHATWOOT_STATUS_JOB
from server.chatwoot.sync import CHATWOOT_SYNC_JOB
from server.health import Readiness
from server.jobs.handoff import expire_handoffs
from server.jobs.orchestrate import close_controller, orchestrate_turn, router_ready, warm_up
from server.jobs.process import process_message, process_status, recover_pending
from server.jobs.retry import describe_error
from server.jobs.send import SEND_MESSAGE_JOB, close_client, recover_outbox
from server.logging import get_logger
from server.redis_connect import arq_settings
from server.resources import Resources
from server.settings import Settings
from server.support.notify import NOTIFY_HANDOFF_JOB

log = get_logger(__name__)

JOB_FUNCTIONS: list[Any] = [
    process_message,
    process_status,
    orchestrate_turn,
    SEND_MESSAGE_JOB,
    NOTIFY_HANDOFF_JOB,
    CHATWOOT_SYNC_JOB,
    CHATWOOT_STATUS_JOB,
]
"""Coroutine functions `async def job(ctx, ...)`; `ctx["resources"]` is the :class:`Resources`."""

CRON_JOBS: list[Any] = [
    cron(recover_pending, second=30, run_at_startup=True, unique=True),
    cron(recover_outbox, second=45, unique=True),
    cron(expire_handoffs, second=15, unique=True),
]
"""Periodic jobs: `recover_pending` re-enqueues work the webhook stored while Redis was down."""


def build_worker(
    resources: Resources, *, burst: bool = False, handle_signals: bool = True
) -> Worker:
    """A worker on the resources' Redis; `burst=True` drains the queue and returns (tests)."""

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = resources
        await warm_up(ctx)  # the controller, before the first turn (when orchestration is on)

    async def on_job_start(ctx: dict[str, Any]) -> None:
        metrics.record_job_run(ctx.get("job_id"), int(ctx.get("job_try") or 1))
        start_heartbeat(ctx)

    async def on_job_end(ctx: dict[str, Any]) -> None:
        stop_heartbeat(ctx)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await close_controller(ctx)  # created by warm_up or the first orchestrate_turn
        await close_client(ctx)  # the Graph API client, created by the first send_message

    worker = Worker(
        functions=JOB_FUNCTIONS,
        cron_jobs=CRON_JOBS,
        on_shutdown=on_shutdown,
        redis_settings=arq_settings(resources.redis_url),
        on_startup=on_startup,
        on_job_start=on_job_start,
        on_job_end=on_job_end,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.1,
        max_jobs=resources.settings.worker_max_jobs,
    )
    return worker


HEARTBEAT_TTL_S = 30.0
"""A running job's in-progress key lives this long past its last heartbeat. arq sets it to
the job timeout + 10 s (310 s) at the start; a job on a worker that died (kill -9, a lost
machine) would wait that long before another worker runs it. The heartbeat shortens it to
this and keeps extending it while the job runs, so a long job keeps its key and a dead
worker's job is free again within this bound."""
HEARTBEAT_EVERY_S = 10.0


def start_heartbeat(ctx: dict[str, Any]) -> None:
    """From arq's `on_job_start` (inside the job's own task): beat until that task ends."""
    owner = asyncio.current_task()
    job_id = ctx.get("job_id")
    if owner is None or not job_id or "redis" not in ctx:
        return
    key = in_progress_key_prefix + str(job_id)
    ctx["heartbeat"] = asyncio.create_task(
        _heartbeat(ctx["redis"], key, owner), name=f"heartbeat:{job_id}"
    )


def stop_heartbeat(ctx: dict[str, Any]) -> None:
    task = ctx.pop("heartbeat", None)
    if task is not None:
        task.cancel()


async def _heartbeat(redis: Any, key: str, owner: asyncio.Task[Any]) -> None:
    ttl_ms = int(HEARTBEAT_TTL_S * 1000)
    while not owner.done():  # also ends a beat whose job was torn down without on_job_end
        try:
            await redis.pexpire(key, ttl_ms, xx=True)
        except Exception as exc:  # Redis away: the job fails or finishes on its own
            log.warning("worker.heartbeat_failed", error=describe_error(exc))
        await asyncio.sleep(HEARTBEAT_EVERY_S)


RESTART_MIN_S = 1.0
RESTART_MAX_S = 15.0
STABLE_AFTER_S = 60.0
"""A worker that ran this long before it died restarts at the shortest backoff again."""


@dataclass
class WorkerSupervisor:
    """Runs the arq worker and starts a new one whenever it dies (see module doc).

    With `handle_signals`, SIGINT and SIGTERM (and SIGHUP with `stop_on_sighup`) stop it
    gracefully (`stop`): no new job is taken, the running ones get
    `WORKER_SHUTDOWN_GRACE_SECONDS` to finish, those still running after that are handed
    back to the queue, and `run` returns. A second signal hands back at once."""

    resources: Resources
    handle_signals: bool = True
    stop_on_sighup: bool = False
    """Also stop on SIGHUP, like SIGTERM (`convo worker` in a terminal that closes)."""
    worker: Worker | None = None
    running: bool = False
    restarts: int = 0
    last_error: str | None = None
    _delay_s: float = field(default=RESTART_MIN_S, repr=False)
    _stopping: asyncio.Event | None = field(default=None, repr=False)
    _drain: asyncio.Task[None] | None = field(default=None, repr=False)
    _hurry: asyncio.Event | None = field(default=None, repr=False)

    async def run(self) -> None:
        """Until the worker stops on purpose (a signal, a burst drained) or this task is
        cancelled."""
        self._stopping = asyncio.Event()
        self._hurry = asyncio.Event()
        signals = self._install_signal_handlers()
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                if await self._run_once():
                    return
                if time.monotonic() - started > STABLE_AFTER_S:
                    self._delay_s = RESTART_MIN_S
                log.warning("worker.restarting", in_s=self._delay_s, restarts=self.restarts + 1)
                with contextlib.suppress(TimeoutError):  # a stop signal ends the wait
                    await asyncio.wait_for(self._stopping.wait(), self._delay_s)
                self._delay_s = min(self._delay_s * 2, RESTART_MAX_S)
                self.restarts += 1
        finally:
            loop = asyncio.get_running_loop()
            for sig in signals:
                loop.remove_signal_handler(sig)
            if self._drain is not None and not self._drain.done():
                self._drain.cancel()

    def _install_signal_handlers(self) -> list[signal.Signals]:
        if not self.handle_signals:
            return []
        wanted = [signal.SIGINT, signal.SIGTERM]
        if self.stop_on_sighup:
            wanted.append(signal.SIGHUP)
        loop = asyncio.get_running_loop()
        installed = []
        for sig in wanted:
            try:
                loop.add_signal_handler(sig, self.stop, sig)
            except (NotImplementedError, RuntimeError):  # Windows; not the main thread
                continue
            installed.append(sig)
        return installed

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop gracefully (see class doc); called again: hand the running jobs back now."""
        if self._stopping is None or self._hurry is None:
            return
        if self._stopping.is_set():
            log.info("worker.stop_hurried", signal=sig.name)
            self._hurry.set()
            return
        self._stopping.set()
        self._drain = asyncio.get_running_loop().create_task(
            self._drain_and_stop(sig), name="worker-drain"
        )

    async def _drain_and_stop(self, sig: signal.Signals) -> None:
        worker = self.worker
        if worker is None or not self.running:
            return  # between two workers: `run` sees the stop and returns
        assert self._hurry is not None
        worker.allow_pick_jobs = False  # arq's poll loop keeps running but takes no job
        grace_s = self.resources.settings.worker_shutdown_grace_seconds
        running = [task for task in worker.tasks.values() if not task.done()]
        log.info("worker.stopping", signal=sig.name, running_jobs=len(running), grace_s=grace_s)
        if running and grace_s > 0:
            finished = asyncio.ensure_future(asyncio.wait(running))
            hurry = asyncio.ensure_future(self._hurry.wait())
            await asyncio.wait([finished, hurry], timeout=grace_s, return_when="FIRST_COMPLETED")
            finished.cancel()  # only the wait: the jobs themselves go on
            hurry.cancel()
        left = [job_id for job_id, task in worker.tasks.items() if not task.done()]
        for job_id in left:
            # The job's own task when it runs (arq then puts the job back in the queue,
            # free for any worker at once), else arq's task that is starting it.
            (worker.job_tasks.get(job_id) or worker.tasks[job_id]).cancel()
        if left:  # arq's bookkeeping of the hand-back (in-progress key deleted)
            await asyncio.wait([worker.tasks[job_id] for job_id in left], timeout=10)
        log.info(
            "worker.stopped",
            signal=sig.name,
            finished_jobs=len(running) - len(left),
            handed_back_jobs=len(left),
        )
        if worker.main_task is not None and not worker.main_task.done():
            worker.main_task.cancel()

    async def _run_once(self) -> bool:
        """Run one worker; True when it ended on purpose, False when it died."""
        worker = build_worker(self.resources, handle_signals=False)
        self.worker = worker
        self.running = True
        try:
            await worker.async_run()
            return True
        except asyncio.CancelledError:
            if _being_cancelled() or self._stopping is None or not self._stopping.is_set():
                raise
            return True  # stopped by `stop`
        except Exception as exc:  # Redis away (arq's poll raised), or a start-up failure
            self.last_error = describe_error(exc)
            log.error("worker.died", error=self.last_error)
            return False
        finally:
            self.running = False
            await _close(worker)


async def _close(worker: Worker) -> None:
    """Close a worker that stopped or died: its running jobs are cancelled (a job cut off
    here is run again once its in-progress key expires); Redis may be away, so errors of
    the close itself are logged, not raised."""
    for task in worker.tasks.values():
        task.cancel()
    if worker.main_task is not None and not worker.main_task.done():
        worker.main_task.cancel()
    try:
        await asyncio.wait_for(worker.close(), timeout=10)
    except (Exception, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.CancelledError) and _being_cancelled():
            raise
        log.warning("worker.close_failed", error=describe_error(exc))


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def worker_readiness(
    supervisor: WorkerSupervisor, readiness: Readiness, settings: Settings
) -> None:
    """Add the in-process worker's checks to `/readyz`: `worker` (running, not waiting to
    be restarted) and, when orchestration is on, `router` (trained or loaded) and
    `controller` (built); until then a turn would have to wait."""

    def worker_running() -> str | None:
        if supervisor.running:
            return None
        return f"restarting (restarts: {supervisor.restarts})"

    readiness.add("worker", worker_running)
    if not settings.enable_orchestration:
        return

    def router() -> str | None:
        return None if router_ready() else "loading the router"

    def controller() -> str | None:
        ctx = supervisor.worker.ctx if supervisor.worker is not None else {}
        if ctx.get("controller") is not None:
            return None
        return "failed (see the logs)" if ctx.get("controller_error") else "building"

    readiness.add("router", router)
    readiness.add("controller", controller)
