"""A database that accepts connections and never answers gives an error (webhook: 503),
not a hang: connect and statement deadlines on the webhook's writer and the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy.exc
from sqlalchemy import text

from server.jobs.retry import is_transient
from server.store.db import StoreTimeouts, create_engine
from server.store.intake import GroupCommitter, PostgresBackend

SHORT = StoreTimeouts(connect_s=0.3, statement_s=0.3)


@pytest.fixture
async def hung_database() -> AsyncIterator[str]:
    """A TCP server on loopback that accepts and then says nothing (a hung PostgreSQL)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"postgresql+asyncpg://convo:secret@127.0.0.1:{port}/convo"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_the_webhook_writer_gives_a_transient_error_instead_of_hanging(
    hung_database: str,
) -> None:
    writer = GroupCommitter(PostgresBackend(hung_database, timeouts=SHORT), timeout_s=30)
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError) as raised:
            await writer.write([{"wamid": "wamid.X"}])
        assert is_transient(raised.value)  # the webhook answers 503: Meta delivers again
    finally:
        await writer.aclose()


async def test_the_engine_gives_up_connecting_to_a_hung_database(hung_database: str) -> None:
    engine = create_engine(hung_database, timeouts=SHORT)
    try:
        with pytest.raises((sqlalchemy.exc.DBAPIError, TimeoutError)) as raised:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert is_transient(raised.value)
    finally:
        await engine.dispose()


def test_the_timeouts_reach_the_driver_and_the_server() -> None:
    args = StoreTimeouts(connect_s=3, statement_s=5).asyncpg_args()
    assert args == {
        "timeout": 3,
        "command_timeout": 5,
        "server_settings": {"statement_timeout": "5000"},
    }
