"""The worker outlives Redis: it is restarted while Redis is away and answers afterwards.

Each test runs its own embedded Redis (with AOF, in the test's tmp dir) so it can stop and
start it without touching the shared one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from webhook_support import FakeController, load_payload, post_webhook, running_app, stored_rows

import server.jobs.orchestrate as orchestrate_module
import server.worker
from server.embedded_redis import EmbeddedRedis

WAIT_S = 90.0
"""A bound for waiting on a condition (not a timing assert): far above the seconds it takes."""


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"still waiting for: {what}")
        await asyncio.sleep(0.1)


async def test_the_in_process_worker_is_restarted_after_redis_comes_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    controller = FakeController()

    async def make(resources: object) -> FakeController:
        return controller

    monkeypatch.setattr(orchestrate_module, "make_controller", make)
    monkeypatch.setattr(server.worker, "RESTART_MAX_S", 1.0)  # keep the test short
    redis_server = EmbeddedRedis(data_dir=tmp_path / "redis").start()
    try:
        env = {"ENABLE_ORCHESTRATION": "true"}
        async with running_app(monkeypatch, redis_server.url, run_worker=True, **env) as (
            client,
            app,
        ):

            async def worker_state() -> str:
                checks = (await client.get("/readyz")).json()["checks"]
                return str(checks["worker"]["status"])

            async def answered() -> bool:
                rows = await stored_rows(app, "inbound")
                return bool(rows) and all(row.status == "answered" for row in rows)

            await _until(lambda: _is(worker_state, "ok"), "the worker runs")
            redis_server.stop()  # Redis away: arq's poll raises, the worker dies
            await _until(lambda: _is(worker_state, "waiting"), "readyz reports the worker down")
            assert (await post_webhook(client, load_payload("text"))).status_code == 200
            redis_server.start()  # back on the same port, with its AOF
            await _until(answered, "the message stored during the outage is answered")
            await _until(lambda: _is(worker_state, "ok"), "the worker runs again")
            assert [turn.msg_id for turn in controller.turns] == ["wamid.TEXT1"]  # once
    finally:
        redis_server.stop()


async def _is(probe: Callable[[], Awaitable[str]], expected: str) -> bool:
    return await probe() == expected


async def test_a_running_turn_holds_its_job_by_heartbeat_not_for_five_minutes(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """arq marks a running job in progress for its timeout + 10 s (310 s): a dead worker's
    turn would wait that long. The heartbeat keeps the mark at 30 s, renewed while the turn
    runs, so another worker takes over a dead one's turn within 30 s of its last beat; by
    then the turn's claim and the session lock have (nearly) expired too."""
    from server.controller import ControllerConfig
    from server.worker import HEARTBEAT_TTL_S

    release = asyncio.Event()
    started = asyncio.Event()

    class SlowController(FakeController):
        async def handle_turn(self, turn, backlog=None):  # type: ignore[no-untyped-def]
            started.set()
            await release.wait()
            return await super().handle_turn(turn)

    controller = SlowController()

    async def make(resources: object) -> FakeController:
        return controller

    monkeypatch.setattr(orchestrate_module, "make_controller", make)
    env = {"ENABLE_ORCHESTRATION": "true"}
    async with running_app(monkeypatch, redis_url, run_worker=True, **env) as (client, app):
        await post_webhook(client, load_payload("text"))
        await asyncio.wait_for(started.wait(), WAIT_S)
        redis = app.state.resources.redis
        key = "arq:in-progress:orchestrate:wamid.TEXT1"

        async def short_lived() -> bool:
            return 0 < await redis.pttl(key) <= HEARTBEAT_TTL_S * 1000

        await _until(short_lived, "the in-progress mark is held by the heartbeat")
        release.set()

        async def answered() -> bool:
            rows = await stored_rows(app, "inbound")
            return bool(rows) and rows[0].status == "answered"

        await _until(answered, "the turn is answered")
        assert not await redis.exists(key)
    assert ControllerConfig().orchestrated_ttl_s <= 60
    assert ControllerConfig().lock.ttl_ms / 1000 <= HEARTBEAT_TTL_S
