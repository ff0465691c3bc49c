"""`convo retry-failed`: the turns marked `turn_failed` are enqueued again and a worker
answers them (after the bug or the bad data that failed them is fixed)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from webhook_support import post_webhook, resources_of, running_app, stored_rows

from server.chat_payloads import ChatUser, text_payload
from server.cli import main
from server.store import repository
from server.store.models import WaMessage
from server.worker import build_worker

USER = ChatUser(wa_id="5511987654321", name="Ana")


async def _run_worker(app) -> None:  # type: ignore[no-untyped-def]
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_retry_failed_runs_the_failed_turns_again(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_app(monkeypatch, redis_url, ENABLE_ORCHESTRATION="true") as (client, app):
        response = await post_webhook(
            client, text_payload(USER, "wamid.R1", "what time do you open?")
        )
        assert response.status_code == 200
        await _run_worker(app)
        (inbound,) = await stored_rows(app, "inbound")
        assert inbound.status == repository.ANSWERED
        # As a turn given up for good leaves it; its replies were never made
        async with resources_of(app).sessions.begin() as session:
            await session.execute(
                update(WaMessage)
                .where(WaMessage.wamid == "wamid.R1")
                .values(status=repository.TURN_FAILED, error_title="permanent: ValueError")
            )
        await app.state.resources.redis.flushdb()  # no processed marker, no old job result
        capsys.readouterr()

        assert await asyncio.to_thread(main, ["retry-failed"]) == 0
        assert "re-enqueued 1 failed turn(s)" in capsys.readouterr().out
        await _run_worker(app)
        (inbound,) = await stored_rows(app, "inbound")
        assert inbound.status == repository.ANSWERED
        assert await asyncio.to_thread(main, ["retry-failed"]) == 0  # nothing left
        assert "re-enqueued 0 failed turn(s)" in capsys.readouterr().out
