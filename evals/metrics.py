"""Routing metrics: pure functions over predictions, no I/O.

Conventions (the tests pin them with hand-computed cases):

- a prediction whose method is ``clarify`` (the router asked the user instead of answering)
  is *not correct* for accuracy and recall, is not counted as a prediction of any lane for
  precision, and is reported apart: the clarification rate and the accuracy on answered rows;
- a ratio with a zero denominator is ``0.0`` (like scikit-learn's ``zero_division=0``);
- macro-F1 averages the lanes that occur in the labels or the predictions;
- percentiles interpolate linearly between the two closest ranks (numpy's default).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise

from pydantic import BaseModel, ConfigDict

from evals.dataset import LANES

CLARIFY = "clarify"


class Prediction(BaseModel):
    """What the router said about one labeled row."""

    model_config = ConfigDict(frozen=True)

    text: str
    lang: str
    expected: str
    predicted: str
    method: str
    intent: str = ""
    """The router's intent label."""
    expected_intent: str | None = None
    """The dataset's intent label, when the row has one."""
    confidence: float = 0.0
    latency_ms: float = 0.0
    line: int = 0
    id: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error: str | None = None
    """Why the router failed on this row (method ``error``), if it did."""
    fallback_reason: str | None = None
    """Why the LLM's answer was not used (method ``fallback``): timeout, rate_limited, ..."""
    train_similarity: float | None = None
    """Cosine similarity to the nearest training row (``evals.familiarity``), when measured."""

    @property
    def clarified(self) -> bool:
        return self.method == CLARIFY

    @property
    def correct(self) -> bool:
        return not self.clarified and self.predicted == self.expected


class LaneScore(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int
    """Rows labeled with this lane."""
    predicted: int
    """Answered rows the router sent to this lane."""


class LanguageScore(BaseModel):
    n: int
    correct: int
    accuracy: float


class SubsetScore(BaseModel):
    """Accuracy of a subset of rows (e.g. the unfamiliar ones), overall, per language and
    recall per lane."""

    n: int
    share: float
    """Rows of the subset over all rows scored."""
    accuracy: float
    per_language: dict[str, LanguageScore]
    recall: dict[str, float]


class IntentScore(BaseModel):
    """Intent accuracy over the rows that carry an intent label (a clarified row counts as
    wrong, as for lanes), per language, and the confusions (expected -> said -> rows)."""

    n: int
    correct: int
    accuracy: float
    per_language: dict[str, LanguageScore]
    confusion: dict[str, dict[str, int]]
    """Only the cells that are not zero; the diagonal is included."""


class LatencySummary(BaseModel):
    p50: float
    p95: float
    mean: float
    max: float


class TokenUsage(BaseModel):
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def accuracy(predictions: Sequence[Prediction]) -> float:
    return ratio(sum(p.correct for p in predictions), len(predictions))


def answered_accuracy(predictions: Sequence[Prediction]) -> float:
    answered = [p for p in predictions if not p.clarified]
    return accuracy(answered)


def clarification_rate(predictions: Sequence[Prediction]) -> float:
    return ratio(sum(p.clarified for p in predictions), len(predictions))


def lanes_of(predictions: Iterable[Prediction]) -> list[str]:
    """The known lanes in policy order, then any unexpected label a router produced."""
    seen = {p.expected for p in predictions} | {p.predicted for p in predictions}
    return [*LANES, *sorted(seen - set(LANES))]


def lane_scores(predictions: Sequence[Prediction]) -> dict[str, LaneScore]:
    scores: dict[str, LaneScore] = {}
    for lane in lanes_of(predictions):
        support = sum(p.expected == lane for p in predictions)
        answered = [p for p in predictions if not p.clarified and p.predicted == lane]
        hits = sum(p.expected == lane for p in answered)
        precision, recall = ratio(hits, len(answered)), ratio(hits, support)
        scores[lane] = LaneScore(
            precision=precision,
            recall=recall,
            f1=ratio(2 * precision * recall, precision + recall),
            support=support,
            predicted=len(answered),
        )
    return scores


def macro_f1(scores: dict[str, LaneScore]) -> float:
    present = [s.f1 for s in scores.values() if s.support or s.predicted]
    return ratio(sum(present), len(present))


def accuracy_by(
    predictions: Sequence[Prediction], key: Callable[[Prediction], str | None]
) -> dict[str, LanguageScore]:
    """Accuracy per group (rows whose key is None are left out), groups sorted by name."""
    groups: dict[str, list[Prediction]] = {}
    for p in predictions:
        name = key(p)
        if name is not None:
            groups.setdefault(name, []).append(p)
    result: dict[str, LanguageScore] = {}
    for name in sorted(groups):
        correct = sum(p.correct for p in groups[name])
        n = len(groups[name])
        result[name] = LanguageScore(n=n, correct=correct, accuracy=ratio(correct, n))
    return result


def per_language(predictions: Sequence[Prediction]) -> dict[str, LanguageScore]:
    return accuracy_by(predictions, lambda p: p.lang)


def subset_score(subset: Sequence[Prediction], total: int) -> SubsetScore:
    return SubsetScore(
        n=len(subset),
        share=ratio(len(subset), total),
        accuracy=accuracy(subset),
        per_language=per_language(subset),
        recall={lane: s.recall for lane, s in lane_scores(subset).items() if s.support},
    )


def intent_correct(p: Prediction) -> bool:
    return not p.clarified and p.intent == p.expected_intent


def intent_scores(predictions: Sequence[Prediction]) -> IntentScore | None:
    """None when no row has an intent label."""
    labeled = [p for p in predictions if p.expected_intent]
    if not labeled:
        return None
    by_lang: dict[str, list[Prediction]] = {}
    confusion: dict[str, dict[str, int]] = {}
    for p in labeled:
        by_lang.setdefault(p.lang, []).append(p)
        said = CLARIFY if p.clarified else (p.intent or "(none)")
        row = confusion.setdefault(str(p.expected_intent), {})
        row[said] = row.get(said, 0) + 1
    correct = sum(intent_correct(p) for p in labeled)
    per_lang = {}
    for lang in sorted(by_lang):
        hits = sum(intent_correct(p) for p in by_lang[lang])
        per_lang[lang] = LanguageScore(
            n=len(by_lang[lang]), correct=hits, accuracy=ratio(hits, len(by_lang[lang]))
        )
    return IntentScore(
        n=len(labeled),
        correct=correct,
        accuracy=ratio(correct, len(labeled)),
        per_language=per_lang,
        confusion={k: dict(sorted(v.items())) for k, v in sorted(confusion.items())},
    )


def top_confusions(score: IntentScore, limit: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent (expected, said, rows) mistakes, most rows first."""
    cells = [
        (expected, said, n)
        for expected, row in score.confusion.items()
        for said, n in row.items()
        if said != expected
    ]
    return sorted(cells, key=lambda c: (-c[2], c[0], c[1]))[:limit]


def per_intent(predictions: Sequence[Prediction]) -> dict[str, LanguageScore]:
    """Lane accuracy per labeled intent (``lane/intent``): which kinds of message go astray."""
    return accuracy_by(
        predictions, lambda p: f"{p.expected}/{p.expected_intent}" if p.expected_intent else None
    )


def confusion(predictions: Sequence[Prediction]) -> dict[str, dict[str, int]]:
    """Rows: expected lane; columns: predicted lane, plus ``clarify`` for questions asked back."""
    lanes = lanes_of(predictions)
    matrix = {expected: dict.fromkeys([*lanes, CLARIFY], 0) for expected in lanes}
    for p in predictions:
        matrix[p.expected][CLARIFY if p.clarified else p.predicted] += 1
    return matrix


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_ms: Sequence[float]) -> LatencySummary | None:
    if not latencies_ms:
        return None
    return LatencySummary(
        p50=round(percentile(latencies_ms, 50) or 0.0, 3),
        p95=round(percentile(latencies_ms, 95) or 0.0, 3),
        mean=round(sum(latencies_ms) / len(latencies_ms), 3),
        max=round(max(latencies_ms), 3),
    )


def token_usage(predictions: Sequence[Prediction]) -> TokenUsage | None:
    """Summed LLM tokens, or ``None`` when no row reported any (offline router)."""
    used = [
        p for p in predictions if p.prompt_tokens is not None or p.completion_tokens is not None
    ]
    if not used:
        return None
    prompt = sum(p.prompt_tokens or 0 for p in used)
    completion = sum(p.completion_tokens or 0 for p in used)
    return TokenUsage(
        calls=len(used),
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
    )


def needless_switches(expected: Sequence[str], predicted: Sequence[str]) -> int:
    """Ping-pong: lane changes between consecutive turns that the expected labels don't have."""
    return sum(
        1
        for i in range(1, min(len(expected), len(predicted)))
        if predicted[i] != predicted[i - 1] and expected[i] == expected[i - 1]
    )


def is_handoff_loop(chain: Sequence[str]) -> bool:
    """A turn's lane chain (router's lane, then each handoff) that comes back to a lane."""
    return len(set(chain)) < len(chain)


def _edges(chain: Sequence[str]) -> set[tuple[str, str]]:
    return set(pairwise(chain))


def handoff_loops(chains: Sequence[Sequence[str]]) -> int:
    """Turns whose handoffs loop: the chain comes back to a lane, or it hands back a turn
    the previous turn handed over (A -> B, then B -> A on the next message)."""
    loops = 0
    for i, chain in enumerate(chains):
        previous = _edges(chains[i - 1]) if i else set()
        bounced = any((b, a) in previous for a, b in _edges(chain))
        loops += is_handoff_loop(chain) or bounced
    return loops
