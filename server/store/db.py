"""Engine, sessions and migrations of the message store (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class StoreTimeouts:
    """Deadlines of the store: a database that hangs gives an error, not a hang.

    PostgreSQL only (SQLite is a local file: it waits up to 30 s for another writer's lock).
    `connect_s`: opening a connection, and waiting for one from the pool;
    `statement_s`: one statement (`statement_timeout` on the server and asyncpg's
    `command_timeout` on the client, which also covers a server that stopped answering)."""

    connect_s: float = 3.0
    statement_s: float = 5.0

    def asyncpg_args(self) -> dict[str, Any]:
        return {
            "timeout": self.connect_s,
            "command_timeout": self.statement_s,
            "server_settings": {"statement_timeout": str(int(self.statement_s * 1000))},
        }


def create_engine(
    url: str, *, sqlite_synchronous: str = "normal", timeouts: StoreTimeouts | None = None
) -> AsyncEngine:
    """An async engine; for SQLite, creates the folder and turns on WAL and foreign keys,
    with `PRAGMA synchronous=sqlite_synchronous` (durability: `intake.SQLITE_DURABILITY`).

    `hide_parameters`: a database error's text (logged by the webhook and the jobs) then
    shows the SQL but not the bound values, which hold phone numbers and message texts.
    """
    limits = timeouts or StoreTimeouts()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, async_creator=_sqlite_connector(url), hide_parameters=True
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous.upper()}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    connect_args = limits.asyncpg_args() if "asyncpg" in url.split("://", 1)[0] else {}
    return create_async_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        pool_timeout=limits.connect_s,
        connect_args=connect_args,
    )


class _SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, whose `stop()` always closes the SQLite connection.

    A connection SQLAlchemy ends after a cancellation (a job cancelled mid-write, then
    again while it is cleaned up, as when a worker restarts on a Redis failover) could keep
    its SQLite connection, and with it the database's write lock, open until the garbage
    collector freed it: every webhook and job of every process then timed out on the lock.
    aiosqlite's `stop()` closes whatever handle it finds when its thread gets to it, and
    `close()` clears the handle first; this `stop()` queues the close of the handle it sees
    now, in the connection's own thread (a second close is harmless)."""

    def stop(self) -> asyncio.Future[Any] | None:
        handle = self._connection
        if handle is not None:
            self._tx.put_nowait((None, handle.close))
        return super().stop()


def _sqlite_connector(url: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """SQLAlchemy's `async_creator`: a :class:`_SqliteConnection` opened with the arguments
    SQLAlchemy derives from `url`; another writer's lock is waited for up to 30 s."""
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
    from sqlalchemy.engine import make_url

    args, options = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    (database,) = args
    options = {**options, "timeout": 30}

    def open_sqlite() -> sqlite3.Connection:
        return sqlite3.connect(database, **options)

    async def connect() -> aiosqlite.Connection:
        connection = _SqliteConnection(open_sqlite, 64)
        connection._thread.daemon = True  # as SQLAlchemy does: never holds the exit up
        return await connection

    return connect


def session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    config.attributes["configure_logger"] = False
    return config


MIGRATION_LOCK_ID = 7_406_851_214
"""PostgreSQL advisory lock held while migrating (`migrations/env.py`): processes starting
together (web workers, a worker, `convo migrate`) migrate one after the other; the later
ones find the store at head and do nothing."""

_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*"([^"]*)"', re.MULTILINE)


def head_revisions() -> set[str]:
    """The newest revision(s) of the migration scripts, read from their files (importing
    Alembic and loading its environment costs more than the whole web app's imports)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        fields = dict(_REVISION.findall(script.read_text("utf-8")))
        if "revision" in fields:
            revisions.add(fields["revision"])
            parents.add(fields.get("down_revision", ""))
    return revisions - parents


async def _current_revisions(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in result}
    except Exception:  # no table yet, or unreadable: let Alembic decide
        return set()
    finally:
        await engine.dispose()


async def migrate(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision` (idempotent). A store already at the
    head is recognised without loading Alembic (the common case: every start)."""
    if revision == "head":
        heads = head_revisions()
        if heads and await _current_revisions(url) == heads:
            return
    from alembic import command

    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)
