"""The WhatsApp webhook: `GET` verify handshake and `POST` updates.

POST order of checks: size (413) -> signature header present (401) -> signature over the
raw bytes (403) -> JSON object (400). Then every message and status of the batch is
written to the store in one transaction *before* answering 200 (Meta has no replay
API), and one arq job per item is enqueued with an id derived from its wamid. If the
store is unreachable the answer is 503, so Meta retries; if only the queue is
unreachable the answer is still 200: the items are stored with status `received`, and
the worker's `recover_pending` sweep enqueues them later.

Concurrent requests share their transaction (`server.store.intake.GroupCommitter`: one
commit and one Redis call for every request that arrived while the previous batch was
being written), and each is answered only once its own rows are committed.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from typing import Any

import sqlalchemy.exc
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from server import metrics
from server.jobs import PROCESS_MESSAGE, PROCESS_STATUS, JobSpec, process_job_id, status_job_id
from server.jobs.retry import TRANSIENT_ERRORS, describe_error, is_transient
from server.logging import get_logger
from server.resources import Resources
from server.store import repository
from server.store.intake import Row
from server.store.models import utcnow
from server.whatsapp.signature import SIGNATURE_HEADER, signature_matches
from server.whatsapp.updates import WebhookBatch, parse_webhook

log = get_logger(__name__)

STORE_ERRORS: tuple[type[Exception], ...] = (
    *(error for error in TRANSIENT_ERRORS if issubclass(error, Exception)),
    sqlalchemy.exc.SQLAlchemyError,
)
"""Writing the batch failed. Transient (the store is away): answer 503, so Meta delivers
it again later (nothing lost). Permanent (an item the store refuses): the other items are
stored one by one and the answer is 200; the refused item is logged by its id."""

router = APIRouter()

WEBHOOK_PATH = "/webhooks/whatsapp"


class BodyTooLarge(Exception):
    """The request body is larger than `WHATSAPP_MAX_REQUEST_BYTES`."""


def _resources(request: Request) -> Resources:
    return request.app.state.resources  # type: ignore[no-any-return]


def _problem(status_code: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status_code)


@router.get(WEBHOOK_PATH)
async def verify_webhook(request: Request) -> Response:
    """Meta's subscription handshake: echo `hub.challenge` as plain text, or 403."""
    params = request.query_params
    expected = _resources(request).settings.whatsapp_verify_token.get_secret_value()
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode(), expected.encode()
    ):
        log.warning("webhook.verify_refused", mode=params.get("hub.mode"))
        return PlainTextResponse("Forbidden", status_code=403)
    challenge = params.get("hub.challenge")
    if challenge is None:
        return PlainTextResponse("Missing hub.challenge", status_code=400)
    log.info("webhook.verified")
    return PlainTextResponse(challenge)


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_webhook(request: Request) -> Response:
    started = time.perf_counter()
    response, outcome, batch = await _receive(request)
    if batch is None:
        metrics.record_webhook(outcome, time.perf_counter() - started)
    else:
        metrics.record_webhook(
            outcome,
            time.perf_counter() - started,
            messages=len(batch.messages),
            statuses=len(batch.statuses),
            errors=len(batch.errors),
        )
    return response


router.routes.append(Route(WEBHOOK_PATH, receive_webhook, methods=["POST"]))
"""A plain Starlette route: it needs no FastAPI parameter parsing or dependency solving,
which cost about 4x the route's own work per POST (~170 µs of ~220 µs measured in-process).
Not listed in the development OpenAPI docs."""


async def _receive(request: Request) -> tuple[Response, str, WebhookBatch | None]:
    """The answer to a POST, its outcome (a `metrics.WEBHOOK_OUTCOMES` name) and the batch."""
    resources = _resources(request)
    settings = resources.settings
    header = request.headers.get(SIGNATURE_HEADER)
    try:
        raw = await _read_body(request, settings.whatsapp_max_request_bytes)
    except BodyTooLarge:
        log.warning("webhook.too_large", limit=settings.whatsapp_max_request_bytes)
        return _problem(413, "payload too large"), "too_large", None
    if not header:
        log.warning("webhook.signature_missing")
        return _problem(401, "missing X-Hub-Signature-256"), "unsigned", None
    if not signature_matches(raw, header, settings.whatsapp_app_secret.get_secret_value()):
        log.warning("webhook.signature_mismatch", bytes=len(raw))
        return _problem(403, "signature mismatch"), "bad_signature", None
    body = _decode(raw)
    if body is None:
        log.warning("webhook.malformed", bytes=len(raw))
        return _problem(400, "body is not a JSON object"), "malformed", None
    batch = parse_webhook(body)
    _log_batch(batch)
    refused = 0
    try:
        try:
            await _persist(resources, batch)
        except STORE_ERRORS as exc:
            if is_transient(exc):
                raise
            # A permanent data error in one item: store the others, one by one, so the
            # batch is not refused (and redelivered, and refused again) for its sake.
            refused = await _persist_each(resources, batch, exc)
    except STORE_ERRORS as exc:
        log.error("webhook.store_failed", error=describe_error(exc))
        return _problem(503, "store unavailable, retry later"), "store_unavailable", None
    answer = {"received": len(batch.messages), "statuses": len(batch.statuses)}
    if refused:
        answer["refused"] = refused
    return JSONResponse(answer), "accepted", batch


def _no_constant(_name: str) -> None:
    """`NaN`/`Infinity` (accepted by `json.loads`, not JSON) become null: PostgreSQL's JSON
    columns refuse them, which would refuse the whole batch (503) on every retry."""
    return None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL and lone UTF-16 surrogates (a valid pair is one code point after `json.loads`)."""

_ESCAPED_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
"""The JSON escapes that decode to them: only a body holding one is walked."""


def _storable(value: Any) -> Any:
    """NUL (`\\u0000`) and lone surrogates (`\\ud800`) become U+FFFD in every string, keys
    included: valid JSON for `json.loads`, but PostgreSQL's text columns refuse NUL and no
    store can encode a lone surrogate as UTF-8, which would refuse the whole batch on every
    retry Meta sends for days."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _decode(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw, parse_constant=_no_constant)
        if _ESCAPED_UNSTORABLE.search(raw):
            body = _storable(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # too deeply nested
        return None
    return body if isinstance(body, dict) else None


async def _persist(resources: Resources, batch: WebhookBatch) -> None:
    """Store the batch's items (group commit), then their jobs are enqueued (see module doc)."""
    if not batch.messages and not batch.statuses:
        return
    now = utcnow()
    jobs = [
        JobSpec(PROCESS_MESSAGE, (message.id,), process_job_id(message.id))
        for message in batch.messages
    ] + [
        JobSpec(PROCESS_STATUS, (status.id,), status_job_id(status.id, status.status))
        for status in batch.statuses
    ]
    assert resources.intake is not None, "Resources without a writer: use open_resources()"
    await resources.intake.write(
        [repository.inbound_row(message, now) for message in batch.messages],
        [repository.status_row(status, now) for status in batch.statuses],
        jobs,
    )


async def _persist_each(resources: Resources, batch: WebhookBatch, first: Exception) -> int:
    """Store each item of `batch` in its own write; an item the store refuses for good is
    logged by id (never its text) and skipped. How many were refused. A transient error
    on the way is raised (503: Meta delivers the whole batch again; inserts are idempotent)."""
    assert resources.intake is not None
    log.warning("webhook.batch_split", error=describe_error(first))
    now = utcnow()
    writes: list[tuple[str, list[Row], list[Row], list[JobSpec]]] = [
        (
            message.id,
            [repository.inbound_row(message, now)],
            [],
            [JobSpec(PROCESS_MESSAGE, (message.id,), process_job_id(message.id))],
        )
        for message in batch.messages
    ] + [
        (
            status.id,
            [],
            [repository.status_row(status, now)],
            [JobSpec(PROCESS_STATUS, (status.id,), status_job_id(status.id, status.status))],
        )
        for status in batch.statuses
    ]
    refused = 0
    for item_id, messages, statuses, jobs in writes:
        try:
            await resources.intake.write(messages, statuses, jobs)
        except STORE_ERRORS as exc:
            if is_transient(exc):
                raise
            refused += 1
            metrics.record_webhook_refused_item()
            log.error(
                "webhook.item_refused", provider_message_id=item_id, error=describe_error(exc)
            )
    return refused


def _log_batch(batch: WebhookBatch) -> None:
    """The items stored are logged once per committed group (`server.jobs.enqueue_committed`);
    a POST is logged on its own only when it holds something else."""
    if (
        batch.errors
        or batch.ignored_fields
        or batch.dropped
        or not (batch.messages or batch.statuses)
    ):
        log.info(
            "webhook.received",
            messages=len(batch.messages),
            statuses=len(batch.statuses),
            errors=len(batch.errors),
            ignored_fields=list(batch.ignored_fields) or None,
        )
    for message in batch.messages:
        if message.is_partial:
            log.warning(
                "webhook.partial_message", provider_message_id=message.id, message_type=message.type
            )
    for error in batch.errors:
        log.warning(
            "webhook.value_error",
            tenant_id=error.metadata.phone_number_id,
            code=error.error.code,
            title=error.error.title,
            details=error.error.details,
            raw=dict(error.raw),
        )
    if batch.dropped:
        log.warning("webhook.dropped_items", count=batch.dropped)
