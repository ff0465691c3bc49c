"""Machine-readable results of a benchmark: `--json PATH` writes them for `benchmarks.summary`.

Each script keeps printing its own markdown table; with `--json` it also writes one JSON
object (its measurements, raw per repetition where it repeats) that the summary reads.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write the results as JSON"
    )


def write_json(path: Path | None, benchmark: str, results: dict[str, Any]) -> None:
    """Write `results` (plus when and under which load) to `path`; nothing when None."""
    if path is None:
        return
    payload = {
        "benchmark": benchmark,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": round(os.getloadavg()[0], 1),
        **results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
