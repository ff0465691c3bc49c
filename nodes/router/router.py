"""The router: which lane answers a message, combining classifier, LLM and stickiness.

Order of decisions for one message:
1. a lane's keywords match -> that lane (method `keyword`);
2. sticky lane active and the message is a short follow-up -> stay (`sticky`);
3. classify: offline (`offline` mode, or `hybrid` when confident) or LLM (`llm` mode, or
   `hybrid` when the offline classifier is not confident); an LLM failure falls back to
   the offline prediction (`fallback`) and is logged;
4. sticky lane active: another lane takes over only if it beats the current one by
   `sticky_margin`, else stay (`sticky`) - no ping-pong;
5. not confident (confidence < `min_confidence` or top-two margin < `min_margin`) ->
   `clarify`: the graph asks one short question with reply buttons.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from langchain_core.language_models import BaseChatModel

from nodes.registry import LaneRegistry, default_registry
from nodes.router.config import RouterConfig
from nodes.router.errors import LLMRouteError
from nodes.router.followups import is_followup
from nodes.router.llm import LLMClassifier
from nodes.router.offline import LanePrediction, OfflineClassifier
from nodes.router.types import RouteDecision, RouteMethod

logger = logging.getLogger(__name__)
RouterMode = Literal["offline", "llm", "hybrid"]


class LaneClassifier(Protocol):
    """What the router needs from an offline classifier (`OfflineClassifier` or a test double)."""

    def predict(self, text: str) -> LanePrediction: ...


@dataclass(frozen=True)
class Candidate:
    """A lane proposal before stickiness and confidence rules are applied."""

    lane: str
    intent: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    method: RouteMethod = "offline"
    prompt_hash: str | None = None
    fallback_reason: str | None = None

    @property
    def margin(self) -> float:
        """Top score minus the runner-up (1.0 when there is no runner-up)."""
        ranked = sorted(self.scores.values(), reverse=True)
        return ranked[0] - ranked[1] if len(ranked) > 1 else 1.0


class Router:
    def __init__(
        self,
        mode: RouterMode,
        *,
        classifier: LaneClassifier,
        registry: LaneRegistry,
        llm: LLMClassifier | None = None,
        config: RouterConfig = RouterConfig(),
    ):
        self.mode: RouterMode = mode if llm is not None else "offline"
        self.config = config
        self._classifier = classifier
        self._registry = registry
        self._llm = llm

    async def route(
        self, text: str, *, current_lane: str | None = None, sticky_active: bool = False
    ) -> RouteDecision:
        """Decide the lane for `text`; never raises for an LLM problem."""
        keyword_lane = next((s.name for s in self._registry if s.matches_keywords(text)), None)
        if keyword_lane is not None:
            return self._decision(Candidate(keyword_lane, keyword_lane, 1.0, method="keyword"))
        sticky = sticky_active and current_lane in self._registry
        if sticky and current_lane is not None and is_followup(text):
            return self._decision(Candidate(current_lane, "followup", 1.0, method="sticky"))
        candidate = await self._classify(text)
        return self._settle(candidate, current_lane if sticky else None)

    def confident(self, candidate: Candidate) -> bool:
        return (
            candidate.confidence >= self.config.min_confidence
            and candidate.margin >= self.config.min_margin
        )

    def offline(self, text: str) -> Candidate:
        prediction = self._classifier.predict(text)
        scores = {lane: prediction.scores.get(lane, 0.0) for lane in self._registry.names}
        if prediction.lane in self._registry:
            return Candidate(prediction.lane, prediction.intent, prediction.confidence, scores)
        # A lane the graph does not have (a registry without it): best lane it does have.
        lane = max(scores, key=lambda name: scores[name])
        return Candidate(lane, lane, scores[lane], scores)

    async def _classify(self, text: str) -> Candidate:
        offline = self.offline(text)
        if self._llm is None or (self.mode == "hybrid" and self.confident(offline)):
            return offline
        try:
            verdict = await self._llm.classify(text)
        except LLMRouteError as error:
            logger.warning(
                "router.llm.fallback",
                extra={"fields": {"reason": error.reason, "transient": error.transient,
                                  "prompt_hash": self._llm.prompt.short_hash}},
            )  # fmt: skip
            return replace(offline, method="fallback", fallback_reason=error.reason)
        logger.info(
            "router.llm.decision",
            extra={"fields": {"lane": verdict.lane, "intent": verdict.intent,
                              "confidence": verdict.confidence,
                              "prompt_hash": verdict.prompt_hash}},
        )  # fmt: skip
        rest = (1.0 - verdict.confidence) / max(len(self._registry) - 1, 1)
        scores = {lane: rest for lane in self._registry.names} | {verdict.lane: verdict.confidence}
        return Candidate(
            verdict.lane, verdict.intent, verdict.confidence, scores, "llm", verdict.prompt_hash
        )

    def _settle(self, candidate: Candidate, sticky_lane: str | None) -> RouteDecision:
        if sticky_lane is not None and candidate.lane != sticky_lane:
            lead = candidate.scores.get(
                candidate.lane, candidate.confidence
            ) - candidate.scores.get(sticky_lane, 0.0)
            if lead < self.config.sticky_margin or not self.confident(candidate):
                return self._decision(replace(candidate, lane=sticky_lane, method="sticky"))
        if sticky_lane is None and not self.confident(candidate):
            return self._decision(replace(candidate, method="clarify"))
        return self._decision(candidate)

    def _decision(self, candidate: Candidate) -> RouteDecision:
        sticky_seconds = 0 if candidate.method == "clarify" else self.config.sticky_seconds
        return RouteDecision(
            lane=candidate.lane,
            intent=candidate.intent,
            confidence=round(min(max(candidate.confidence, 0.0), 1.0), 4),
            sticky_seconds=sticky_seconds,
            method=candidate.method,
            scores=candidate.scores,
            prompt_hash=candidate.prompt_hash,
            fallback_reason=candidate.fallback_reason,
        )


def build_router(
    mode: RouterMode,
    *,
    chat_model: BaseChatModel | None = None,
    config: RouterConfig = RouterConfig(),
    registry: LaneRegistry | None = None,
    classifier: LaneClassifier | None = None,
) -> Router:
    """A router in `mode`; `llm`/`hybrid` without a chat model degrade to `offline` (logged)."""
    registry = registry or default_registry()
    if mode != "offline" and chat_model is None:
        logger.warning("router.mode.degraded", extra={"fields": {"mode": mode, "to": "offline"}})
    llm = (
        LLMClassifier(chat_model, list(registry), config.llm_method)
        if mode != "offline" and chat_model is not None
        else None
    )
    return Router(
        mode,
        classifier=classifier or OfflineClassifier.default(),
        registry=registry,
        llm=llm,
        config=config,
    )
