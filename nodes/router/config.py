"""The router's knobs: confidence thresholds, stickiness and the LLM call style."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LLMMethod = Literal["json_schema", "function_calling"]


@dataclass(frozen=True)
class RouterConfig:
    min_confidence: float = 0.5
    """Below this the router asks one clarifying question instead of guessing."""
    min_margin: float = 0.1
    """...and also when the top two lanes are closer than this."""
    sticky_margin: float = 0.5
    """While sticky, another lane must beat the current one by this much to take over
    (0.3/0.4/0.5/0.6/0.7 gave 85.9/89.0/90.0/90.6/89.0% on the conversation eval)."""
    sticky_seconds: int = 900
    """How long a lane stays preferred after it answered."""
    llm_method: LLMMethod = "json_schema"
    """How the LLM returns its answer: OpenAI structured outputs, or a tool call."""
