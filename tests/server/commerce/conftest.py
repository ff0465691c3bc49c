"""Fixtures for the commerce store: a migrated database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from nodes.tenants import load_catalog, load_profile
from server.commerce.catalog import ensure_seeded
from server.store import create_engine, migrate, session_factory

Sessions = async_sessionmaker[AsyncSession]


@contextlib.asynccontextmanager
async def migrated_store(url: str) -> AsyncIterator[Sessions]:
    await migrate(url)
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def postgres_database(base: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database on the server of `base`, dropped afterwards."""
    name = f"convo_commerce_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(make_url(base), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sessions]:
    """A migrated store with the demo tenant's catalog seeded."""
    if request.param == "sqlite":
        async with migrated_store(f"sqlite+aiosqlite:///{tmp_path}/store.db") as factory:
            await _seed(factory)
            yield factory
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run the store tests on it")
    async with postgres_database(base) as url, migrated_store(url) as factory:
        await _seed(factory)
        yield factory


async def _seed(factory: Sessions) -> None:
    async with factory.begin() as session:
        await ensure_seeded(session, "demo", load_catalog(load_profile("demo")))
