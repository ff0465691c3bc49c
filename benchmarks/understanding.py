"""What understanding one message costs offline: the router today vs the word model alone.

    python -m benchmarks.understanding [--rounds 3] [--messages FILE]

Both offline classifiers are built from the same train split in this run:

- `tfidf` (baseline): the former offline router, TF-IDF word/character n-grams and a
  logistic regression (`OfflineClassifier.train(rows, embeddings=False)`);
- `tfidf+embeddings` (current): the same plus multilingual sentence embeddings, an intent
  model and nearest neighbours on them (`OfflineClassifier.default()`).

For each it times, per message, the classifier's `predict` and the whole offline
understanding (`Router.route` in `offline` mode: keywords, dialogue acts, language,
entities, classifier, intent), interleaving the two models message by message so that
the machine's load hits both alike. The process is pinned to one CPU core
(`sched_setaffinity`) and BLAS to one thread. Messages: `evals/datasets/style_dev.jsonl`
(EN/ES/PT, written apart from the training data), each timed `--rounds` times after a
warm-up. It also prints the lane accuracy of each model on those messages. Times per call
in milliseconds, p50 / p95: CPU time of the thread (the cost, which the budget is about)
and wall-clock (inflated by whatever else the shared machine runs: compare ratios within
one run, not milliseconds across runs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

from threadpoolctl import threadpool_limits

from benchmarks.results import add_json_option, write_json
from nodes.router import build_router
from nodes.router.offline import (
    TRAIN_PATH,
    LabeledExample,
    OfflineClassifier,
    load_examples,
)

MESSAGES = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "style_dev.jsonl"


def pin_to_one_core() -> str:
    """Run on one core (the budget is per core); returns which, or why not."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this platform)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Clock:
    """CPU time of this thread (what the message costs, whatever else runs on the machine)
    and wall-clock time (what the customer waits, which the machine's load inflates)."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []

    def __enter__(self) -> Clock:
        self._cpu, self._wall = time.thread_time_ns(), time.perf_counter_ns()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu.append((time.thread_time_ns() - self._cpu) / 1e6)
        self.wall.append((time.perf_counter_ns() - self._wall) / 1e6)


def row(name: str, clock: Clock, baseline: Clock | None) -> str:
    cpu = [percentile(clock.cpu, q) for q in (0.5, 0.95)]
    wall = [percentile(clock.wall, q) for q in (0.5, 0.95)]
    ratio = f"{cpu[0] / percentile(baseline.cpu, 0.5):.2f}×" if baseline else "1.00×"
    return f"| {name} | **{cpu[0]:.2f}** | {cpu[1]:.2f} | {ratio} | {wall[0]:.2f} | {wall[1]:.2f} |"


async def measure(
    messages: list[LabeledExample], rounds: int, json_path: Path | None = None
) -> None:
    where = pin_to_one_core()
    train = load_examples(TRAIN_PATH)
    started = time.perf_counter()
    baseline = OfflineClassifier.train(train, embeddings=False)
    baseline_s = time.perf_counter() - started
    started = time.perf_counter()
    current = OfflineClassifier.default()
    current_s = time.perf_counter() - started
    models = {"tfidf (baseline)": baseline, "tfidf+embeddings (current)": current}
    routers = {name: build_router("offline", classifier=model) for name, model in models.items()}
    predict = {name: Clock() for name in models}
    route = {name: Clock() for name in models}
    right = dict.fromkeys(models, 0)
    with threadpool_limits(limits=1, user_api="blas"):
        for message in messages[:20]:  # warm-up: first calls allocate and fill caches
            for name, model in models.items():
                model.predict(message.text)
                await routers[name].route(message.text)
        for round_ in range(rounds):
            for message in messages:
                for name, model in models.items():
                    with predict[name]:
                        model.predict(message.text)
                    with route[name]:
                        await routers[name].route(message.text)
                    if round_ == 0:
                        right[name] += model.predict(message.text).lane == message.lane

    names = list(models)
    first = names[0]
    print(f"Offline understanding, one message at a time ({where}, BLAS 1 thread; "
          f"{len(messages)} messages x {rounds} rounds; load average "
          f"{os.getloadavg()[0]:.1f})\n")  # fmt: skip
    print("| what | CPU p50 ms | CPU p95 ms | CPU p50 vs baseline | wall p50 ms | wall p95 ms |")
    print("|---|---|---|---|---|---|")
    for name in names:
        base = None if name == first else predict[first]
        print(row(f"classifier `predict`, {name}", predict[name], base))
    for name in names:
        base = None if name == first else route[first]
        print(row(f"whole understanding `Router.route`, {name}", route[name], base))
    print()
    print("| model | built in, s | lane accuracy on these messages |")
    print("|---|---|---|")
    for name, seconds in zip(names, (baseline_s, current_s), strict=True):
        print(f"| {name} | {seconds:.1f} | {right[name] / len(messages):.1%} |")
    print(f"\n(`{current.kind}` was built from the model cache when present; "
          "the baseline is always trained.)")  # fmt: skip

    def quantiles(clock: Clock) -> dict[str, float]:
        return {
            "cpu_p50_ms": percentile(clock.cpu, 0.5),
            "cpu_p95_ms": percentile(clock.cpu, 0.95),
            "wall_p50_ms": percentile(clock.wall, 0.5),
        }

    results = {
        "messages": len(messages),
        "rounds": rounds,
        "models": {
            "baseline" if name == first else "current": {
                "name": name,
                "predict": quantiles(predict[name]),
                "route": quantiles(route[name]),
                "accuracy": right[name] / len(messages),
            }
            for name in names
        },
    }
    write_json(json_path, "understanding", results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the messages")
    parser.add_argument("--messages", type=Path, default=MESSAGES, help="JSONL with text, lane")
    add_json_option(parser)
    args = parser.parse_args()
    asyncio.run(measure(load_examples(args.messages), args.rounds, args.json))


if __name__ == "__main__":
    main()
