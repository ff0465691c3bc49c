"""The webhook's group commits, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from webhook_support import load_payload

from server.jobs.retry import is_transient
from server.store import create_engine, intake, migrate, repository, session_factory
from server.store.intake import (
    GroupCommitter,
    PendingWrite,
    Row,
    SqliteBackend,
    SqliteSynchronous,
    create_backend,
)
from server.store.models import WaMessage, WaStatusEvent
from server.whatsapp import parse_webhook


@dataclass
class Store:
    url: str
    committed: list[list[str]]
    """The jobs of each committed batch, as `after_commit` saw them."""


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
        await migrate(url)
        yield url
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run the store tests on it")
    name = f"convo_intake_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(make_url(base), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        await migrate(url)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def committer(store_url: str) -> AsyncIterator[tuple[GroupCommitter, list[list[str]]]]:
    committed: list[list[str]] = []

    async def after_commit(batch: list[PendingWrite]) -> None:
        committed.append([job for pending in batch for job in pending.jobs])

    writer = GroupCommitter(create_backend(store_url), after_commit=after_commit)
    try:
        yield writer, committed
    finally:
        await writer.aclose()


def message_rows(*wamids: str) -> list[dict[str, object]]:
    rows = []
    for wamid in wamids:
        payload = load_payload("text")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = wamid
        rows.append(repository.inbound_row(parse_webhook(payload).messages[0]))
    return rows


async def stored(url: str) -> tuple[list[WaMessage], list[WaStatusEvent]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            messages = (await session.execute(select(WaMessage).order_by(WaMessage.id))).scalars()
            statuses = (await session.execute(select(WaStatusEvent))).scalars()
            return list(messages), list(statuses)
    finally:
        await engine.dispose()


async def test_rows_read_back_through_the_orm_as_the_repository_would_store_them(
    committer, store_url: str
) -> None:
    writer, _ = committer
    batch = parse_webhook(load_payload("text"))
    statuses = parse_webhook(load_payload("status_sent")).statuses
    await writer.write(
        [repository.inbound_row(batch.messages[0])],
        [repository.status_row(statuses[0])],
    )
    messages, events = await stored(store_url)
    row = messages[0]
    assert (row.wamid, row.direction, row.status, row.text) == (
        "wamid.TEXT1",
        "inbound",
        repository.RECEIVED,
        "Does it come in another color?",
    )
    assert row.payload == batch.messages[0].envelope()
    assert row.provider_timestamp is not None and row.created_at is not None
    assert row.provider_timestamp.replace(tzinfo=None) == batch.messages[0].timestamp.replace(
        tzinfo=None
    )
    assert [(event.wamid, event.status) for event in events] == [
        (statuses[0].id, statuses[0].status)
    ]


async def test_concurrent_writes_share_a_transaction_and_duplicates_are_ignored(
    committer, store_url: str
) -> None:
    writer, committed = committer
    wamids = [f"wamid.C{i}" for i in range(30)]
    await asyncio.gather(
        *(writer.write(message_rows(w), jobs=[w]) for w in wamids),
        writer.write(message_rows("wamid.C0"), jobs=["dup"]),  # a duplicate delivery
    )
    messages, _ = await stored(store_url)
    assert sorted(row.wamid for row in messages) == sorted(wamids)
    assert len(committed) < 31  # fewer transactions than writes
    assert sorted(job for jobs in committed for job in jobs) == sorted([*wamids, "dup"])


async def test_a_bad_row_fails_only_its_own_request(committer, store_url: str) -> None:
    writer, committed = committer
    bad = message_rows("wamid.BAD")
    bad[0]["tenant_id"] = None  # NOT NULL: a permanent error on every retry
    results = await asyncio.gather(
        writer.write(message_rows("wamid.OK1"), jobs=["ok1"]),
        writer.write(bad, jobs=["bad"]),
        writer.write(message_rows("wamid.OK2"), jobs=["ok2"]),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], sqlalchemy.exc.IntegrityError)
    messages, _ = await stored(store_url)
    assert sorted(row.wamid for row in messages) == ["wamid.OK1", "wamid.OK2"]
    assert "bad" not in [job for jobs in committed for job in jobs]


async def test_an_unreachable_database_fails_the_batch_as_transient(tmp_path: Path) -> None:
    writer = GroupCommitter(create_backend("postgresql+asyncpg://nobody@127.0.0.1:9/none"))
    with pytest.raises(sqlalchemy.exc.OperationalError):
        await writer.write(message_rows("wamid.X"))
    await writer.aclose()


async def test_sqlite_waits_for_another_writer_without_holding_the_event_loop(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await migrate(url)
    backend = create_backend(url)
    assert isinstance(backend, SqliteBackend) and backend.on_loop  # `normal`: no disk sync
    writer = GroupCommitter(backend)
    other = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process (the worker) is writing
        write = asyncio.create_task(writer.write(message_rows("wamid.WAIT"), jobs=["w"]))
        ticks = 0
        while ticks < 20:  # the loop keeps serving other requests meanwhile
            await asyncio.sleep(0.005)
            ticks += 1
        assert not write.done()
        other.execute("COMMIT")
        await write
    finally:
        other.close()
        await writer.aclose()
    messages, _ = await stored(url)
    assert [row.wamid for row in messages] == ["wamid.WAIT"]


async def test_sqlite_gives_a_transient_error_when_the_lock_is_never_released(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await migrate(url)
    writer = GroupCommitter(SqliteBackend(str(tmp_path / "store.db"), busy_timeout_s=0.05))
    other = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlalchemy.exc.OperationalError) as raised:
            await writer.write(message_rows("wamid.LOCKED"))
        assert is_transient(raised.value)  # the webhook answers 503: Meta delivers again
        other.execute("ROLLBACK")
        await writer.write(message_rows("wamid.LOCKED"))  # and the next attempt stores it
    finally:
        other.close()
        await writer.aclose()
    messages, _ = await stored(url)
    assert [row.wamid for row in messages] == ["wamid.LOCKED"]


@pytest.mark.parametrize("synchronous", ["full", "normal"])
async def test_sqlite_checkpoints_the_wal_off_the_loop_and_full_sync_writes_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synchronous: SqliteSynchronous
) -> None:
    monkeypatch.setattr(intake, "CHECKPOINT_PAGES", 10)
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await migrate(url)
    backend = create_backend(url, sqlite_synchronous=synchronous)
    assert isinstance(backend, SqliteBackend)
    assert backend.on_loop == (synchronous == "normal")  # `full` syncs at every commit
    writer = GroupCommitter(backend)
    try:
        for index in range(12):
            await writer.write(message_rows(f"wamid.CK{index}"))
    finally:
        await writer.aclose()
    if backend.on_loop:
        assert backend.checkpoints >= 1
    messages, _ = await stored(url)
    assert len(messages) == 12


class HeldBackend:
    """Commits only when told to; records how many batches are being written at once."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.release = asyncio.Event()
        self.in_flight = 0
        self.most_in_flight = 0
        self.batches: list[list[str]] = []
        self.started = asyncio.Event()

    async def write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        self.started.set()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.batches.append([str(row["wamid"]) for row in messages])
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_a_batch_fills_and_commits_while_the_previous_one_waits_for_its_commit(
    concurrency: int,
) -> None:
    backend = HeldBackend(concurrency)
    writer = GroupCommitter(backend)
    first = asyncio.create_task(writer.write([{"wamid": "A"}]))
    await backend.started.wait()
    rest = [asyncio.create_task(writer.write([{"wamid": w}])) for w in ("B", "C")]
    for _ in range(5):
        await asyncio.sleep(0)
    assert backend.most_in_flight == concurrency
    backend.release.set()
    await asyncio.gather(first, *rest)
    await writer.aclose()
    # one connection: B and C wait for A's commit, then share one; two: they commit at once
    assert sorted(sorted(batch) for batch in backend.batches) == [["A"], ["B", "C"]]
