"""The webhook's HTTP contract: handshake, signature, limits, and persist-before-200."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.exceptions
from fastapi import FastAPI
from webhook_support import (
    WEBHOOKS_DIR,
    job_ctx,
    load_payload,
    meta_bytes,
    mutate_payload,
    post_webhook,
    resources_of,
    running_app,
    signed_headers,
    stored_rows,
)

import server.jobs
from server.whatsapp.signature import sign

URL = "/webhooks/whatsapp"


@pytest.fixture
async def app_client(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    async with running_app(monkeypatch, redis_url, WHATSAPP_MAX_REQUEST_BYTES="20000") as pair:
        yield pair


async def test_verify_handshake_echoes_the_raw_challenge(app_client) -> None:
    client, _ = app_client
    params = {"hub.mode": "subscribe", "hub.verify_token": "dev-verify-token"}
    response = await client.get(URL, params={**params, "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.text == "1158201444"  # not JSON-encoded: Meta compares the bytes
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "dev-verify-token", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
async def test_verify_handshake_refuses_wrong_token_or_mode(app_client, params) -> None:
    client, _ = app_client
    response = await client.get(URL, params=params)
    assert response.status_code == 403
    assert response.text != "1"


async def test_missing_signature_is_401_and_nothing_is_stored(app_client) -> None:
    client, app = app_client
    response = await client.post(URL, content=meta_bytes(load_payload("text")))
    assert response.status_code == 401
    assert await stored_rows(app) == []


async def test_wrong_signature_is_403(app_client) -> None:
    client, app = app_client
    body = meta_bytes(load_payload("text"))
    for header in (
        sign(body, "another-secret"),
        "sha256=",
        "garbage",
        sign(body + b" ", "dev-app-secret"),
    ):
        response = await client.post(URL, content=body, headers={"X-Hub-Signature-256": header})
        assert response.status_code == 403, header
    assert await stored_rows(app) == []


async def test_right_signature_is_200_and_the_message_is_stored_before_the_answer(
    app_client,
) -> None:
    client, app = app_client
    response = await post_webhook(client, load_payload("text"))
    assert response.status_code == 200
    (row,) = await stored_rows(app)
    assert (row.direction, row.wamid, row.status) == ("inbound", "wamid.TEXT1", "received")
    assert (row.tenant_id, row.wa_id, row.message_type) == (
        "106540352242922",
        "16505551234",
        "text",
    )
    assert row.text == "Does it come in another color?"
    assert row.payload["message"]["text"] == {"body": "Does it come in another color?"}
    assert row.payload["contact"]["profile"]["name"] == "Sheena Nelson"


async def test_nan_and_infinity_are_stored_as_null(app_client) -> None:
    client, app = app_client
    body = json.dumps(load_payload("text")).replace(
        '"timestamp": "1', '"t": Infinity, "x": NaN, "timestamp": "1', 1
    )
    assert "Infinity" in body
    response = await client.post(URL, content=body.encode(), headers=signed_headers(body.encode()))
    assert response.status_code == 200
    (row,) = await stored_rows(app)
    assert (row.payload["message"]["t"], row.payload["message"]["x"]) == (None, None)


async def test_unicode_body_is_verified_over_the_escaped_raw_bytes(app_client) -> None:
    client, app = app_client
    payload = load_payload("text_unicode")
    escaped = meta_bytes(payload)
    assert b"\\u00e9" in escaped  # what Meta signs and sends
    response = await client.post(URL, content=escaped, headers=signed_headers(escaped))
    assert response.status_code == 200
    (row,) = await stored_rows(app)
    assert row.text == "J'ai mangé des pâtes 🍝 ¿Están abiertos hoy? Olá, ação!"
    # A signature over a re-serialized (unescaped) form does not match the bytes sent.
    unescaped = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"X-Hub-Signature-256": sign(unescaped, "dev-app-secret")}
    assert (await client.post(URL, content=escaped, headers=headers)).status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"", b'{"a": ' + b"[" * 10_000],
)
async def test_malformed_or_non_object_json_is_400(app_client, body: bytes) -> None:
    client, _ = app_client
    response = await client.post(URL, content=body, headers=signed_headers(body))
    assert response.status_code == 400


async def test_body_over_the_limit_is_413_by_header_and_by_bytes_read(app_client) -> None:
    client, app = app_client
    body = b'{"entry": [], "pad": "' + b"x" * 25_000 + b'"}'
    response = await client.post(URL, content=body, headers=signed_headers(body))
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: only the bytes tell
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = await client.post(URL, content=chunks(), headers=signed_headers(body))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await stored_rows(app) == []


async def test_every_fixture_is_acknowledged_and_every_message_stored(app_client) -> None:
    client, app = app_client
    expected_wamids: set[str] = set()
    for path in sorted(WEBHOOKS_DIR.glob("*.json")):
        payload = json.loads(path.read_text("utf-8"))
        response = await post_webhook(client, payload)
        assert response.status_code == 200, path.name
        for entry in payload["entry"]:
            for change in entry["changes"]:
                expected_wamids |= {m["id"] for m in change["value"].get("messages", [])}
    stored = {row.wamid for row in await stored_rows(app, "inbound")}
    assert stored == expected_wamids
    partial = [r for r in await stored_rows(app) if r.wamid == "wamid.IMISS1"]
    assert partial[0].message_type == "interactive" and partial[0].text is None


async def test_store_unavailable_is_503_so_meta_retries(app_client) -> None:
    """Another process holds SQLite's write lock past the store's deadline: 503, and the
    message is stored once the lock is free (Meta's retry then finds it)."""
    client, app = app_client
    resources = resources_of(app)
    assert resources.intake is not None
    resources.intake.timeout_s = 0.3
    path = resources.settings.sqlalchemy_url.split("///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the database's only write lock
        response = await post_webhook(client, load_payload("text"))
        assert response.status_code == 503
        assert await stored_rows(app) == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    response = await post_webhook(client, load_payload("text"))
    assert response.status_code == 200
    assert [row.wamid for row in await stored_rows(app)] == ["wamid.TEXT1"]


async def test_queue_unavailable_still_200_and_the_message_is_recovered(
    app_client, monkeypatch
) -> None:
    from server.jobs.process import recover_pending

    client, app = app_client

    async def down(*args: object, **kwargs: object) -> object:
        raise redis.exceptions.ConnectionError("Redis is down")

    with monkeypatch.context() as patch:
        patch.setattr(server.jobs, "enqueue_many", down)
        response = await post_webhook(client, load_payload("text"))
    assert response.status_code == 200  # stored: acknowledging loses nothing
    ctx = job_ctx(app)
    assert await ctx["redis"].queued_jobs() == []
    assert await recover_pending(ctx) == 1
    jobs = await ctx["redis"].queued_jobs()
    assert [(job.function, job.args) for job in jobs] == [("process_message", ("wamid.TEXT1",))]
    assert await ctx["redis"].exists("arq:job:process:wamid.TEXT1")


async def test_concurrent_posts_share_commits_and_each_waits_for_its_own(app_client) -> None:
    """40 POSTs at once: every one answered 200 only with its row stored and its job
    queued, in fewer transactions than requests (group commit)."""
    client, app = app_client
    intake = resources_of(app).intake
    assert intake is not None
    batches_before = intake.batches
    payloads = []
    for index in range(40):
        payload = load_payload("text")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.G{index}"
        payloads.append(payload)
    responses = await asyncio.gather(*(post_webhook(client, p) for p in payloads))
    assert [r.status_code for r in responses] == [200] * 40
    assert {row.wamid for row in await stored_rows(app)} == {f"wamid.G{i}" for i in range(40)}
    jobs = await job_ctx(app)["redis"].queued_jobs()
    assert sorted(job.args[0] for job in jobs) == sorted(f"wamid.G{i}" for i in range(40))
    assert intake.batches - batches_before < 40


async def test_duplicate_deliveries_enqueue_one_job_and_store_one_row(app_client) -> None:
    client, app = app_client
    for _ in range(5):
        assert (await post_webhook(client, load_payload("text"))).status_code == 200
    assert len(await stored_rows(app)) == 1
    jobs = await job_ctx(app)["redis"].queued_jobs()
    assert [(job.function, job.args) for job in jobs] == [("process_message", ("wamid.TEXT1",))]


async def test_mutated_payloads_are_all_acknowledged(app_client) -> None:
    """No malformed or unknown payload makes the webhook answer 5xx."""
    client, _ = app_client
    rng = random.Random(7)
    payloads = [json.loads(p.read_text("utf-8")) for p in sorted(WEBHOOKS_DIR.glob("*.json"))]
    for _ in range(150):
        response = await post_webhook(client, mutate_payload(rng.choice(payloads), rng))
        assert response.status_code == 200, response.text


def _received_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        dict(record.fields)  # type: ignore[attr-defined]
        for record in caplog.records
        if record.getMessage() == "webhook.received"
    ]


async def test_stored_posts_are_logged_once_per_committed_group(
    app_client, caplog: pytest.LogCaptureFixture
) -> None:
    """One `webhook.received` line per group commit (requests, items, jobs enqueued), and
    a duplicate delivery shows as nothing enqueued; a POST with only a value-level error
    (nothing to store) still gets its own line."""
    client, _ = app_client
    payloads = []
    for index in range(20):
        payload = load_payload("text")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.L{index}"
        payloads.append(payload)
    with caplog.at_level(logging.INFO, logger="server"):
        responses = await asyncio.gather(*(post_webhook(client, p) for p in payloads))
        assert [r.status_code for r in responses] == [200] * 20
        grouped = _received_lines(caplog)
        assert sum(int(str(line["requests"])) for line in grouped) == 20
        assert sum(int(str(line["messages"])) for line in grouped) == 20
        assert sum(int(str(line["jobs_enqueued"])) for line in grouped) == 20
        assert len(grouped) < 20

        caplog.clear()
        assert (await post_webhook(client, payloads[0])).status_code == 200
        assert _received_lines(caplog) == [
            {"requests": 1, "messages": 1, "statuses": 0, "jobs_enqueued": 0}
        ]

        caplog.clear()
        response = await post_webhook(client, load_payload("errors_value_level"))
        assert response.status_code == 200
        [line] = _received_lines(caplog)
        assert (line["messages"], line["statuses"], line["errors"]) == (0, 0, 1)
