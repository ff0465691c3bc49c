"""Migrate stored session states to the current schema, one small pure step at a time.

    v1  the original system's flat shape: `lane`, `sticky_until` as epoch seconds, an
        unbounded `history`, a `cart` of `{sku, name, qty, price}`, no `schema_version`.
    v2  nested `meta` / `dialogue` / `commerce`, ISO timestamps, a bounded window; support
        was two loose top-level fields: `tickets` (ticket numbers as strings), `handoff` (bool).
    v3  (current) a `support` section with typed tickets and a handoff status.

Each step takes a dict and returns a new dict; none mutates its input or reads a clock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from graph.session.contract import CURRENT_SCHEMA_VERSION, DIALOGUE_WINDOW
from graph.session.errors import UpcastError

Step = Callable[[dict[str, Any]], dict[str, Any]]


def _iso(epoch: float | int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), tz=UTC).isoformat()


def _v1_turn(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant" if item.get("role") in {"assistant", "bot"} else "user",
        "text": str(item.get("text", "")),
        "lane": item.get("lane"),
        "msg_id": item.get("msg_id"),
        "at": _iso(item.get("ts", 0)),
    }


def _v1_cart_line(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sku": str(item["sku"]),
        "name": str(item.get("name", item["sku"])),
        "quantity": int(item.get("qty", 1)),
        "unit_price": float(item.get("price", 0)),
        "currency": item.get("currency", "USD"),
    }


def v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Nest the flat v1 fields, convert epochs to ISO and cut the history to the window."""
    history = [_v1_turn(t) for t in raw.get("history", [])][-DIALOGUE_WINDOW:]
    user_ids = [t["msg_id"] for t in history if t["role"] == "user" and t["msg_id"]]
    return {
        "schema_version": 2,
        "version": int(raw.get("version", 0)),
        "meta": {
            "tenant_id": str(raw["tenant_id"]),
            "wa_id": str(raw["wa_id"]),
            "current_lane": raw.get("lane"),
            "sticky_until": _iso(raw.get("sticky_until")),
            "created_at": _iso(raw.get("created_at", 0)),
            "updated_at": _iso(raw.get("updated_at", raw.get("created_at", 0))),
        },
        "dialogue": {"turns": history, "last_user_msg_id": user_ids[-1] if user_ids else None},
        "slots": dict(raw.get("slots") or {}),
        "commerce": {"cart": [_v1_cart_line(i) for i in raw.get("cart", [])]},
        "tickets": [],
        "handoff": False,
    }


def v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """Move the loose `tickets` / `handoff` fields into a typed `support` section."""
    out = copy.deepcopy(raw)
    tickets = out.pop("tickets", []) or []
    handoff = bool(out.pop("handoff", False))
    opened_at = out["meta"].get("updated_at") or out["meta"].get("created_at")
    out["support"] = {
        "open_tickets": [
            {
                "number": str(number),
                "category": "unknown",
                "summary": "(migrated from schema v2)",
                "status": "open",
                "created_at": opened_at,
            }
            for number in tickets
        ],
        "handoff": "requested" if handoff else "none",
    }
    out["schema_version"] = 3
    return out


STEPS: dict[int, Step] = {1: v1_to_v2, 2: v2_to_v3}
"""`STEPS[n]` migrates schema version n to n + 1."""


def detect_schema_version(raw: Mapping[str, Any]) -> int:
    """v1 states carry no `schema_version`: they are recognised by their flat shape."""
    declared = raw.get("schema_version")
    if declared is None:
        if "meta" in raw:
            raise UpcastError("stored session has a 'meta' section but no schema_version")
        return 1
    if not isinstance(declared, int) or isinstance(declared, bool):
        raise UpcastError(f"schema_version must be an integer, got {declared!r}")
    return declared


def upcast(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return `raw` migrated to `CURRENT_SCHEMA_VERSION` (a new dict; `raw` is untouched)."""
    version = detect_schema_version(raw)
    if version > CURRENT_SCHEMA_VERSION:
        raise UpcastError(
            f"stored session has schema_version {version}, newer than this code "
            f"({CURRENT_SCHEMA_VERSION}); deploy the newer version or clear the session"
        )
    if version < 1:
        raise UpcastError(f"schema_version {version} does not exist")
    state = copy.deepcopy(dict(raw))
    while version < CURRENT_SCHEMA_VERSION:
        try:
            state = STEPS[version](state)
        except (KeyError, TypeError, ValueError) as exc:
            message = f"cannot upcast schema v{version} -> v{version + 1}: {exc!r}"
            raise UpcastError(message) from exc
        version += 1
    return state
