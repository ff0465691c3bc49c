"""Thresholds that fail a run (exit status 1), so CI or a deploy pipeline can block a regression."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from evals.metrics import LaneScore


class Thresholds(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_accuracy: float | None = Field(default=None, ge=0.0, le=1.0)
    min_lane_recall: dict[str, float] = Field(default_factory=dict)
    min_unfamiliar_accuracy: float | None = Field(default=None, ge=0.0, le=1.0)


def parse_lane_minimum(value: str) -> tuple[str, float]:
    """``support=0.8`` -> ``("support", 0.8)``; raises ValueError with a readable message."""
    lane, sep, number = value.partition("=")
    if not sep or not lane.strip():
        raise ValueError(f"expected LANE=VALUE, got {value!r}")
    try:
        minimum = float(number)
    except ValueError:
        raise ValueError(f"{number!r} is not a number (in {value!r})") from None
    if not 0.0 <= minimum <= 1.0:
        raise ValueError(f"{minimum} is outside 0..1 (in {value!r})")
    return lane.strip(), minimum


def failed_thresholds(
    thresholds: Thresholds,
    *,
    accuracy: float,
    per_lane: Mapping[str, LaneScore],
    unfamiliar_accuracy: float | None = None,
) -> list[str]:
    """One human-readable line per threshold that was not met (empty when all pass)."""
    failures = []
    if thresholds.min_accuracy is not None and accuracy < thresholds.min_accuracy:
        failures.append(
            f"accuracy {accuracy:.3f} is below --min-accuracy {thresholds.min_accuracy:.3f}"
        )
    minimum = thresholds.min_unfamiliar_accuracy
    if minimum is not None:
        if unfamiliar_accuracy is None:
            failures.append(
                f"no unfamiliar rows were measured (--min-unfamiliar-accuracy {minimum:.3f})"
            )
        elif unfamiliar_accuracy < minimum:
            failures.append(
                f"accuracy on unfamiliar rows {unfamiliar_accuracy:.3f} is below "
                f"--min-unfamiliar-accuracy {minimum:.3f}"
            )
    for lane, minimum in thresholds.min_lane_recall.items():
        score = per_lane.get(lane)
        if score is None or score.support == 0:
            failures.append(
                f"lane {lane!r} has no rows in the dataset (--min-lane-recall {lane}={minimum})"
            )
        elif score.recall < minimum:
            failures.append(
                f"lane {lane!r} recall {score.recall:.3f} is below "
                f"--min-lane-recall {lane}={minimum:.3f}"
            )
    return failures
