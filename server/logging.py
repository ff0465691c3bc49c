"""JSON-lines logging in the original system's format: `{"at": "event.name", ...}`.

Phone numbers are personal data: any field named like a phone number or WhatsApp id is
masked before it is written, so call sites cannot leak one by accident. Likewise the
password of any URL in a line (`redis://app:s3cret@db`, a `redis+sentinel://` address
quoted by an error) is replaced by `***`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

PHONE_FIELDS = frozenset({"wa_id", "phone", "from", "to", "recipient_id", "phone_number", "from_"})
TEXT_FIELDS = frozenset({"text", "body", "details", "reason"})
"""Free text (a reply, an error's details): phone-number-like digit runs in it are masked."""
_DIGITS = re.compile(r"\+?\d{7,15}")


_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s'\"/<>]*)@")
"""The `user:password@` part of any URL in a text (greedy up to the last `@` before the
host, so a password with an unescaped `@` is hidden whole)."""


def redact_url(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***`: an address
    (`redis://app:s3cret@db/0` -> `redis://app:***@db/0`, `redis+sentinel://:s3cret@h1:1,h2:2/m`
    -> `redis+sentinel://:***@h1:1,h2:2/m`) or a message that quotes one. A user name
    without a password may be a token (`redis://s3cret@db`): hidden too."""

    def hide(match: re.Match[str]) -> str:
        user, colon, _password = match["userinfo"].partition(":")
        return f"{match['scheme']}{user}:***@" if colon else f"{match['scheme']}***@"

    return _CREDENTIALS.sub(hide, text)


def mask_phone(value: object) -> str:
    """`5511987654321` -> `5511*****4321`: keeps enough to debug, not enough to dial."""
    text = str(value)
    digits = text.lstrip("+")
    if len(digits) <= 6:
        return "*" * len(digits)
    return text[: len(text) - len(digits)] + digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_digit_runs(text: str) -> str:
    """Phone-number-like digit runs in free text, masked."""
    return _DIGITS.sub(lambda match: mask_phone(match.group()), text)


def mask_thread_id(value: str) -> str:
    """`{tenant}:{wa_id}` with the wa_id part masked."""
    tenant, _, wa_id = value.partition(":")
    return f"{tenant}:{mask_phone(wa_id)}" if wa_id else value


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is not None and key in PHONE_FIELDS:
            out[key] = mask_phone(value)
        elif key in {"thread_id", "session"} and isinstance(value, str):
            out[key] = mask_thread_id(value)
        elif key in TEXT_FIELDS and isinstance(value, str):
            out[key] = _DIGITS.sub(lambda match: mask_phone(match.group()), value)
        else:
            out[key] = value
    return out


def _describe(exc: BaseException) -> str:
    from server.jobs.retry import describe_error  # imports this module

    return describe_error(exc)


def _message(record: logging.LogRecord) -> str:
    """A library's message (arq's "job failed, DBAPIError: ..."), with each exception in its
    arguments named by its cause chain instead of its text (a database error's text quotes
    the statement's values: a customer's message, a phone number), digit runs masked."""
    args = record.args
    if isinstance(args, tuple) and any(isinstance(arg, BaseException) for arg in args):
        safe = tuple(_describe(arg) if isinstance(arg, BaseException) else arg for arg in args)
        try:
            return mask_digit_runs(str(record.msg) % safe)
        except (TypeError, ValueError):
            return mask_digit_runs(str(record.msg))
    return mask_digit_runs(record.getMessage())


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "at": getattr(record, "at", None) or _message(record),
            "level": record.levelname.lower(),
            "ts": round(record.created, 3),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields:
            payload.update(_clean(fields))
        if record.exc_info and record.exc_info[1] is not None:
            # The chain's class names, not the traceback's last line (the error's text)
            payload["error"] = _describe(record.exc_info[1])
        return redact_url(json.dumps(payload, default=str, ensure_ascii=False))


class EventLogger:
    """`log.info("orchestrate_turn.completed", success=True, lane="info")`."""

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    def _emit(self, level: int, at: str, exc_info: bool, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, at, extra={"at": at, "fields": fields}, exc_info=exc_info)

    def debug(self, at: str, **fields: Any) -> None:
        self._emit(logging.DEBUG, at, False, fields)

    def info(self, at: str, **fields: Any) -> None:
        self._emit(logging.INFO, at, False, fields)

    def warning(self, at: str, **fields: Any) -> None:
        self._emit(logging.WARNING, at, False, fields)

    def error(self, at: str, exc_info: bool = False, **fields: Any) -> None:
        self._emit(logging.ERROR, at, exc_info, fields)

    def exception(self, at: str, **fields: Any) -> None:
        self._emit(logging.ERROR, at, True, fields)


def get_logger(name: str) -> EventLogger:
    return EventLogger(name)


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as one JSON object per line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "uvicorn.access", "arq.worker", "arq.jobs", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.Formatter.converter = time.gmtime
