"""Burst coalescing through the real pipeline: signed webhooks -> arq worker -> the real
controller and graph on the embedded Redis -> outbox.

The messages are stored by the webhook before the worker runs, and the waits (the turn
job's deferral, the wait for the rest of a burst) run on a test clock that moves only when
the code sleeps: no test depends on how fast this machine is.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from webhook_support import job_ctx, post_webhook, running_app, stored_rows

import server.jobs.burst as burst
import server.jobs.orchestrate as orchestrate_module
from nodes.tenants.profile import DEFAULT_TENANTS_DIR
from server.chat_payloads import ChatUser, reply_payload, text_payload
from server.jobs import process as process_module
from server.jobs.orchestrate import close_controller, orchestrate_turn
from server.jobs.process import process_message
from server.store.models import WaMessage
from server.worker import build_worker

WINDOW_MS = 10_000


@dataclass
class StepClock:
    """A clock that stands still until the code under test sleeps; records the sleeps."""

    at: datetime
    slept: float = 0.0

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.slept += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StepClock:
    """A clock past every window of the test's messages: the worker finds each burst
    complete (the waits themselves are tested on their own below)."""
    stepped = StepClock(datetime.now(UTC) + timedelta(hours=1))
    monkeypatch.setattr(burst, "CLOCK", stepped)
    return stepped


def tenants_with_window(folder: Path, window_ms: int) -> Path:
    """The demo tenant's files, with `burst_window_ms` set."""
    folder.mkdir()
    for path in DEFAULT_TENANTS_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    profile = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    profile["burst_window_ms"] = window_ms
    (folder / "demo.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


@dataclass
class Drained:
    """What the worker left: the conversation's committed state."""

    session: dict[str, Any]


async def drain(app: FastAPI, wa_id: str) -> Drained:
    worker = build_worker(app.state.resources, burst=True, handle_signals=False)
    try:
        await worker.async_run()
        saver = worker.ctx["controller"].saver
        thread = f"100200300400500:{wa_id}"
        checkpoint = await saver.aget_tuple({"configurable": {"thread_id": thread}})
        assert checkpoint is not None
        return Drained(checkpoint.checkpoint["channel_values"]["session"])
    finally:
        await worker.close()


@pytest.fixture
async def app_with_window(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FastAPI]:
    window_ms = getattr(request, "param", WINDOW_MS)
    folder = tenants_with_window(tmp_path / "tenants", window_ms)
    env = {"ENABLE_ORCHESTRATION": "true", "CONVO_TENANTS_DIR": str(folder)}
    async with running_app(monkeypatch, redis_url, **env) as (client, app):
        app.state.test_client = client
        yield app


def user_texts(session: dict[str, Any]) -> list[str]:
    return [t["text"] for t in session["dialogue"]["turns"] if t["role"] == "user"]


BURSTS = {
    "en": ["hi", "I want to return", "the blue mug"],
    "es": ["hola", "quiero devolver", "la taza azul"],
    "pt": ["oi", "quero devolver", "a caneca azul"],
}


@pytest.mark.parametrize("language", sorted(BURSTS))
async def test_three_messages_in_a_burst_are_one_turn_with_one_reply(
    app_with_window: FastAPI, clock: StepClock, language: str
) -> None:
    user = ChatUser(wa_id="5511900000001", name="Ana")
    texts = BURSTS[language]
    wamids = [f"wamid.BURST.{language}.{i}" for i in range(3)]
    client = app_with_window.state.test_client
    for wamid, text in zip(wamids, texts, strict=True):
        assert (await post_webhook(client, text_payload(user, wamid, text))).status_code == 200

    drained = await drain(app_with_window, user.wa_id)

    assert drained.session["version"] == 1  # one turn
    assert user_texts(drained.session) == ["\n".join(texts)]  # the texts joined in order
    rows = await stored_rows(app_with_window)
    inbound = {r.wamid: r.status for r in rows if r.direction == "inbound"}
    assert inbound == dict.fromkeys(wamids, "answered")
    replies = [r for r in rows if r.direction == "outbound"]
    assert replies, "the burst got no reply"
    assert {r.context_wamid for r in replies} == {wamids[-1]}  # one turn's reply, to the last


async def test_a_button_tap_is_not_merged_with_the_text_after_it(
    app_with_window: FastAPI, clock: StepClock
) -> None:
    user = ChatUser(wa_id="5511900000002", name="Bea")
    client = app_with_window.state.test_client
    tap = reply_payload(
        user, "wamid.TAP", kind="button", choice_id="menu:info", title="Info", replying_to="x"
    )
    assert (await post_webhook(client, tap)).status_code == 200
    text = text_payload(user, "wamid.AFTER", "what time do you close?")
    assert (await post_webhook(client, text)).status_code == 200

    drained = await drain(app_with_window, user.wa_id)

    assert drained.session["version"] == 2  # two turns
    assert user_texts(drained.session)[-1] == "what time do you close?"
    replies = await stored_rows(app_with_window, "outbound")
    assert {r.context_wamid for r in replies} == {"wamid.TAP", "wamid.AFTER"}


@pytest.mark.parametrize("app_with_window", [0], indirect=True)
async def test_window_zero_answers_each_message_on_its_own(
    app_with_window: FastAPI, clock: StepClock
) -> None:
    user = ChatUser(wa_id="5511900000003", name="Caio")
    client = app_with_window.state.test_client
    wamids = [f"wamid.ZERO.{i}" for i in range(3)]
    for wamid, text in zip(wamids, BURSTS["en"], strict=True):
        assert (await post_webhook(client, text_payload(user, wamid, text))).status_code == 200

    drained = await drain(app_with_window, user.wa_id)

    assert drained.session["version"] == 3
    assert user_texts(drained.session) == BURSTS["en"]
    replies = await stored_rows(app_with_window, "outbound")
    assert {r.context_wamid for r in replies} == set(wamids)


async def test_a_meta_retry_of_a_coalesced_message_gets_no_second_reply(
    app_with_window: FastAPI, clock: StepClock
) -> None:
    user = ChatUser(wa_id="5511900000004", name="Davi")
    client = app_with_window.state.test_client
    wamids = [f"wamid.RETRY.{i}" for i in range(3)]
    payloads = [
        text_payload(user, wamid, text) for wamid, text in zip(wamids, BURSTS["pt"], strict=True)
    ]
    for payload in payloads:
        assert (await post_webhook(client, payload)).status_code == 200
    await drain(app_with_window, user.wa_id)
    replies_before = await stored_rows(app_with_window, "outbound")

    resources = app_with_window.state.resources
    await resources.redis.delete(*[k async for k in resources.redis.scan_iter("arq:result:*")])
    for payload in payloads:  # Meta delivers them all again
        assert (await post_webhook(client, payload)).status_code == 200
    drained = await drain(app_with_window, user.wa_id)
    # and a job of each runs again anyway (a retried job, the recovery sweep)
    ctx = {"resources": resources, "redis": None, "job_try": 1}
    for wamid in wamids:
        assert await orchestrate_turn(ctx, wamid) == "duplicate"

    assert drained.session["version"] == 1
    replies_after = await stored_rows(app_with_window, "outbound")
    assert [r.id for r in replies_after] == [r.id for r in replies_before]


def _row(wamid: str, kind: str, at_ms: int) -> WaMessage:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return WaMessage(wamid=wamid, message_type=kind, created_at=t0 + timedelta(milliseconds=at_ms))


def test_bursts_break_at_a_gap_longer_than_the_window_and_around_taps() -> None:
    rows = [
        _row("a", "text", 0),
        _row("b", "text", 900),  # within 1 s of a
        _row("c", "text", 2_500),  # 1.6 s after b: a new burst
        _row("tap", "interactive", 2_600),
        _row("d", "text", 2_700),  # right after a tap: never merged with it
        _row("e", "text", 2_800),
        _row("f", "location", 2_900),
    ]
    bursts = burst.plan_bursts(rows, 1_000, committed=set())
    assert [[r.wamid for r in b] for b in bursts] == [
        ["a", "b"], ["c"], ["tap"], ["d", "e"], ["f"]
    ]  # fmt: skip
    assert len(burst.plan_bursts(rows, 0, committed=set())) == len(rows)  # off


def test_a_committed_message_is_never_part_of_a_new_burst() -> None:
    rows = [_row("a", "text", 0), _row("b", "text", 10), _row("c", "text", 20)]
    bursts = burst.plan_bursts(rows, 1_000, committed={"b"})
    assert [[r.wamid for r in b] for b in bursts] == [["a"], ["b"], ["c"]]


def test_a_burst_holds_at_most_ten_messages() -> None:
    rows = [_row(f"m{i}", "text", i) for i in range(12)]
    assert [len(b) for b in burst.plan_bursts(rows, 1_000, committed=set())] == [10, 2]


async def _stored(app: FastAPI, payloads: list[dict[str, Any]]) -> list[WaMessage]:
    """Post each payload; the inbound rows, in arrival order."""
    for payload in payloads:
        assert (await post_webhook(app.state.test_client, payload)).status_code == 200
    return await stored_rows(app, "inbound")


async def test_a_texts_turn_job_is_queued_until_its_window_is_over(
    app_with_window: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = ChatUser(wa_id="5511900000005", name="Edu")
    text = text_payload(user, "wamid.DEFER.text", "hi")
    tap = reply_payload(
        user, "wamid.DEFER.tap", kind="button", choice_id="menu:info", title="Info", replying_to="x"
    )
    rows = await _stored(app_with_window, [text, tap])
    monkeypatch.setattr(burst, "CLOCK", StepClock(burst.arrived(rows[0])))  # as it arrives
    queued: dict[str, float] = {}

    async def record(queue: Any, function: str, wamid: str, *, job_id: str, defer_s: float = 0):  # type: ignore[no-untyped-def]
        queued[wamid] = defer_s
        return True

    monkeypatch.setattr(process_module, "enqueue_once", record)
    ctx = {"resources": app_with_window.state.resources, "redis": None, "job_try": 1}
    for row in rows:
        assert await process_message(ctx, row.wamid) == "orchestrating"
    # the text waits in the queue for its window; a tap runs at once
    assert queued == {"wamid.DEFER.text": WINDOW_MS / 1000, "wamid.DEFER.tap": 0}


async def test_the_wait_ends_a_window_after_the_newest_text_at_most_three_windows(
    app_with_window: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = ChatUser(wa_id="5511900000006", name="Flor")
    texts = [text_payload(user, f"wamid.WAIT.{i}", t) for i, t in enumerate(BURSTS["es"])]
    first, _, third = await _stored(app_with_window, texts)
    resources = app_with_window.state.resources
    window = timedelta(milliseconds=WINDOW_MS)

    clock = StepClock(burst.arrived(first))  # the first text's job, as soon as it arrives
    monkeypatch.setattr(burst, "CLOCK", clock)
    await burst.settle(resources, first, WINDOW_MS)
    assert clock.at == burst.arrived(third) + window  # a window after the newest text

    # a customer who keeps typing: the third text came 2.5 windows after the first
    async with resources.sessions.begin() as session:
        moved = await session.get(WaMessage, third.id)
        moved.created_at = burst.arrived(first) + 2.5 * window
    clock = StepClock(burst.arrived(first))
    monkeypatch.setattr(burst, "CLOCK", clock)
    await burst.settle(resources, first, WINDOW_MS)
    assert clock.at == burst.arrived(first) + 3 * window  # answered then; the rest comes next


class Crash(BaseException):
    """The worker process dies here (nothing after it runs, nothing is marked)."""


async def test_a_crash_after_the_burst_committed_loses_nothing_and_answers_once(
    app_with_window: FastAPI, clock: StepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = ChatUser(wa_id="5511900000007", name="Gil")
    texts = [text_payload(user, f"wamid.CRASH.{i}", t) for i, t in enumerate(BURSTS["en"])]
    rows = await _stored(app_with_window, texts)
    wamids = [row.wamid for row in rows]
    ctx = job_ctx(app_with_window)
    for wamid in wamids:
        assert await process_message(ctx, wamid) == "orchestrating"
    store_replies = orchestrate_module._store_replies

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise Crash

    monkeypatch.setattr(orchestrate_module, "_store_replies", crash)
    try:
        with pytest.raises(Crash):  # the burst's turn commits, then the worker dies
            await orchestrate_turn(ctx, wamids[0])
        statuses = {r.wamid: r.status for r in await stored_rows(app_with_window, "inbound")}
        assert set(statuses.values()) == {"processed"}  # all still waiting in the store
        monkeypatch.setattr(orchestrate_module, "_store_replies", store_replies)
        for wamid in reversed(wamids):  # the jobs run again, in any order
            await orchestrate_turn(ctx, wamid)
    finally:
        await close_controller(ctx)

    rows = await stored_rows(app_with_window)
    assert {r.wamid: r.status for r in rows if r.direction == "inbound"} == dict.fromkeys(
        wamids, "answered"
    )
    replies = [r for r in rows if r.direction == "outbound"]
    assert replies and {r.context_wamid for r in replies} == {wamids[-1]}
    keys = [r.idempotency_key for r in replies]
    assert len(keys) == len(set(keys))  # each reply once
    version = await app_with_window.state.resources.redis.hget(
        f"session:100200300400500:{user.wa_id}", "version"
    )
    assert version == b"1"  # one turn
