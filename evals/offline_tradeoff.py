"""Print the offline router's accuracy/coverage trade-off: python -m evals.offline_tradeoff."""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.tradeoff import TEST_PATH, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=TEST_PATH, help="JSONL with text/lane/lang")
    args = parser.parse_args()
    print(report(args.dataset))


if __name__ == "__main__":
    main()
