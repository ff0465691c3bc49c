"""Accuracy versus coverage of the offline router at several confidence thresholds.

    python -m evals.offline_tradeoff [--dataset FILE]

Routing only the messages whose confidence clears a threshold (and asking a clarifying
question for the rest) trades coverage for accuracy; this prints that curve, plus the
overall, per-language and per-lane numbers, for the test split by default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nodes.router.offline import LabeledExample, LanePrediction, OfflineClassifier, load_examples

TEST_PATH = Path(__file__).resolve().parent / "datasets" / "routing_test.jsonl"
THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class TradeoffPoint:
    """At `threshold`: share of messages routed and accuracy among those routed."""

    threshold: float
    coverage: float
    accuracy: float
    routed: int


def predict_all(
    classifier: OfflineClassifier, rows: Sequence[LabeledExample]
) -> list[LanePrediction]:
    return [classifier.predict(row.text) for row in rows]


def margin(prediction: LanePrediction) -> float:
    """Gap between the two most likely lanes."""
    top = sorted(prediction.scores.values(), reverse=True)
    return top[0] - top[1] if len(top) > 1 else top[0]


def tradeoff(
    rows: Sequence[LabeledExample],
    predictions: Sequence[LanePrediction],
    thresholds: Sequence[float] = THRESHOLDS,
    min_margin: float = 0.0,
) -> list[TradeoffPoint]:
    """Route a message only when confidence >= threshold and the top-two margin >= min_margin."""
    points = []
    for threshold in thresholds:
        kept = [
            (row, p)
            for row, p in zip(rows, predictions, strict=True)
            if p.confidence >= threshold and margin(p) >= min_margin
        ]
        correct = sum(row.lane == p.lane for row, p in kept)
        points.append(
            TradeoffPoint(
                threshold=threshold,
                coverage=len(kept) / len(rows) if rows else 0.0,
                accuracy=correct / len(kept) if kept else 0.0,
                routed=len(kept),
            )
        )
    return points


def breakdown(
    rows: Sequence[LabeledExample], predictions: Sequence[LanePrediction]
) -> dict[str, float]:
    """Accuracy overall and per language, recall per lane ('overall', 'lang:en', 'recall:info')."""
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, p in zip(rows, predictions, strict=True):
        ok = int(row.lane == p.lane)
        for key in ("overall", f"lang:{row.lang}", f"recall:{row.lane}"):
            hits[key][0] += ok
            hits[key][1] += 1
    return {key: correct / total for key, (correct, total) in sorted(hits.items())}


def report(path: Path = TEST_PATH, classifier: OfflineClassifier | None = None) -> str:
    rows = load_examples(path)
    model = classifier or OfflineClassifier.default()
    predictions = predict_all(model, rows)
    lines = [f"{path.name}: {len(rows)} rows"]
    lines += [f"  {key:16} {value:6.1%}" for key, value in breakdown(rows, predictions).items()]
    for min_margin in (0.0, 0.1):
        lines.append(f"  confidence >= t and margin >= {min_margin}:")
        lines.append("  threshold  coverage  accuracy  routed")
        for p in tradeoff(rows, predictions, min_margin=min_margin):
            lines.append(
                f"  {p.threshold:9.2f}  {p.coverage:8.1%}  {p.accuracy:8.1%}  {p.routed:6}"
            )
    return "\n".join(lines)
