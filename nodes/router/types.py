"""The router's contract: which lane answers a message, and how sure it is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RouteMethod = Literal["offline", "llm", "sticky", "clarify", "choice", "fallback", "keyword"]
"""offline/llm: that classifier decided; sticky: kept the current lane; clarify: not sure,
ask; choice: a button/list reply; fallback: offline after an LLM failure; keyword: a
lane's keywords matched."""


class RouteDecision(BaseModel):
    """The original contract `lane, intent, confidence, sticky_seconds`, plus the method."""

    model_config = ConfigDict(frozen=True)

    lane: str
    intent: str
    confidence: float = Field(ge=0.0, le=1.0)
    sticky_seconds: int = Field(ge=0)
    method: RouteMethod
    scores: dict[str, float] = Field(default_factory=dict)
    """Probability per lane, when the method produces one (offline classifier)."""
    prompt_hash: str | None = None
    """Short SHA-256 of the LLM router prompt, when the LLM was asked."""
    fallback_reason: str | None = None
    """Why the LLM's answer was not used (timeout, rate_limited, malformed, ...)."""
