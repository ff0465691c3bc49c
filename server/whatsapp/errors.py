"""Errors of sending through the WhatsApp Cloud API, classified by Meta's `error.code`.

Every failure of a send is one of these. Whether to retry is decided by the class, and
the class by the error *code* in Meta's answer (HTTP statuses disagree between sources:
131056 has been seen with 400 and 429), falling back to the HTTP status only when the
answer carries no code::

    SendError                              any failure to send a message
    ├── MessageLimitError                  the message breaks a WhatsApp limit (checked before
    │                                      sending; never reaches the network)       permanent
    ├── TransientSendError                 retry later, with backoff and jitter
    │   ├── SendTransportError             timeout, connection refused/reset
    │   ├── ThroughputLimitError           130429, 4, 80007, 131057 (per-number throughput)
    │   ├── PairRateLimitError             131056 (same user too often; wait 4^X s)
    │   └── ServerError                    131000, 131016, 1, 2, any 5xx without a known code
    └── PermanentSendError                 recorded on the message, never retried
        ├── OutsideWindowError             131047 (24 h window closed: send a template)
        ├── UndeliverableError             131026
        ├── UnsupportedMessageError        131051
        ├── InvalidRequestError            100, 131008, 131009, 132xxx template errors, ...
        ├── AccessTokenError               190, 0               -> alert
        └── AccountRestrictedError         368, 131031          -> alert

An answer with an unknown code is transient when its HTTP status is 5xx and permanent
otherwise (a 4xx says the request itself was refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import httpx


class SendError(Exception):
    """Any failure to send a WhatsApp message."""

    transient: ClassVar[bool] = False
    alert: ClassVar[bool] = False
    """True for errors an operator must fix (bad token, restricted account)."""

    def __init__(self, message: str, *, code: int | None = None, title: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.title = title or message


class MessageLimitError(SendError, ValueError):
    """The message breaks a documented limit; the message names the field and the limit."""


class TransientSendError(SendError):
    """Worth retrying: the message was not accepted, for a reason that passes."""

    transient = True


class PermanentSendError(SendError):
    """Retrying the same request cannot succeed; record it on the message."""


@dataclass(frozen=True, slots=True)
class ApiErrorDetails:
    """What Meta's error answer says, kept for logs and the outbound row."""

    code: int | None
    title: str
    details: str | None = None
    http_status: int | None = None
    fbtrace_id: str | None = None


class _ApiError(SendError):
    """Mixin for errors built from a Graph API error answer."""

    def __init__(self, info: ApiErrorDetails) -> None:
        text = f"({info.code}) {info.title}" if info.code is not None else info.title
        if info.details:
            text = f"{text}: {info.details}"
        super().__init__(text, code=info.code, title=info.title)
        self.info = info


class SendTransportError(TransientSendError):
    """The Graph API could not be reached or did not answer in time."""


class ThroughputLimitError(_ApiError, TransientSendError):
    """Too many messages per second from this business number (130429 and relatives)."""


class PairRateLimitError(_ApiError, TransientSendError):
    """Too many messages to this user in a short time (131056)."""


class ServerError(_ApiError, TransientSendError):
    """Meta failed on its side (131000 "something went wrong", 5xx)."""


class OutsideWindowError(_ApiError, PermanentSendError):
    """131047: more than 24 h since the user's last message; only templates may be sent."""

    code_value: ClassVar[int] = 131047


class UndeliverableError(_ApiError, PermanentSendError):
    """131026: the recipient cannot receive it (not on WhatsApp, old app, terms not accepted)."""


class UnsupportedMessageError(_ApiError, PermanentSendError):
    """131051: the message type is not supported."""


class InvalidRequestError(_ApiError, PermanentSendError):
    """100 and other refusals of the request itself (parameters, templates, permissions)."""


class AccessTokenError(_ApiError, PermanentSendError):
    """190 / 0: the access token expired or is invalid. Every send will fail until fixed."""

    alert = True


class AccountRestrictedError(_ApiError, PermanentSendError):
    """368 / 131031: the business account is blocked or locked."""

    alert = True


ERROR_CLASSES: dict[int, type[_ApiError]] = {
    **dict.fromkeys((130429, 4, 80007, 131057), ThroughputLimitError),
    131056: PairRateLimitError,
    **dict.fromkeys((131000, 131016, 1, 2), ServerError),
    131047: OutsideWindowError,
    131026: UndeliverableError,
    131051: UnsupportedMessageError,
    **dict.fromkeys((190, 0), AccessTokenError),
    **dict.fromkeys((368, 131031), AccountRestrictedError),
}
"""Codes with their own class; any other code is an :class:`InvalidRequestError` (4xx) or a
:class:`ServerError` (5xx)."""


def _details(response: httpx.Response) -> ApiErrorDetails:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ApiErrorDetails(
            code=None, title=f"HTTP {response.status_code}", http_status=response.status_code
        )
    code = error.get("code")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    return ApiErrorDetails(
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        title=str(error.get("message") or f"HTTP {response.status_code}"),
        details=details if isinstance(details, str) else None,
        http_status=response.status_code,
        fbtrace_id=error.get("fbtrace_id") if isinstance(error.get("fbtrace_id"), str) else None,
    )


def error_from_response(response: httpx.Response) -> SendError:
    """The error for a non-2xx Graph API answer, chosen by `error.code`."""
    info = _details(response)
    if info.code is not None and info.code in ERROR_CLASSES:
        return ERROR_CLASSES[info.code](info)
    if response.status_code >= 500:
        return ServerError(info)
    if info.code is None and response.status_code == 429:
        return ThroughputLimitError(info)
    return InvalidRequestError(info)


def error_from_transport(exc: httpx.TransportError) -> SendTransportError:
    """A timeout or connection failure, as a transient send error."""
    return SendTransportError(f"{type(exc).__name__}: {exc}", title=type(exc).__name__)
