"""Defensive readers for webhook JSON: a wrong type becomes "absent", never an exception.

Meta's payloads change over time and some arrive partial (a `type` whose object is
missing), so every parser reads fields through these helpers instead of indexing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

EMPTY: Mapping[str, Any] = {}


def obj(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty mapping."""
    if type(value) is dict:  # what `json.loads` gives: skip the slower ABC check
        return value
    return value if isinstance(value, Mapping) else EMPTY


def objects(value: object) -> tuple[Mapping[str, Any], ...]:
    """The JSON objects of a list (other items and non-lists are dropped)."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if type(item) is dict or isinstance(item, Mapping))


def string(value: object) -> str | None:
    """A string (numbers are converted: some fields are ints in old payloads)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def integer(value: object) -> int | None:
    """An int, or None for anything else, including `Infinity`/`NaN` (valid for `json.loads`)."""
    result = number(value)
    if result is None or not math.isfinite(result):
        return None
    return int(result)


def flag(value: object) -> bool:
    return value is True


def timestamp(value: object) -> datetime | None:
    """Meta's `timestamp`: Unix seconds, usually as a string."""
    seconds = number(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
