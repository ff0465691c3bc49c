"""The router's decisions: offline, thresholds, clarify, stickiness, keywords, modes."""

from __future__ import annotations

import pytest
import respx
from graph_support import LLM_BASE_URL, ScriptedClassifier, chat_model, completion, route_json

from nodes.entities import extract_entities
from nodes.registry import LaneSpec, default_registry
from nodes.router import RouterConfig, build_router
from nodes.router.acts import dialogue_act
from nodes.router.llm import render_router_prompt

CONFIG = RouterConfig(min_confidence=0.5, min_margin=0.1, sticky_margin=0.3)


def router_with(table, *, mode="offline", llm=None, registry=None):
    classifier = ScriptedClassifier(table)
    router = build_router(
        mode, chat_model=llm, config=CONFIG, registry=registry, classifier=classifier
    )
    return router, classifier


@pytest.mark.parametrize("lane", ["info", "commerce", "support"])
async def test_a_confident_offline_prediction_routes_to_its_lane(lane: str) -> None:
    router, _ = router_with({"msg": (lane, 0.9)})
    decision = await router.route("msg")
    assert (decision.lane, decision.method) == (lane, "offline")
    assert decision.sticky_seconds == CONFIG.sticky_seconds
    assert decision.scores[lane] == pytest.approx(0.9)


async def test_below_the_confidence_threshold_the_router_asks() -> None:
    router, _ = router_with({"hmm": ("commerce", 0.45)})
    decision = await router.route("hmm")
    assert (decision.lane, decision.method, decision.sticky_seconds) == ("commerce", "clarify", 0)


async def test_two_lanes_too_close_is_a_clarify_even_above_the_threshold() -> None:
    classifier = ScriptedClassifier()
    router = build_router(
        "offline", config=RouterConfig(min_confidence=0.4, min_margin=0.1), classifier=classifier
    )
    classifier.table["close call"] = ("info", 0.48)  # commerce/support get 0.26 each: margin ok
    assert (await router.route("close call")).method == "offline"
    tight = RouterConfig(min_confidence=0.4, min_margin=0.3)
    router = build_router("offline", config=tight, classifier=classifier)
    assert (await router.route("close call")).method == "clarify"


async def test_exactly_at_the_threshold_is_confident() -> None:
    router, _ = router_with({"edge": ("support", 0.5)})
    assert (await router.route("edge")).method == "offline"


@pytest.mark.parametrize("text", ["ok", "yes", "the blue one", "2", "sí", "dale", "pode ser", "👍"])
async def test_follow_ups_stay_in_the_sticky_lane_without_asking_the_classifier(text: str) -> None:
    router, classifier = router_with({})
    decision = await router.route(text, current_lane="commerce", sticky_active=True)
    assert (decision.lane, decision.method) == ("commerce", "sticky")
    assert classifier.calls == []


async def test_follow_up_after_stickiness_expired_is_classified_again() -> None:
    router, classifier = router_with({"ok": ("info", 0.4)})
    decision = await router.route("ok", current_lane="commerce", sticky_active=False)
    assert decision.method == "clarify"
    assert classifier.calls == ["ok"]


async def test_another_lane_must_win_by_a_clear_margin_to_take_over() -> None:
    router, _ = router_with({"close": ("info", 0.5), "clear": ("support", 0.95)})
    stay = await router.route("close", current_lane="commerce", sticky_active=True)
    assert (stay.lane, stay.method) == ("commerce", "sticky")
    switch = await router.route("clear", current_lane="commerce", sticky_active=True)
    assert (switch.lane, switch.method) == ("support", "offline")


async def test_an_unsure_message_in_a_sticky_lane_stays_instead_of_clarifying() -> None:
    router, _ = router_with({"hmm": ("commerce", 0.4)})
    decision = await router.route("hmm", current_lane="commerce", sticky_active=True)
    assert decision.lane == "commerce" and decision.method != "clarify"


def act(text: str) -> str | None:
    return dialogue_act(text, extract_entities(text))


def test_dialogue_act_detection_is_strict_about_length_and_words() -> None:
    assert (act("the second one"), act("#3"), act("ok!")) == ("select", "select", "affirm")
    assert act("my package never arrived") is None
    assert act("what time do you close") is None
    assert act("") is None


async def test_a_lane_keyword_routes_directly() -> None:
    extra = LaneSpec(
        name="reservations",
        handlers=default_registry().get("info").handlers,
        description="Table reservations.",
        labels={"en": "Reservations"},
        keywords=("reservation", "reserva", "book a table"),
    )
    registry = default_registry().with_lane(extra)
    router, classifier = router_with({}, registry=registry)
    decision = await router.route("Can I book a table for 4?")
    assert (decision.lane, decision.method) == ("reservations", "keyword")
    assert classifier.calls == []


async def test_llm_and_hybrid_without_a_chat_model_run_offline() -> None:
    for mode in ("llm", "hybrid"):
        router, _ = router_with({"x": ("support", 0.9)}, mode=mode)
        assert router.mode == "offline"
        assert (await router.route("x")).method == "offline"


@respx.mock(base_url=LLM_BASE_URL, assert_all_called=False)
async def test_hybrid_asks_the_llm_only_when_the_offline_router_is_unsure(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(
        return_value=completion(route_json("support", 0.92, "refund"))
    )
    router, _ = router_with(
        {"sure": ("info", 0.95), "unsure": ("info", 0.4)}, mode="hybrid", llm=chat_model()
    )
    confident = await router.route("sure")
    assert confident.method == "offline" and api.call_count == 0
    decision = await router.route("unsure")
    assert api.call_count == 1
    assert (decision.lane, decision.intent, decision.method) == ("support", "refund", "llm")
    assert decision.confidence == pytest.approx(0.92)
    assert decision.prompt_hash == render_router_prompt(list(default_registry())).short_hash


@respx.mock(base_url=LLM_BASE_URL)
async def test_llm_mode_always_asks_and_sends_the_lane_prompt(respx_mock) -> None:
    api = respx_mock.post("/chat/completions").mock(return_value=completion(route_json("commerce")))
    router, _ = router_with({"sure": ("info", 0.99)}, mode="llm", llm=chat_model())
    decision = await router.route("sure")
    assert (decision.lane, decision.method) == ("commerce", "llm")
    sent = api.calls.last.request.content.decode()
    for lane in ("info", "commerce", "support"):
        assert f"`{lane}`" in sent
    assert "quiero hablar con una persona" in sent and "vocês entregam" in sent


@respx.mock(base_url=LLM_BASE_URL)
async def test_an_unsure_llm_answer_still_leads_to_a_clarifying_question(respx_mock) -> None:
    respx_mock.post("/chat/completions").mock(return_value=completion(route_json("info", 0.3)))
    router, _ = router_with({"???": ("info", 0.3)}, mode="hybrid", llm=chat_model())
    assert (await router.route("???")).method == "clarify"


@respx.mock(base_url=LLM_BASE_URL)
async def test_each_llm_decision_is_logged_with_the_prompt_hash(respx_mock, caplog) -> None:
    respx_mock.post("/chat/completions").mock(return_value=completion(route_json("info")))
    router, _ = router_with({}, mode="llm", llm=chat_model())
    caplog.set_level("INFO", logger="nodes.router.router")
    await router.route("hello")
    logged = [r for r in caplog.records if r.getMessage() == "router.llm.decision"]
    assert logged and logged[0].fields["prompt_hash"] == router._llm.prompt.short_hash  # type: ignore[union-attr]


async def test_a_predicted_lane_the_graph_does_not_have_maps_to_the_best_known_lane() -> None:
    from nodes.registry import LaneRegistry

    registry = LaneRegistry([default_registry().get("info"), default_registry().get("commerce")])
    router, _ = router_with({"refund": ("support", 0.7)}, registry=registry)
    decision = await router.route("refund")
    assert decision.lane in {"info", "commerce"}


@pytest.mark.parametrize(
    "text", ["thx", "ok ya quedó?", "ok já foi?", "perfeito", "ok i'll wait", "sip"]
)
async def test_acknowledgements_stay_in_the_sticky_lane(text: str) -> None:
    router, _ = router_with({text: ("info", 0.95)})
    decision = await router.route(text, current_lane="support", sticky_active=True)
    assert (decision.lane, decision.method) == ("support", "sticky")
