"""Metric arithmetic against cases computed by hand (in the comments)."""

from __future__ import annotations

import pytest

from evals import metrics
from evals.metrics import Prediction


def p(expected: str, predicted: str, lang: str = "en", method: str = "offline", **kw) -> Prediction:
    return Prediction(
        text="x", lang=lang, expected=expected, predicted=predicted, method=method, **kw
    )


# 8 rows; correct: 1, 3, 5, 7.  Row 4 is a clarification (lane ignored), row 8 an LLM miss.
CASE = [
    p("info", "info", "en"),  # 1 ok
    p("info", "commerce", "en"),  # 2
    p("commerce", "commerce", "es"),  # 3 ok
    p("commerce", "commerce", "es", method="clarify"),  # 4 clarify: not correct
    p("support", "support", "pt"),  # 5 ok
    p("support", "info", "pt"),  # 6
    p("support", "support", "en", method="llm"),  # 7 ok
    p("commerce", "support", "es", method="llm"),  # 8
]


def test_accuracy_counts_clarifications_as_not_correct() -> None:
    assert metrics.accuracy(CASE) == 4 / 8
    assert metrics.clarification_rate(CASE) == 1 / 8
    assert metrics.answered_accuracy(CASE) == pytest.approx(4 / 7)


def test_per_lane_precision_recall_f1() -> None:
    scores = metrics.lane_scores(CASE)
    # info: predicted by rows 1, 6 (1 right); labeled rows 1, 2.
    assert (scores["info"].precision, scores["info"].recall, scores["info"].f1) == (0.5, 0.5, 0.5)
    # commerce: answered predictions rows 2, 3 (4 clarified): P = 1/2; labeled 3, 4, 8: R = 1/3
    # F1 = 2 * 1/2 * 1/3 / (1/2 + 1/3) = 0.4
    commerce = scores["commerce"]
    assert commerce.precision == 0.5
    assert commerce.recall == pytest.approx(1 / 3)
    assert commerce.f1 == pytest.approx(0.4)
    assert (commerce.support, commerce.predicted) == (3, 2)
    # support: predicted 5, 7, 8 (5, 7 right); labeled 5, 6, 7.
    assert scores["support"].precision == pytest.approx(2 / 3)
    assert scores["support"].recall == pytest.approx(2 / 3)
    assert metrics.macro_f1(scores) == pytest.approx((0.5 + 0.4 + 2 / 3) / 3)


def test_accuracy_per_language() -> None:
    langs = metrics.per_language(CASE)
    assert list(langs) == ["en", "es", "pt"]
    assert (langs["en"].n, langs["en"].correct) == (3, 2)
    assert langs["es"].accuracy == pytest.approx(1 / 3)
    assert langs["pt"].accuracy == 0.5


def test_confusion_matrix_has_a_clarify_column() -> None:
    assert metrics.confusion(CASE) == {
        "info": {"info": 1, "commerce": 1, "support": 0, "clarify": 0},
        "commerce": {"info": 0, "commerce": 1, "support": 1, "clarify": 1},
        "support": {"info": 1, "commerce": 0, "support": 2, "clarify": 0},
    }


def test_zero_divisions_are_zero_not_errors() -> None:
    assert metrics.accuracy([]) == 0.0
    assert metrics.clarification_rate([]) == 0.0
    assert metrics.answered_accuracy([p("info", "info", method="clarify")]) == 0.0
    only_info = metrics.lane_scores([p("info", "info"), p("info", "info")])
    # commerce never labeled nor predicted: all zero, and left out of the macro average.
    assert only_info["commerce"].model_dump() == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "predicted": 0,
    }
    assert metrics.macro_f1(only_info) == 1.0
    assert metrics.macro_f1({}) == 0.0


def test_lane_never_predicted_has_zero_precision_and_f1() -> None:
    scores = metrics.lane_scores([p("support", "info"), p("info", "info")])
    assert scores["support"].precision == 0.0
    assert scores["support"].f1 == 0.0
    assert scores["info"].precision == 0.5
    assert metrics.macro_f1(scores) == pytest.approx((2 / 3 + 0.0) / 2)


def test_unexpected_router_label_gets_its_own_row_and_column() -> None:
    matrix = metrics.confusion([p("info", "error", method="error")])
    assert matrix["info"]["error"] == 1
    assert "error" in matrix


def test_percentiles_interpolate_linearly() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    assert metrics.percentile(values, 50) == 25.0  # rank 1.5 between 20 and 30
    assert metrics.percentile(values, 95) == pytest.approx(38.5)  # rank 2.85: 30 + 0.85 * 10
    assert metrics.percentile([7.0], 95) == 7.0
    assert metrics.percentile([], 50) is None
    summary = metrics.latency_summary(values)
    assert summary is not None
    assert (summary.p50, summary.mean, summary.max) == (25.0, 25.0, 40.0)
    assert metrics.latency_summary([]) is None


def test_token_usage_only_when_reported() -> None:
    assert metrics.token_usage(CASE) is None
    rows = [
        p("info", "info", prompt_tokens=100, completion_tokens=12),
        p("info", "info", prompt_tokens=90, completion_tokens=10),
        p("info", "info"),
    ]
    usage = metrics.token_usage(rows)
    assert usage is not None
    assert usage.model_dump() == {
        "calls": 2,
        "prompt_tokens": 190,
        "completion_tokens": 22,
        "total_tokens": 212,
    }


def test_needless_switches_count_only_changes_the_labels_do_not_have() -> None:
    expected = ["commerce", "commerce", "commerce", "support", "support"]
    # c -> i -> c is two needless switches; c -> s follows the labels.
    assert (
        metrics.needless_switches(expected, ["commerce", "info", "commerce", "support", "support"])
        == 2
    )
    # switching one turn early is one needless switch (and the late turn is then right).
    assert (
        metrics.needless_switches(
            expected, ["commerce", "commerce", "support", "support", "support"]
        )
        == 1
    )
    assert metrics.needless_switches(expected, expected) == 0
    assert metrics.needless_switches([], []) == 0


def test_handoff_loops_are_chains_that_come_back() -> None:
    assert metrics.is_handoff_loop(["commerce", "support", "commerce"])
    assert not metrics.is_handoff_loop(["commerce", "support"])
    assert metrics.handoff_loops([["info"], ["support", "info", "support"], ["info", "info"]]) == 2


def test_a_handoff_sent_back_on_the_next_turn_is_a_loop() -> None:
    # turn 2 hands commerce -> support; turn 3 hands support -> commerce: one loop (turn 3).
    chains = [["info"], ["commerce", "support"], ["support", "commerce"], ["commerce"]]
    assert metrics.handoff_loops(chains) == 1
    # the same handoff twice in a row is not a loop.
    assert metrics.handoff_loops([["commerce", "support"], ["commerce", "support"]]) == 0
    assert metrics.handoff_loops([]) == 0


def test_handoff_effect_compares_the_router_lane_with_the_final_lane() -> None:
    from evals.conversations import TurnPrediction, handoff_effect

    def turn(expected: str, routed: str, final: str, handoffs: list[str]) -> TurnPrediction:
        return TurnPrediction(
            text="x", lang="en", expected=expected, predicted=final, method="offline",
            conversation_id="c", turn=1, routed=routed, handoffs=handoffs,
        )  # fmt: skip

    effect = handoff_effect(
        [
            turn("commerce", "commerce", "info", ["info"]),  # broke a right route
            turn("support", "commerce", "support", ["support"]),  # fixed a wrong one
            turn("info", "commerce", "support", ["support"]),  # wrong either way
            turn("info", "info", "info", []),  # no handoff
        ]
    )
    assert effect.model_dump() == {"turns": 3, "fixed": 1, "broke": 1}


def test_accuracy_per_intent_uses_the_dataset_label() -> None:
    rows = [
        p("commerce", "commerce", expected_intent="order_status"),
        p("commerce", "info", expected_intent="order_status"),
        p("commerce", "commerce", method="clarify", expected_intent="order_status"),
        p("info", "info", expected_intent="hours"),
        p("info", "support"),  # no intent label: left out
    ]
    intents = metrics.per_intent(rows)
    assert list(intents) == ["commerce/order_status", "info/hours"]
    assert intents["commerce/order_status"].model_dump() == {
        "n": 3,
        "correct": 1,
        "accuracy": 1 / 3,
    }
    assert intents["info/hours"].accuracy == 1.0


def test_intent_accuracy_per_language_and_confusions() -> None:
    rows = [
        p("info", "info", "en", intent="hours", expected_intent="hours"),  # ok
        p("info", "info", "en", intent="hours", expected_intent="hours_on_day"),
        p("info", "info", "es", intent="hours", expected_intent="hours_on_day"),
        p("commerce", "commerce", "es", method="clarify", intent="x", expected_intent="x"),
        p("support", "support", "pt", intent="refund", expected_intent="refund"),  # ok
        p("support", "support", "pt", intent="refund"),  # no label: left out
    ]
    score = metrics.intent_scores(rows)
    assert score is not None
    assert (score.n, score.correct, score.accuracy) == (5, 2, 0.4)
    assert {k: v.accuracy for k, v in score.per_language.items()} == {
        "en": 0.5,
        "es": 0.0,
        "pt": 1.0,
    }
    assert score.confusion["hours_on_day"] == {"hours": 2}
    assert score.confusion["x"] == {"clarify": 1}
    assert metrics.top_confusions(score) == [("hours_on_day", "hours", 2), ("x", "clarify", 1)]
    assert metrics.intent_scores([p("info", "info")]) is None
