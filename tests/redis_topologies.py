"""Redis topologies from the embedded binaries, for the Sentinel and shard tests.

`SentinelGroup`: a primary and a replica (both `redis-server` with RedisJSON and RediSearch)
and three sentinels (the same binary with `--sentinel`), all on loopback ports of their own.
(Lives at tests/ so every test folder can import it.)
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis

from server.embedded_redis import EmbeddedRedis, _binaries, free_port
from server.redis_connect import sentinel_url

MASTER = "convo"
DEADLINE_S = 180.0
"""A bound for a switch on a loaded machine (a sentinel whose timer runs late enters TILT
mode and does nothing for 30 s), never a timing assertion."""
DOWN_AFTER_MS = 5000
"""A primary this long without answering is down. Shorter, a busy test machine makes the
sentinels fail over a primary that was only slow (a switch the test did not ask for)."""
FAILOVER_TIMEOUT_MS = 20000


class SentinelGroup:
    """Primary + replica + 3 sentinels (quorum 2), down after `DOWN_AFTER_MS`. A context
    manager."""

    def __init__(self) -> None:
        self.primary = EmbeddedRedis()
        self.replica: EmbeddedRedis | None = None
        self.sentinels: list[subprocess.Popen[bytes]] = []
        self.sentinel_ports: list[int] = []
        self._dir = Path(tempfile.mkdtemp(prefix="convo-sentinel-"))

    @property
    def url(self) -> str:
        """The `redis+sentinel://` address of the group's primary."""
        return sentinel_url([("127.0.0.1", port) for port in self.sentinel_ports], MASTER)

    @property
    def servers(self) -> list[EmbeddedRedis]:
        return [server for server in (self.primary, self.replica) if server is not None]

    def start(self) -> SentinelGroup:
        self.primary.start()
        self.replica = EmbeddedRedis(
            extra_args=["--replicaof", "127.0.0.1", str(self.primary.port)]
        ).start()
        self.wait_for(lambda: self.role(self.replica) == "slave" and self._synced(), "replica sync")
        server, _, _ = _binaries()
        for index in range(3):
            port = free_port()
            config = self._dir / f"sentinel-{index}.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self._dir}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {MASTER} 1\n"
            )
            log = (self._dir / f"sentinel-{index}.log").open("wb")
            self.sentinels.append(
                subprocess.Popen([str(server), str(config), "--sentinel"], stdout=log, stderr=log)
            )
            self.sentinel_ports.append(port)
        self.wait_for(self._sentinels_agree, "sentinels to see the primary and its replica")
        return self

    def role(self, server: EmbeddedRedis | None) -> str:
        if server is None or server.process is None:
            return "down"
        client = redis.Redis(port=server.port, socket_connect_timeout=1)
        try:
            return str(client.info("replication")["role"])
        except redis.exceptions.ConnectionError:
            return "down"
        finally:
            client.close()

    def _synced(self) -> bool:
        return self.replica_synced(self.replica)

    def replica_synced(self, server: EmbeddedRedis | None) -> bool:
        """`server` is a replica whose link to its primary is up."""
        if server is None or server.process is None:
            return False
        client = redis.Redis(port=server.port, socket_connect_timeout=1)
        try:
            info = client.info("replication")
            return info.get("role") == "slave" and info.get("master_link_status") == "up"
        except redis.exceptions.ConnectionError:
            return False
        finally:
            client.close()

    def _sentinels_agree(self) -> bool:
        for port in self.sentinel_ports:
            client = redis.Redis(port=port, socket_connect_timeout=1)
            try:
                master = client.sentinel_master(MASTER)
                if (
                    int(master.get("num-slaves", 0)) < 1
                    or int(master.get("num-other-sentinels", 0)) < 2
                ):
                    return False
            except redis.exceptions.RedisError:
                return False
            finally:
                client.close()
        return True

    def primary_port(self) -> int:
        """The primary's port as the sentinels see it now."""
        client = redis.Redis(port=self.sentinel_ports[0])
        try:
            _host, port = client.sentinel_get_master_addr_by_name(MASTER)
            return int(port)
        finally:
            client.close()

    def server_on(self, port: int) -> EmbeddedRedis:
        return next(server for server in self.servers if server.port == port)

    def failover(self) -> None:
        """`SENTINEL FAILOVER`: a graceful switch; wait until the replica is the primary."""
        old = self.primary_port()
        client = redis.Redis(port=self.sentinel_ports[0])
        try:
            client.execute_command("SENTINEL", "FAILOVER", MASTER)
        finally:
            client.close()
        self.wait_for(lambda: self._promoted(old), "the failover to complete")

    def kill_primary(self) -> EmbeddedRedis:
        """SIGKILL the primary; wait until the sentinels promoted the replica."""
        old_port = self.primary_port()
        victim = self.server_on(old_port)
        assert victim.process is not None
        victim.process.kill()
        victim.process.wait()
        self.wait_for(lambda: self._promoted(old_port), "the sentinels to promote the replica")
        return victim

    def restart_as_replica(self, server: EmbeddedRedis) -> None:
        """Start a killed server again, empty, as a replica of the current primary (what an
        operator does after a crash); wait until its link to the primary is up."""
        primary = self.primary_port()
        server.extra_args = ["--replicaof", "127.0.0.1", str(primary)]
        server.start()
        self.wait_for(lambda: self.replica_synced(server), "the restarted server to resync")

    def _promoted(self, old_port: int) -> bool:
        try:
            port = self.primary_port()
        except redis.exceptions.RedisError:
            return False
        return port != old_port and self.role(self.server_on(port)) == "master"

    def wait_for(self, check: object, what: str) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            if check():  # type: ignore[operator]
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def stop(self) -> None:
        for sentinel in self.sentinels:
            if sentinel.poll() is None:
                sentinel.terminate()
        for sentinel in self.sentinels:
            try:
                sentinel.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sentinel.kill()
        for server in self.servers:
            server.stop()

    def __enter__(self) -> SentinelGroup:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
