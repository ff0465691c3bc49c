"""Loading the named webhook fixtures of tests/data/webhooks and signing request bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.whatsapp.signature import sign

WEBHOOKS_DIR = Path(__file__).resolve().parent / "data" / "webhooks"


def load_payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WEBHOOKS_DIR / f"{name}.json").read_text("utf-8"))
    return data


def meta_bytes(payload: dict[str, Any]) -> bytes:
    """The body as Meta sends it: compact JSON with non-ASCII escaped (`\\u00e9`)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(body: bytes, secret: str = "dev-app-secret") -> dict[str, str]:
    return {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}
