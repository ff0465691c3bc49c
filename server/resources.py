"""The process's connections, opened once and closed on exit.

`open_resources()` starts the embedded Redis when `REDIS_URL` is unset, connects to it,
checks it has the modules the checkpointer needs, migrates and opens the message store.
The web app and the worker share this code.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.embedded_redis import EmbeddedRedis
from server.instance_lock import InstanceLockedError, hold_data_dir
from server.jobs import enqueue_committed
from server.logging import get_logger
from server.redis_connect import connect
from server.redis_modules import require_modules
from server.reshard import SourceOf, previous_shards
from server.settings import Settings
from server.shards import shard_index, thread_id
from server.store import create_engine, migrate, session_factory
from server.store.db import StoreTimeouts
from server.store.intake import GroupCommitter, create_backend

log = get_logger(__name__)


@dataclass
class Resources:
    settings: Settings
    redis_url: str = field(repr=False)  # may hold a password
    redis: aioredis.Redis
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    intake: GroupCommitter | None = None
    """The webhook's writer, group commits of concurrent requests (`server.store.intake`);
    always set by `open_resources`."""
    session_shards: tuple[aioredis.Redis, ...] = ()
    """One client per session shard (`REDIS_SESSION_URLS`); empty: sessions on `redis`."""
    session_moved_from: SourceOf | None = None
    """After a change of the shard list (`REDIS_SESSION_URLS_PREVIOUS`): where a thread's
    session was before, when that is another server (`server.reshard`)."""

    def session_redis(self, tenant_id: str, wa_id: str) -> aioredis.Redis:
        """The Redis that holds this conversation's session, lock and turn markers."""
        shards = self.session_shards or (self.redis,)
        return shards[shard_index(thread_id(tenant_id, wa_id), len(shards))]


@contextlib.asynccontextmanager
async def redis_server(settings: Settings, *, owner: str = "") -> AsyncIterator[str]:
    """Yield a Redis URL: `REDIS_URL`, or an embedded server kept in `{data_dir}/redis`.

    The embedded one runs only while this process holds the data folder's lock
    (`InstanceLockedError` when another instance does); `owner` is shown to that other one.
    """
    if settings.main_redis_url:
        yield settings.main_redis_url
        return
    with hold_data_dir(settings.data_dir, owner=owner):
        server = EmbeddedRedis(data_dir=Path(settings.data_dir) / "redis").start()
        log.info("embedded_redis.started", url=server.url, data_dir=str(server.data_dir))
        url_file = Path(settings.data_dir) / RUNNING_REDIS_URL
        url_file.write_text(server.url + "\n")
        try:
            yield server.url
        finally:
            url_file.unlink(missing_ok=True)
            server.stop()
            log.info("embedded_redis.stopped")


RUNNING_REDIS_URL = "redis.url"
"""In the data folder while its embedded Redis runs: where tools find it (`convo inspect`)."""


@contextlib.asynccontextmanager
async def reach_redis(settings: Settings) -> AsyncIterator[str]:
    """A Redis URL for a tool: `REDIS_URL`; else the embedded Redis of the instance running
    on this data folder; else an embedded Redis started for the tool's own use."""
    async with contextlib.AsyncExitStack() as stack:
        try:
            url = await stack.enter_async_context(redis_server(settings, owner="a convo tool"))
        except InstanceLockedError:
            url_file = Path(settings.data_dir) / RUNNING_REDIS_URL
            if not url_file.exists():
                raise
            url = url_file.read_text().strip()
        yield url


@contextlib.asynccontextmanager
async def open_resources(
    settings: Settings, redis_url: str | None = None
) -> AsyncIterator[Resources]:
    """Open Redis and the store; with `redis_url`, use that server instead of resolving one."""
    async with contextlib.AsyncExitStack() as stack:
        url = redis_url if redis_url else await stack.enter_async_context(redis_server(settings))
        client = connect(url)
        stack.push_async_callback(client.aclose)
        await client.ping()
        await require_modules(client, url)  # RedisModulesMissing: refuse to start
        shards = []
        for shard_url in settings.session_redis_urls:
            shard = connect(shard_url)
            stack.push_async_callback(shard.aclose)
            await require_modules(shard, shard_url)
            shards.append(shard)
        moved_from = await _previous_shards(stack, settings, url, client, shards)
        await migrate(settings.sqlalchemy_url)
        timeouts = StoreTimeouts(
            connect_s=settings.database_connect_timeout_seconds,
            statement_s=settings.database_statement_timeout_seconds,
        )
        engine = create_engine(
            settings.sqlalchemy_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            timeouts=timeouts,
        )
        stack.push_async_callback(engine.dispose)
        intake = GroupCommitter(
            create_backend(
                settings.sqlalchemy_url,
                sqlite_synchronous=settings.sqlite_synchronous,
                timeouts=timeouts,
            ),
            timeout_s=timeouts.connect_s + timeouts.statement_s,
            after_commit=functools.partial(enqueue_committed, client),
        )
        stack.push_async_callback(intake.aclose)
        yield Resources(
            settings=settings,
            redis_url=url,
            redis=client,
            engine=engine,
            sessions=session_factory(engine),
            intake=intake,
            session_shards=tuple(shards),
            session_moved_from=moved_from,
        )


async def _previous_shards(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    main_url: str,
    main: aioredis.Redis,
    shards: list[aioredis.Redis],
) -> SourceOf | None:
    """The previous shard list's lookup (`server.reshard`), with a client per address:
    the ones already open when the address is the same, new ones for the others."""
    previous = settings.session_redis_urls_previous
    current = settings.session_redis_urls or [main_url]
    clients: dict[str, aioredis.Redis] = dict(zip(current, shards or [main], strict=True))
    clients.setdefault(main_url, main)
    for address in previous:
        if address not in clients:
            client = connect(address)
            stack.push_async_callback(client.aclose)
            await client.ping()
            clients[address] = client
    return previous_shards(current, previous, clients)
