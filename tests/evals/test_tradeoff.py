"""Accuracy/coverage trade-off arithmetic, checked against hand-computed cases."""

from __future__ import annotations

from evals.tradeoff import breakdown, margin, tradeoff
from nodes.router.offline import LabeledExample, LanePrediction


def _prediction(lane: str, info: float, commerce: float, support: float) -> LanePrediction:
    scores = {"info": info, "commerce": commerce, "support": support}
    return LanePrediction(lane=lane, intent=lane, confidence=scores[lane], scores=scores)


ROWS = [
    LabeledExample(text="a", lane="info", lang="en"),
    LabeledExample(text="b", lane="support", lang="es"),
    LabeledExample(text="c", lane="commerce", lang="en"),
    LabeledExample(text="d", lane="support", lang="en"),
]
PREDICTIONS = [
    _prediction("info", 0.9, 0.05, 0.05),  # right, confident
    _prediction("commerce", 0.1, 0.45, 0.45),  # wrong, unsure, no margin
    _prediction("commerce", 0.2, 0.7, 0.1),  # right
    _prediction("info", 0.55, 0.0, 0.45),  # wrong, margin 0.1
]


def test_higher_thresholds_route_fewer_messages_more_accurately() -> None:
    points = tradeoff(ROWS, PREDICTIONS, thresholds=(0.0, 0.5, 0.8))
    assert [(p.routed, p.coverage, p.accuracy) for p in points] == [
        (4, 1.0, 0.5),
        (3, 0.75, 2 / 3),
        (1, 0.25, 1.0),
    ]


def test_margin_rule_sends_close_calls_to_clarification() -> None:
    (point,) = tradeoff(ROWS, PREDICTIONS, thresholds=(0.0,), min_margin=0.2)
    assert point.routed == 2
    assert point.accuracy == 1.0
    assert round(margin(PREDICTIONS[3]), 6) == 0.1


def test_breakdown_gives_accuracy_per_language_and_recall_per_lane() -> None:
    numbers = breakdown(ROWS, PREDICTIONS)
    assert numbers["overall"] == 0.5
    assert numbers["lang:en"] == 2 / 3
    assert numbers["lang:es"] == 0.0
    assert numbers["recall:support"] == 0.0
    assert numbers["recall:info"] == 1.0
