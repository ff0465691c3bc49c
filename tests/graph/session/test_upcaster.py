"""Stored states of every older schema load as the current one (real fixtures)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.session import (
    CURRENT_SCHEMA_VERSION,
    DIALOGUE_WINDOW,
    SessionState,
    UpcastError,
    hydrate_session,
    upcast,
)
from graph.session.upcaster import v1_to_v2, v2_to_v3

DATA = Path(__file__).parents[2] / "data" / "state"
NOW = datetime(2025, 11, 23, 13, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("v[12]_*.json")))
def test_every_fixture_hydrates_as_the_current_schema(name: str) -> None:
    raw = load(name)
    meta = raw.get("meta", raw)
    state = hydrate_session(raw, tenant_id=meta["tenant_id"], wa_id=meta["wa_id"], now=NOW)
    assert isinstance(state, SessionState)
    assert state.schema_version == CURRENT_SCHEMA_VERSION
    assert state.version == raw["version"]  # migration is not a revision


def test_v1_history_is_cut_to_the_window_and_the_cart_renamed() -> None:
    raw = load("v1_commerce_long_history.json")
    state = SessionState.model_validate(upcast(raw))
    assert len(raw["history"]) > DIALOGUE_WINDOW
    assert len(state.dialogue.turns) == DIALOGUE_WINDOW
    assert state.dialogue.turns[-1].text == raw["history"][-1]["text"]
    assert state.dialogue.turns[-1].role == "assistant"  # "bot" in v1
    assert state.dialogue.last_user_msg_id == "wamid.V1_24"
    assert [(line.sku, line.quantity, line.unit_price) for line in state.commerce.cart] == [
        ("PZ-MARG", 2, 9.5),
        ("DR-COLA", 1, 2.0),
    ]
    assert state.meta.current_lane == "commerce"
    assert state.meta.sticky_until == datetime.fromtimestamp(raw["sticky_until"], tz=UTC)


def test_v2_string_tickets_become_typed_open_tickets() -> None:
    state = SessionState.model_validate(upcast(load("v2_support_tickets.json")))
    assert [t.number for t in state.support.open_tickets] == ["T-1042", "T-0999"]
    assert all(t.status == "open" for t in state.support.open_tickets)
    assert state.support.handoff == "requested"
    assert state.meta.language == "es"


def test_v2_without_support_fields_gets_an_empty_support_section() -> None:
    state = SessionState.model_validate(upcast(load("v2_no_support_fields.json")))
    assert state.support.open_tickets == []
    assert state.support.handoff == "none"


def test_steps_are_pure() -> None:
    v1 = load("v1_minimal.json")
    before = copy.deepcopy(v1)
    v2 = v1_to_v2(v1)
    v2_before = copy.deepcopy(v2)
    v2_to_v3(v2)
    assert v1 == before
    assert v2 == v2_before


def test_current_schema_passes_through_unchanged() -> None:
    raw = load("v2_support_tickets.json")
    current = upcast(raw)
    assert upcast(current) == current


def test_a_schema_from_the_future_is_refused_with_a_clear_message() -> None:
    raw = upcast(load("v2_support_tickets.json"))
    raw["schema_version"] = CURRENT_SCHEMA_VERSION + 1
    with pytest.raises(UpcastError, match="newer than this code"):
        upcast(raw)


def test_a_malformed_v1_state_is_an_upcast_error() -> None:
    with pytest.raises(UpcastError, match=r"v1 -> v2"):
        upcast({"version": 1, "history": []})  # no tenant_id / wa_id
