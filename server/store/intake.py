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

Backends, each with its own connection(s), opened on the first write:

- **SQLite** (:class:`SqliteBackend`): WAL mode; the sync level is `SQLITE_SYNCHRONOUS`
  (see :data:`SQLITE_DURABILITY`). At `normal` (the default) or `off` a commit makes no disk
  sync, so a batch (`BEGIN IMMEDIATE`, `executemany`, `COMMIT`: well under a millisecond) is
  written on the event loop itself: no thread hop, whose GIL hand-offs under load cost more
  than the write (a batch of 16 rows took 22 ms through a thread on the loaded 2-core
  machine). Another process holding the write lock (the worker) is waited for with
  `asyncio.sleep` between attempts, never by blocking the loop; the WAL checkpoints (which
  do sync) run in a thread. At `full`/`extra` every commit syncs the disk, so batches are
  written in one thread (one hop per batch).
- **PostgreSQL** (:class:`PostgresBackend`): up to `concurrency` asyncpg connections, so
  a batch waits for the server's WAL flush while the next one fills and commits on another
  connection (the server flushes concurrent commits together). Each table's rows go in one
  pipelined `executemany` (atomic), so a batch of one kind of item is one round trip.
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
        self.max_in_flight = max(1, int(getattr(backend, "concurrency", 1)))
        """Batches committed at once (the backend's connections): while one waits for its
        commit, the next one is written on another connection."""
        self._flushers: set[asyncio.Task[None]] = set()
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
        if len(self._flushers) < self.max_in_flight:
            flusher = asyncio.create_task(self._flush_all(), name="group-commit")
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
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
        while self._flushers:
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._flushers)
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


ON_LOOP_SYNCHRONOUS = frozenset({"off", "normal"})
"""Sync levels at which a SQLite commit makes no disk sync: written on the event loop."""

CHECKPOINT_PAGES = 1000
"""About how many WAL pages between two checkpoints (SQLite's own autocheckpoint default)."""

_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _is_busy(exc: sqlite3.Error) -> bool:
    """Another connection holds the lock (retry later), as opposed to an error of the data."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.OperationalError)
        and code is not None
        and (code & 0xFF in _BUSY_CODES)
    )


class SqliteBackend:
    """WAL-mode SQLite, batches written on the event loop (or one thread at `full`/`extra`);
    see the module doc."""

    def __init__(
        self, path: str, *, synchronous: SqliteSynchronous = "normal", busy_timeout_s: float = 30
    ) -> None:
        self.path = path
        self.synchronous = synchronous
        self.busy_timeout_s = busy_timeout_s
        self.on_loop = synchronous in ON_LOOP_SYNCHRONOUS
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-intake")
        self._local = threading.local()
        self._loop_connection: sqlite3.Connection | None = None
        self._pages_since_checkpoint = 0
        self._checkpoint: asyncio.Future[None] | None = None
        self.checkpoints = 0
        self.busy_waits = 0
        """Attempts that found another connection writing (each followed by a short sleep)."""
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

    def _open(self, *, busy_timeout_s: float, autocheckpoint: bool) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
            connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            if not autocheckpoint:
                connection.execute("PRAGMA wal_autocheckpoint=0")
        except BaseException:
            connection.close()
            raise
        return connection

    def _thread_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open(busy_timeout_s=self.busy_timeout_s, autocheckpoint=True)
            self._local.connection = connection
        return connection

    def _write_rows(
        self, connection: sqlite3.Connection, messages: Sequence[Row], statuses: Sequence[Row]
    ) -> None:
        """One transaction; raises the driver's error (rolled back)."""
        try:
            connection.execute("BEGIN IMMEDIATE")
            for rows, (sql, columns, processors) in zip(
                (messages, statuses), self._statements, strict=True
            ):
                if rows:
                    connection.executemany(sql, [_bound(row, columns, processors) for row in rows])
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise

    def _write_in_thread(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        try:
            self._write_rows(self._thread_connection(), messages, statuses)
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a value it cannot encode
            raise _dbapi_error(exc, "INSERT (webhook batch)") from exc

    async def write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        loop = asyncio.get_running_loop()
        if not self.on_loop:
            await loop.run_in_executor(self._executor, self._write_in_thread, messages, statuses)
            return
        deadline = loop.time() + self.busy_timeout_s
        pause = 0.0002
        while True:
            try:
                if self._loop_connection is None:
                    self._loop_connection = self._open(busy_timeout_s=0, autocheckpoint=False)
                self._write_rows(self._loop_connection, messages, statuses)
                break
            except (sqlite3.Error, ValueError) as exc:
                if not (isinstance(exc, sqlite3.Error) and _is_busy(exc)):
                    raise _dbapi_error(exc, "INSERT (webhook batch)") from exc
                if loop.time() >= deadline:
                    raise _dbapi_error(exc, "INSERT (webhook batch)") from exc
            # Another process writes (the worker): wait without holding the loop, then try
            # again soon: its transactions leave short gaps, which a long sleep would miss.
            self.busy_waits += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.002)
        self._pages_since_checkpoint += 2 + len(messages) + len(statuses)
        if self._pages_since_checkpoint >= CHECKPOINT_PAGES and self._checkpoint is None:
            self._pages_since_checkpoint = 0
            self._checkpoint = loop.run_in_executor(self._executor, self._checkpoint_now)
            self._checkpoint.add_done_callback(self._checkpoint_done)

    def _checkpoint_now(self) -> None:
        """Copy the WAL into the database (it syncs the disk: a thread, not the loop).
        PASSIVE: never waits for, nor blocks, readers and writers."""
        try:
            self._thread_connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the next one will try again
            log.warning("group_commit.checkpoint_failed", error=type(exc).__name__)

    def _checkpoint_done(self, _future: asyncio.Future[None]) -> None:
        self._checkpoint = None
        self.checkpoints += 1

    def _close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
        connection, self._loop_connection = self._loop_connection, None
        if connection is not None:
            connection.close()

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        if self._checkpoint is not None:
            with contextlib.suppress(Exception):
                await self._checkpoint
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)


def _bound(row: Row, columns: Sequence[str], processors: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        process(row.get(name)) if process is not None else row.get(name)
        for name, process in zip(columns, processors, strict=True)
    )


class PostgresBackend:
    """Up to `concurrency` asyncpg connections, one per batch being committed; each table's
    rows in one pipelined `executemany` (see module doc)."""

    def __init__(
        self, url: str, *, timeouts: StoreTimeouts | None = None, concurrency: int = 4
    ) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.timeouts = timeouts or StoreTimeouts()
        self.concurrency = concurrency
        self._idle: list[Any] = []
        self._busy: set[Any] = set()
        self._statements = [
            (_insert_sql(table, columns, lambda index: f"${index}"), columns)
            for table, columns in (
                (WaMessage.__table__, MESSAGE_COLUMNS),
                (WaStatusEvent.__table__, STATUS_COLUMNS),
            )
        ]

    async def _acquire(self) -> Any:
        import asyncpg

        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
        return await asyncpg.connect(self.dsn, **self.timeouts.asyncpg_args())

    async def write(self, messages: Sequence[Row], statuses: Sequence[Row]) -> None:
        connection = None
        try:
            connection = await self._acquire()
            self._busy.add(connection)
            # Rows in key order: two batches committing at once that share a key (a duplicate
            # delivery) lock it in the same order, so one waits for the other (no deadlock).
            batches = [
                (sql, [_pg_values(row, columns) for row in sorted(rows, key=_row_key)])
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
            self._discard(connection)
            raise
        except Exception as exc:
            if _connection_broken(exc):
                self._discard(connection)
                connection = None
            raise _dbapi_error(exc, "INSERT (webhook batch)") from exc
        finally:
            if connection is not None and connection in self._busy:
                self._busy.discard(connection)
                self._idle.append(connection)

    def _discard(self, connection: Any) -> None:
        if connection is not None:
            self._busy.discard(connection)
            connection.terminate()

    async def aclose(self) -> None:
        connections, self._idle = [*self._idle, *self._busy], []
        self._busy = set()
        for connection in connections:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)


def _row_key(row: Row) -> tuple[str, str]:
    return (str(row.get("wamid") or ""), str(row.get("status") or ""))


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
