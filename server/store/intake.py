"""Group commits of webhook items: many concurrent POSTs, one transaction.

Every webhook POST must have its messages and statuses durably stored before it is
acknowledged. Committing each POST on its own costs a transaction (and, on SQLite, a
thread hop per statement plus a WAL sync) per request, which is what capped the webhook.
:class:`GroupCommitter` instead queues the rows of concurrent requests and lets one flusher
write everything queued so far in one transaction, then answers all of them:

    request A ─┐                    ┌─> A: stored
    request B ─┼─> [queue] ─> flush ┼─> B: stored        one transaction, one commit
    request C ─┘   (next batch fills└─> C: stored        (then one Redis call for their jobs)
                    while this one commits)

An idle server flushes a lone request at once (no timer, no added latency); under load the
batches grow by themselves, so the commits per second stay bounded while requests per
second rise. A request's `write()` returns only after *its* transaction committed; if the
batch fails, every request of it gets the error (the webhook answers 503 and Meta delivers
again: inserts are insert-or-ignore, so nothing is stored twice). A permanent error (a data
error in one request's rows) does not fail its neighbours: the batch is retried one
request per transaction, so only the request that carries the bad row sees the error.

Backends, each with its own connection, opened on the first write:

- **SQLite** (:class:`SqliteBackend`): one `sqlite3` connection in one thread, one thread
  hop per batch (`BEGIN IMMEDIATE`, `executemany`, `COMMIT`). WAL mode; the sync level is
  `SQLITE_SYNCHRONOUS` (see :data:`SQLITE_DURABILITY`).
- **PostgreSQL** (:class:`PostgresBackend`): one asyncpg connection, each table's rows in
  one pipelined `executemany` (atomic), so a batch of one kind of item is one round trip.
  Commits wait for the WAL flush (`synchronous_commit` as configured on the server).

Driver errors are raised as SQLAlchemy's DB-API exception classes (`OperationalError`,
`DataError`, ...) with the driver's error as `.orig`, like the rest of the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import sqlalchemy.exc
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from server.logging import get_logger
from server.store.db import StoreTimeouts
from server.store.models import WaMessage, WaStatusEvent

log = get_logger(__name__)

SqliteSynchronous = Literal["off", "normal", "full", "extra"]

SQLITE_DURABILITY: dict[str, str] = {
    "off": "no sync at all: a process crash keeps commits, an OS crash or power loss "
    "can lose them and corrupt the database",
    "normal": "WAL synced at checkpoints: a process crash loses nothing acknowledged; "
    "an OS crash or power loss can lose the last commits (the database stays consistent)",
    "full": "WAL synced at every commit: commits survive power loss too",
    "extra": "as full, and the directory is synced too",
}
"""What each `PRAGMA synchronous` level keeps in WAL mode (SQLite's documentation)."""

MESSAGE_COLUMNS = tuple(
    column.name for column in WaMessage.__table__.columns if column.name != "id"
)
STATUS_COLUMNS = tuple(
    column.name for column in WaStatusEvent.__table__.columns if column.name != "id"
)

Row = dict[str, Any]


@dataclass
class PendingWrite:
    """One request's rows, and the future its request awaits."""

    messages: Sequence[Row]
    statuses: Sequence[Row]
    jobs: Sequence[Any]
    """What to do once the rows are stored (the webhook's jobs), for `after_commit`."""
    future: asyncio.Future[None] = field(repr=False)


class Backend(Protocol):
    async def write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        """Insert-or-ignore the rows in one transaction; raise a SQLAlchemy DB-API error."""

    async def aclose(self) -> None: ...


AfterCommit = Callable[[Sequence[PendingWrite]], Awaitable[None]]


class GroupCommitter:
    """Writes the rows of concurrent requests in shared transactions (see module doc)."""

    def __init__(
        self, backend: Backend, *, timeout_s: float = 10.0, after_commit: AfterCommit | None = None
    ) -> None:
        self.backend = backend
        self.timeout_s = timeout_s
        self.after_commit = after_commit
        """Called with each committed batch before its requests are answered (the webhook
        enqueues the batch's jobs there: one Redis call for all of them). Must not raise."""
        self._queue: list[PendingWrite] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def write(
        self, messages: Sequence[Row], statuses: Sequence[Row] = (), jobs: Sequence[Any] = ()
    ) -> None:
        """Return once the rows are committed (and `after_commit` ran); raise what the
        commit raised."""
        if not messages and not statuses:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(PendingWrite(messages, statuses, jobs, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all(), name="group-commit")
        await asyncio.shield(future)

    async def _flush_all(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            await self._flush(batch)

    async def _flush(self, batch: list[PendingWrite]) -> None:
        try:
            await self._commit(batch)
        except Exception as exc:
            if len(batch) == 1 or _is_transient_store_error(exc):
                _fail(batch, exc)
                return
            for pending in batch:  # a permanent error: find whose rows it was
                await self._flush([pending])
            return
        self.batches += 1
        self.items += len(batch)
        if self.after_commit is not None:
            try:
                await self.after_commit(batch)
            except Exception:  # the rows are stored: the answer is 200 whatever happens here
                log.exception("group_commit.after_commit_failed")
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)

    async def _commit(self, batch: Sequence[PendingWrite]) -> None:
        messages = [row for pending in batch for row in pending.messages]
        statuses = [row for pending in batch for row in pending.statuses]
        await asyncio.wait_for(self.backend.write(messages, statuses), self.timeout_s)

    async def aclose(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        await self.backend.aclose()


def _fail(batch: Sequence[PendingWrite], exc: Exception) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(exc)


def _is_transient_store_error(exc: Exception) -> bool:
    """Worth answering every request of the batch with it (retrying one by one cannot help)."""
    transient = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, OSError)
    return isinstance(exc, transient)  # OSError: ConnectionError and TimeoutError too


def _insert_sql(table: Any, columns: Sequence[str], placeholder: Callable[[int], str]) -> str:
    names = ", ".join(columns)
    values = ", ".join(placeholder(index) for index in range(1, len(columns) + 1))
    return f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"


class SqliteBackend:
    """One `sqlite3` connection in one thread; one hop per batch (see module doc)."""

    def __init__(self, path: str, *, synchronous: SqliteSynchronous = "normal") -> None:
        self.path = path
        self.synchronous = synchronous
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-intake")
        self._local = threading.local()
        dialect = sqlite_dialect.dialect()
        self._statements = [
            (
                _insert_sql(table, columns, lambda _index: "?"),
                columns,
                [table.c[name].type.bind_processor(dialect) for name in columns],
            )
            for table, columns in (
                (WaMessage.__table__, MESSAGE_COLUMNS),
                (WaStatusEvent.__table__, STATUS_COLUMNS),
            )
        ]

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
        return connection

    def _write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            for rows, (sql, columns, processors) in zip(
                (messages, statuses), self._statements, strict=True
            ):
                if rows:
                    connection.executemany(sql, [_bound(row, columns, processors) for row in rows])
            connection.execute("COMMIT")
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a value it cannot encode
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise _dbapi_error(exc, "INSERT (webhook batch)") from exc

    async def write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._write, messages, statuses)

    def _close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)


def _bound(row: Row, columns: Sequence[str], processors: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        process(row.get(name)) if process is not None else row.get(name)
        for name, process in zip(columns, processors, strict=True)
    )


class PostgresBackend:
    """One asyncpg connection; each table's rows in one pipelined `executemany`."""

    def __init__(self, url: str, *, timeouts: StoreTimeouts | None = None) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.timeouts = timeouts or StoreTimeouts()
        self._connection: Any = None
        self._statements = [
            (_insert_sql(table, columns, lambda index: f"${index}"), columns)
            for table, columns in (
                (WaMessage.__table__, MESSAGE_COLUMNS),
                (WaStatusEvent.__table__, STATUS_COLUMNS),
            )
        ]

    async def _connect(self) -> Any:
        import asyncpg

        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self.dsn, **self.timeouts.asyncpg_args())
        return self._connection

    async def write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        try:
            connection = await self._connect()
            batches = [
                (sql, [_pg_values(row, columns) for row in rows])
                for rows, (sql, columns) in zip((messages, statuses), self._statements, strict=True)
                if rows
            ]
            if len(batches) == 1:
                await connection.executemany(*batches[0])  # atomic: one implicit transaction
            else:
                async with connection.transaction():
                    for sql, values in batches:
                        await connection.executemany(sql, values)
        except asyncio.CancelledError:
            await self._discard()
            raise
        except Exception as exc:
            if _connection_broken(exc):
                await self._discard()
            raise _dbapi_error(exc, "INSERT (webhook batch)") from exc

    async def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)


def _pg_values(row: Row, columns: Sequence[str]) -> tuple[Any, ...]:
    return tuple(json.dumps(row[name]) if name == "payload" else row.get(name) for name in columns)


def _connection_broken(exc: BaseException) -> bool:
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return not sqlstate or sqlstate.startswith(("08", "57"))


_TRANSIENT_SQLSTATE = ("08", "53", "40", "57")


def _dbapi_error(exc: Exception, statement: str) -> sqlalchemy.exc.DBAPIError:
    """The driver's error as the SQLAlchemy DB-API class the rest of the store raises."""
    if isinstance(exc, sqlite3.Error):
        return sqlalchemy.exc.DBAPIError.instance(  # type: ignore[return-value]
            statement, None, exc, sqlite3.Error, hide_parameters=True
        )
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    if not sqlstate and isinstance(exc, ValueError | TypeError):
        # A value the driver cannot encode (asyncpg's DataError is a ValueError): the
        # data is wrong, not the connection; retrying the same bytes cannot help.
        return sqlalchemy.exc.DataError(statement, None, exc, hide_parameters=True)
    kind: type[sqlalchemy.exc.DBAPIError]
    if sqlstate.startswith("22"):
        kind = sqlalchemy.exc.DataError
    elif sqlstate.startswith("23"):
        kind = sqlalchemy.exc.IntegrityError
    elif sqlstate.startswith("42"):
        kind = sqlalchemy.exc.ProgrammingError
    elif sqlstate and not sqlstate.startswith(_TRANSIENT_SQLSTATE):
        kind = sqlalchemy.exc.DatabaseError
    else:  # no SQLSTATE: the connection failed (refused, reset, closed, timed out)
        kind = sqlalchemy.exc.OperationalError
    return kind(statement, None, exc, hide_parameters=True)


def create_backend(
    url: str,
    *,
    sqlite_synchronous: SqliteSynchronous = "normal",
    timeouts: StoreTimeouts | None = None,
) -> Backend:
    """The backend for a SQLAlchemy URL (`sqlite+aiosqlite:///...` or `postgresql+asyncpg://`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ValueError("the webhook's group commits need a SQLite file, not :memory:")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        return SqliteBackend(database, synchronous=sqlite_synchronous)
    if parsed.get_backend_name() == "postgresql":
        return PostgresBackend(url, timeouts=timeouts)
    raise ValueError(f"no group-commit backend for {parsed.get_backend_name()}")
