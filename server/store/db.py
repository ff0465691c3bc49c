"""Engine, sessions and migrations of the message store (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(url: str, *, sqlite_synchronous: str = "normal") -> AsyncEngine:
    """An async engine; for SQLite, creates the folder and turns on WAL and foreign keys,
    with `PRAGMA synchronous=sqlite_synchronous` (durability: `intake.SQLITE_DURABILITY`).

    `hide_parameters`: a database error's text (logged by the webhook and the jobs) then
    shows the SQL but not the bound values, which hold phone numbers and message texts.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous.upper()}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    config.attributes["configure_logger"] = False
    return config


async def migrate(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision` (idempotent)."""
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)
