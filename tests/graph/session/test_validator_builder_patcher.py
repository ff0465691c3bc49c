"""Builder, validator and patcher: what a lane may and may not do to a session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.session import (
    DIALOGUE_WINDOW,
    CartLine,
    CommerceState,
    DialogueTurn,
    InvalidSessionError,
    SessionPatch,
    StaleStateError,
    apply_patch,
    hydrate_session,
    new_session,
    validate_session,
)

NOW = datetime(2025, 11, 23, 13, 0, tzinfo=UTC)
TENANT, WA = "100200300400500", "5511987654321"


def user_turn(i: int) -> DialogueTurn:
    return DialogueTurn(role="user", text=f"m{i}", msg_id=f"wamid.{i}", at=NOW)


def test_new_session_is_version_zero_and_valid() -> None:
    state = new_session(TENANT, WA, NOW)
    assert state.version == 0
    validate_session(state, now=NOW, thread_id=f"{TENANT}:{WA}")


def test_hydrate_none_builds_a_new_session() -> None:
    assert hydrate_session(None, tenant_id=TENANT, wa_id=WA, now=NOW).version == 0


def test_hydrate_round_trips_a_stored_state() -> None:
    state = apply_patch(
        new_session(TENANT, WA, NOW),
        SessionPatch(meta={"current_lane": "info"}, append_turns=[user_turn(1)]),
        expected_version=0,
        now=NOW,
    )
    stored = state.model_dump(mode="json")
    assert hydrate_session(stored, tenant_id=TENANT, wa_id=WA, now=NOW) == state


def test_hydrate_refuses_a_state_of_another_thread() -> None:
    stored = new_session(TENANT, WA, NOW).model_dump(mode="json")
    with pytest.raises(InvalidSessionError, match="do not match the thread"):
        hydrate_session(stored, tenant_id=TENANT, wa_id="34999999999", now=NOW)


def test_hydrate_refuses_a_structurally_broken_state() -> None:
    stored = new_session(TENANT, WA, NOW).model_dump(mode="json")
    stored["commerce"]["cart"] = [{"sku": "X", "name": "x", "quantity": 0, "unit_price": 1}]
    with pytest.raises(InvalidSessionError, match="breaks the contract"):
        hydrate_session(stored, tenant_id=TENANT, wa_id=WA, now=NOW)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"current_lane": "billing"}, "unknown lane 'billing'"),
        (
            {"current_lane": "info", "sticky_until": NOW + timedelta(days=3)},
            "more than 1 day",
        ),
        ({"sticky_until": NOW + timedelta(minutes=5)}, "no current_lane"),
    ],
)
def test_semantic_problems_are_reported(meta: dict[str, object], message: str) -> None:
    state = new_session(TENANT, WA, NOW).model_copy(
        update={"meta": new_session(TENANT, WA, NOW).meta.model_copy(update=meta)}
    )
    with pytest.raises(InvalidSessionError, match=message):
        validate_session(state, now=NOW)


def test_lanes_come_from_the_caller() -> None:
    state = new_session(TENANT, WA, NOW)
    state.meta.current_lane = "billing"
    validate_session(state, now=NOW, lanes={"info", "billing"})


def test_a_version_that_went_backwards_is_refused() -> None:
    previous = new_session(TENANT, WA, NOW).model_copy(update={"version": 7})
    older = previous.model_copy(update={"version": 6})
    with pytest.raises(InvalidSessionError, match="went backwards: 7 -> 6"):
        validate_session(older, now=NOW, previous=previous)


def test_patch_bumps_version_and_never_mutates_its_input() -> None:
    state = new_session(TENANT, WA, NOW)
    later = NOW + timedelta(minutes=1)
    patch = SessionPatch(
        meta={"current_lane": "commerce", "language": "pt"},
        append_turns=[user_turn(1)],
        slots={"product": "pizza"},
        commerce=CommerceState(cart=[CartLine(sku="PZ", name="Pizza", quantity=2, unit_price=9)]),
    )
    after = apply_patch(state, patch, expected_version=0, now=later)
    assert (after.version, state.version) == (1, 0)
    assert after.meta.current_lane == "commerce" and state.meta.current_lane is None
    assert after.meta.updated_at == later
    assert after.dialogue.last_user_msg_id == "wamid.1"
    assert after.commerce.cart[0].quantity == 2 and state.commerce.cart == []


def test_slots_merge_and_none_removes() -> None:
    state = apply_patch(
        new_session(TENANT, WA, NOW),
        SessionPatch(slots={"a": 1, "b": 2}),
        expected_version=0,
        now=NOW,
    )
    after = apply_patch(state, SessionPatch(slots={"a": None, "c": 3}), expected_version=1, now=NOW)
    assert after.slots == {"b": 2, "c": 3}


def test_dialogue_window_keeps_the_newest_turns() -> None:
    state = new_session(TENANT, WA, NOW)
    for i in range(DIALOGUE_WINDOW + 5):
        state = apply_patch(
            state, SessionPatch(append_turns=[user_turn(i)]), expected_version=i, now=NOW
        )
    texts = [t.text for t in state.dialogue.turns]
    assert len(texts) == DIALOGUE_WINDOW
    assert texts[0] == "m5" and texts[-1] == f"m{DIALOGUE_WINDOW + 4}"


def test_a_stale_patch_is_refused_not_applied() -> None:
    state = new_session(TENANT, WA, NOW).model_copy(update={"version": 4})
    with pytest.raises(StaleStateError) as caught:
        apply_patch(state, SessionPatch(slots={"x": 1}), expected_version=3, now=NOW)
    assert (caught.value.expected, caught.value.actual) == (3, 4)
    assert caught.value.transient is True


def test_a_patch_cannot_move_the_session_to_another_customer() -> None:
    with pytest.raises(InvalidSessionError, match="identity"):
        apply_patch(
            new_session(TENANT, WA, NOW),
            SessionPatch(meta={"wa_id": "34999999999"}),
            expected_version=0,
            now=NOW,
        )
