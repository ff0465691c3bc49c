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


def test_calibration_scores_right_wrong_and_clarified_rows() -> None:
    from evals.calibrate import best, fold_of, score
    from nodes.router.offline import LabeledExample, LanePrediction

    def pred(lane: str, conf: float, other: float) -> LanePrediction:
        rest = "info" if lane != "info" else "commerce"
        return LanePrediction(
            lane=lane, intent="x", confidence=conf, scores={lane: conf, rest: other}
        )

    rows = [LabeledExample(text=f"t{i}", lane="support", lang="en") for i in range(4)]
    predictions = [
        pred("support", 0.9, 0.1),  # right, sure
        pred("support", 0.45, 0.4),  # right, unsure
        pred("info", 0.42, 0.4),  # wrong, unsure
        pred("info", 0.44, 0.4),  # wrong, unsure
    ]
    never = score(rows, predictions, 0.0, 0.0)
    assert (never.accuracy, never.clarify_rate, never.utility) == (0.5, 0.0, 0.0)
    asks = score(rows, predictions, 0.5, 0.0)  # asks on the three unsure rows, two were wrong
    assert (asks.accuracy, asks.clarify_rate, asks.utility) == (0.25, 0.75, 0.25)
    assert asks.clarify_precision == 2 / 3
    assert best([never, asks]) == asks
    assert fold_of("en-abc", 5) == fold_of("en-abc", 5) in range(5)
