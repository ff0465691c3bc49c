"""PostgreSQL cutting a pooled connection (a restart, a failover, a proxy dropping it)
gives an error the retry policy calls transient: the job is retried, not failed for good."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from server.jobs.retry import is_transient
from server.store.db import create_engine


class CuttingProxy:
    """Forwards TCP to PostgreSQL until `cut()` aborts every connection it carries."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.open: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.open += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    def cut(self) -> None:
        for writer in self.open:
            writer.transport.abort()

    async def aclose(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


@pytest.fixture
async def proxied_url() -> AsyncIterator[tuple[str, CuttingProxy]]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run this test on it")
    url = make_url(base)
    proxy = CuttingProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    try:
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False), proxy
    finally:
        await proxy.aclose()


async def _running(engine: AsyncEngine, statement: str) -> None:
    """Until PostgreSQL runs `statement` (seen from another connection)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE query = :q AND state = 'active'")
    async with engine.connect() as watcher:
        active = {"q": statement}
        while not (await watcher.execute(query, active)).scalar():  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.05)


async def test_a_connection_cut_mid_statement_is_a_transient_error(proxied_url) -> None:
    url, proxy = proxied_url
    engine = create_engine(url)
    direct = create_engine(os.environ["TEST_DATABASE_URL"])
    statement = f"SELECT pg_sleep(5) -- {uuid.uuid4().hex}"
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
            running = asyncio.create_task(connection.execute(text(statement)))
            await asyncio.wait_for(_running(direct, statement), 30)
            proxy.cut()  # mid-statement: "connection was closed in the middle of operation"
            with pytest.raises(Exception) as raised:  # any class: the chain decides
                await running
        assert is_transient(raised.value), repr(raised.value)
    finally:
        await engine.dispose()
        await direct.dispose()
