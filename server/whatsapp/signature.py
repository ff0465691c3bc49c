"""`X-Hub-Signature-256`: HMAC-SHA256 of the raw request body, keyed with the app secret.

Meta signs the body bytes exactly as sent (non-ASCII characters escaped as `\\u00e9`), so
the signature is checked over the raw bytes, before any JSON parsing, and compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for `body`: `sha256=<lowercase hex>`."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def signature_matches(body: bytes, header: str, app_secret: str) -> bool:
    """True when `header` is the signature of `body` (constant-time comparison)."""
    expected = sign(body, app_secret)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())
