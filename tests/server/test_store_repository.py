"""The message store's idempotent writes, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from webhook_support import load_payload

from graph.messages import Button, ButtonsMessage, TextMessage
from server.store import create_engine, migrate, repository, session_factory
from server.store.models import WaMessage, WaStatusEvent
from server.whatsapp import Status, parse_webhook

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sessions]:
    """A migrated, empty store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
        async with _store(url) as factory:
            yield factory
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run the store tests on it")
    name = f"convo_store_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(make_url(base), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        async with _store(url) as factory:
            yield factory
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def _store(url: str) -> AsyncIterator[Sessions]:
    await migrate(url)
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _message(name: str = "text"):  # type: ignore[no-untyped-def]
    return parse_webhook(load_payload(name)).messages[0]


def _status(name: str, wamid: str = "wamid.OUT1") -> Status:
    payload = load_payload(name)
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return parse_webhook(payload).statuses[0]


async def _outbound(sessions: Sessions, wamid: str, status: str = "sent") -> None:
    async with sessions.begin() as session:
        session.add(
            WaMessage(
                direction="outbound",
                wamid=wamid,
                idempotency_key=f"k-{wamid}",
                tenant_id="106540352242922",
                wa_id="16505551234",
                message_type="text",
                payload={},
                status=status,
            )
        )


async def test_inbound_is_stored_once_per_wamid(sessions: Sessions) -> None:
    message = _message()
    results = []
    for _ in range(3):
        async with sessions.begin() as session:
            results.append(await repository.store_inbound(session, message))
    assert results == [True, False, False]
    async with sessions() as session:
        rows = list((await session.execute(select(WaMessage))).scalars())
    assert len(rows) == 1
    assert rows[0].payload["message"]["id"] == "wamid.TEXT1"
    assert rows[0].provider_timestamp is not None


async def test_concurrent_duplicate_inserts_store_one_row(sessions: Sessions) -> None:
    message = _message("text_unicode")

    async def store() -> bool:
        async with sessions.begin() as session:
            return await repository.store_inbound(session, message)

    results = await asyncio.gather(*(store() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_status_events_apply_monotonically_out_of_order(sessions: Sessions) -> None:
    await _outbound(sessions, "wamid.OUT1", status="sending")
    for name in ("status_read", "status_sent", "status_delivered", "status_read"):
        async with sessions.begin() as session:
            await repository.store_status_event(session, _status(name))
            assert await repository.apply_status_events(session, "wamid.OUT1") == "read"
    async with sessions() as session:
        events = list((await session.execute(select(WaStatusEvent))).scalars())
    assert sorted(e.status for e in events) == ["delivered", "read", "sent"]
    assert all(e.applied_at is not None for e in events)


async def test_pending_events_in_one_batch_apply_in_rank_order(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for name in ("status_delivered", "status_sent"):
            await repository.store_status_event(session, _status(name, "wamid.LATE"))
        assert await repository.apply_status_events(session, "wamid.LATE") is None
    async with sessions() as session:
        assert await repository.pending_status_wamids(session) == []  # no outbound row yet
    await _outbound(sessions, "wamid.LATE", status="queued")
    async with sessions() as session:
        assert await repository.pending_status_wamids(session) == ["wamid.LATE"]
    async with sessions.begin() as session:
        assert await repository.apply_status_events(session, "wamid.LATE") == "delivered"


async def test_failed_records_the_error_and_nothing_moves_it(sessions: Sessions) -> None:
    await _outbound(sessions, "wamid.OUT2")
    async with sessions.begin() as session:
        for name in ("status_failed", "status_read"):
            await repository.store_status_event(session, _status(name, "wamid.OUT2"))
        assert await repository.apply_status_events(session, "wamid.OUT2") == "failed"
    async with sessions() as session:
        row = await repository.get_by_wamid(session, "wamid.OUT2")
    assert row is not None and (row.error_code, row.error_title) == (
        131047,
        "Re-engagement message",
    )


async def test_outbox_rows_are_created_once_and_listed_per_user(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await repository.store_inbound(session, _message())
    replies = [
        TextMessage(body="Hello!"),
        ButtonsMessage(body="Pick", buttons=(Button(id="a", title="A"),)),
    ]
    for _ in range(2):
        async with sessions.begin() as session:
            inbound = await repository.get_by_wamid(session, "wamid.TEXT1")
            assert inbound is not None
            rows = await repository.add_outbox(session, inbound, replies, status="logged")
    assert [(r.idempotency_key, r.message_type, r.text) for r in rows] == [
        ("wamid.TEXT1:reply:0", "text", "Hello!"),
        ("wamid.TEXT1:reply:1", "buttons", "Pick"),
    ]
    async with sessions() as session:
        listed = await repository.outbox_after(
            session, tenant_id="106540352242922", wa_id="16505551234", after_id=rows[0].id
        )
        others = await repository.outbox_after(session, tenant_id="106540352242922", wa_id="1")
    assert [r.id for r in listed] == [rows[1].id] and others == []


async def test_inbound_state_moves_only_from_the_expected_states(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await repository.store_inbound(session, _message())
    async with sessions() as session:
        assert await repository.unprocessed_inbound(session) == ["wamid.TEXT1"]
    async with sessions.begin() as session:
        moved = await repository.advance_inbound(
            session, "wamid.TEXT1", repository.PROCESSED, from_statuses=[repository.RECEIVED]
        )
        again = await repository.advance_inbound(
            session, "wamid.TEXT1", repository.PROCESSED, from_statuses=[repository.RECEIVED]
        )
    assert (moved, again) == (True, False)
    async with sessions() as session:
        assert await repository.unprocessed_inbound(session) == []


async def test_oversized_ids_from_a_malformed_payload_are_clipped_not_refused(
    sessions: Sessions,
) -> None:
    payload = load_payload("text_reply")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = "9" * 100
    value["messages"][0]["from"] = "5" * 50
    value["messages"][0]["context"]["id"] = "c" * 400
    (message,) = parse_webhook(payload).messages
    async with sessions.begin() as session:
        assert await repository.store_inbound(session, message)
    async with sessions() as session:
        row = await repository.get_by_wamid(session, "wamid.TEXTREPLY1")
    assert row is not None and (len(row.tenant_id), len(row.wa_id)) == (64, 32)
    assert row.payload["message"]["from"] == "5" * 50  # the raw JSON keeps the truth


async def test_an_error_code_too_large_for_the_column_is_dropped_not_refused(
    sessions: Sessions,
) -> None:
    """PostgreSQL would refuse the whole webhook batch (503, retried by Meta for days)."""
    payload = load_payload("status_failed")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"][0]["code"] = 2**40
    (status,) = parse_webhook(payload).statuses
    async with sessions.begin() as session:
        assert await repository.store_status_event(session, status)
    async with sessions() as session:
        (event,) = (await session.execute(select(WaStatusEvent))).scalars()
    assert (event.error_code, event.payload["errors"][0]["code"]) == (None, 2**40)


async def test_a_database_error_text_does_not_show_the_bound_values(tmp_path: Path) -> None:
    """The webhook and the jobs log `str(exc)`: it must not carry phone numbers or texts."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/store.db")
    try:
        async with engine.connect() as conn:
            with pytest.raises(sqlalchemy.exc.OperationalError) as caught:
                await conn.execute(
                    text("SELECT * FROM missing WHERE x = :x"), {"x": "5511987654321"}
                )
        assert "missing" in str(caught.value)
        assert "5511987654321" not in str(caught.value)
    finally:
        await engine.dispose()


async def test_a_nul_character_does_not_block_the_store(sessions: Sessions) -> None:
    """PostgreSQL refuses NUL in text columns; one odd message must not make the whole
    batch fail (503) on every retry Meta sends for days. The webhook's decoder turns NUL
    into U+FFFD before anything is parsed, so ids stay consistent for every job."""
    import json

    from server.webhook import _decode

    payload = load_payload("text")
    message_json = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message_json["text"]["body"] = "hola\x00mundo"
    message_json["id"] = "wamid.NUL\x001"
    body = _decode(json.dumps(payload).encode())
    assert body is not None
    message = parse_webhook(body).messages[0]
    async with sessions.begin() as session:
        assert await repository.store_inbound(session, message)
    async with sessions() as session:
        (row,) = (await session.execute(select(WaMessage))).scalars()
    assert (row.text, row.wamid) == ("hola\ufffdmundo", "wamid.NUL\ufffd1")
    assert row.payload["message"]["text"]["body"] == "hola\ufffdmundo"
