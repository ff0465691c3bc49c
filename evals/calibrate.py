"""Pick the clarify thresholds (min_confidence, min_margin) without touching the test split.

    python -m evals.calibrate [--folds 5]

The offline model is trained on 4/5 of the train split's *families* and predicts the other
fifth, five times (grouped k-fold: a row and its generated variants are never on both sides),
which gives an honest prediction for every train row. On those, each (min_confidence,
min_margin) pair is scored with a utility: a right answer +1, a wrong answer -1, a
clarifying question 0. A question is worth asking exactly where the model is more often
wrong than right, so the best pair makes clarify fire on truly ambiguous messages and not
on messages the model would have got right. The chosen pair and today's are then shown on
the test split (measured, not tuned on).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evals.tradeoff import TEST_PATH, margin
from nodes.router.offline import LabeledExample, LanePrediction, OfflineClassifier, load_examples

TRAIN_PATH = TEST_PATH.with_name("routing_train.jsonl")
CONFIDENCES = tuple(round(0.30 + 0.05 * i, 2) for i in range(11))  # 0.30 .. 0.80
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)


class Predictor(Protocol):
    def predict(self, text: str) -> LanePrediction: ...


Trainer = Callable[[Sequence[LabeledExample]], Predictor]


@dataclass(frozen=True)
class Point:
    min_confidence: float
    min_margin: float
    accuracy: float
    """Right answers over all rows (a clarified row is not right)."""
    answered_accuracy: float
    clarify_rate: float
    clarify_precision: float
    """Clarified rows the model would have got wrong: how well clarify picks its moments."""
    utility: float
    """(right - wrong) / rows."""


def families(path: Path) -> list[str]:
    """Each row's family (its text when the row has none), in file order."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(json.loads(line).get("family") or json.loads(line)["text"]) for line in lines]


def fold_of(family: str, folds: int) -> int:
    return int(hashlib.sha1(family.encode("utf-8")).hexdigest()[:8], 16) % folds


def out_of_fold(
    rows: Sequence[LabeledExample], groups: Sequence[str], folds: int, train: Trainer
) -> list[LanePrediction]:
    """A prediction for every row from a model that never saw its family."""
    predictions: list[LanePrediction | None] = [None] * len(rows)
    for k in range(folds):
        held = [i for i, g in enumerate(groups) if fold_of(g, folds) == k]
        model = train([r for r, g in zip(rows, groups, strict=True) if fold_of(g, folds) != k])
        for i in held:
            predictions[i] = model.predict(rows[i].text)
    return [p for p in predictions if p is not None]


def score(
    rows: Sequence[LabeledExample],
    predictions: Sequence[LanePrediction],
    min_confidence: float,
    min_margin: float,
) -> Point:
    right = wrong = asked = asked_wrong = 0
    for row, p in zip(rows, predictions, strict=True):
        ok = p.lane == row.lane
        if p.confidence < min_confidence or margin(p) < min_margin:
            asked += 1
            asked_wrong += not ok
        elif ok:
            right += 1
        else:
            wrong += 1
    n = len(rows) or 1
    return Point(
        min_confidence=min_confidence,
        min_margin=min_margin,
        accuracy=right / n,
        answered_accuracy=right / (right + wrong) if right + wrong else 0.0,
        clarify_rate=asked / n,
        clarify_precision=asked_wrong / asked if asked else 0.0,
        utility=(right - wrong) / n,
    )


def grid(rows: Sequence[LabeledExample], predictions: Sequence[LanePrediction]) -> list[Point]:
    return [score(rows, predictions, c, m) for c in CONFIDENCES for m in MARGINS]


def best(points: Sequence[Point]) -> Point:
    """Highest utility; ties go to the pair that asks less."""
    return max(points, key=lambda p: (round(p.utility, 4), -p.clarify_rate))


def _line(label: str, p: Point) -> str:
    return (
        f"  {label:22} conf>={p.min_confidence:.2f} margin>={p.min_margin:.2f}  "
        f"accuracy {p.accuracy:6.1%}  answered {p.answered_accuracy:6.1%}  "
        f"clarify {p.clarify_rate:5.1%} (of them wrong {p.clarify_precision:5.1%})  "
        f"utility {p.utility:.3f}"
    )


def report(folds: int = 5, train: Trainer = OfflineClassifier.train) -> str:
    rows = load_examples(TRAIN_PATH)
    oof = out_of_fold(rows, families(TRAIN_PATH), folds, train)
    points = grid(rows, oof)
    chosen = best(points)
    current = score(rows, oof, 0.5, 0.1)
    lines = [f"train split, {folds}-fold by family (out-of-fold predictions, {len(rows)} rows):"]
    lines += [_line("chosen (best utility)", chosen), _line("current 0.5 / 0.1", current)]
    lines.append("  curve (min_margin 0 and the chosen margin):")
    for p in points:
        if p.min_margin in (0.0, chosen.min_margin):
            lines.append(_line("", p))
    test = load_examples(TEST_PATH)
    model = train(rows)
    test_predictions = [model.predict(r.text) for r in test]
    lines.append(f"test split ({len(test)} rows; measured, not tuned on):")
    for label, p in (("chosen", chosen), ("current 0.5 / 0.1", current)):
        lines.append(_line(label, score(test, test_predictions, p.min_confidence, p.min_margin)))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    print(report(args.folds))


if __name__ == "__main__":
    main()
