"""The router: what a message means, as one `Understanding` (lane, intent, entities, ...).

Order of decisions for one message:
1. a lane's keywords match -> that lane (method `keyword`);
2. a lane holds the conversation (sticky) and the message is a dialogue act ("yes", "2",
   "la azul", "it's order 1234") -> that lane, the act as intent (`sticky`);
2b. the whole message is one a lane claims ("bye", "I'm back", "what can you do?") -> that
   lane and intent (`keyword`, see `nodes.router.claims`);
3. classify: offline (`offline` mode, or `hybrid` when confident) or LLM (`llm` mode, or
   `hybrid` when the offline classifier is not confident); an LLM failure falls back to
   the offline prediction (`fallback`) and is logged;
4. sticky lane active: another lane takes over only if it beats the current one by
   `sticky_margin`, else stay (`sticky`) - no ping-pong;
5. not confident (confidence < `min_confidence` or top-two margin < `min_margin`) ->
   `clarify`: the graph asks one short question with the lanes as options.
Then the intent within the lane (`nodes.router.intents`), and the runner-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol

from langchain_core.language_models import BaseChatModel

from graph.session.contract import Language
from graph.understanding import Entities, IntentScore, Understanding, UnderstandingMethod
from nodes.entities import extract_entities
from nodes.language import detect_language
from nodes.registry import LaneRegistry, default_registry
from nodes.router.acts import dialogue_act
from nodes.router.claims import claimed
from nodes.router.config import RouterConfig
from nodes.router.errors import LLMRouteError
from nodes.router.intents import best_model_intent, resolve_intent
from nodes.router.offline import LanePrediction, OfflineClassifier
from nodes.router.reading import Reading, specific_intent
from nodes.tenants import TenantProfile

if TYPE_CHECKING:  # the LLM client (openai, langchain_openai) takes seconds to import
    from nodes.router.llm import LLMClassifier

logger = logging.getLogger(__name__)
RouterMode = Literal["offline", "llm", "hybrid"]
UNANSWERED = frozenset({"faq_other", "unknown", "greeting", "small_talk"})
"""Intents whose lane has no specific answer for a product named with them ("hi, do you have
coffee?" read as a greeting): such a message is a product question."""


class LaneClassifier(Protocol):
    """What the router needs from an offline classifier (`OfflineClassifier` or a test double)."""

    def predict(self, text: str) -> LanePrediction: ...


@dataclass(frozen=True)
class Candidate:
    """A lane proposal before stickiness and confidence rules are applied."""

    lane: str
    intent: str | None
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    method: UnderstandingMethod = "offline"
    prompt_hash: str | None = None
    fallback_reason: str | None = None
    intent_scores: dict[str, float] = field(default_factory=dict)
    about: str | None = None
    """The lane the message itself is about (before stickiness kept another one)."""

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
        self,
        text: str,
        *,
        current_lane: str | None = None,
        sticky_active: bool = False,
        language: Language | None = None,
        entities: Entities | None = None,
        profile: TenantProfile | None = None,
    ) -> Understanding:
        """Understand `text`; never raises for an LLM problem.

        `language` and `entities` are computed from the text when not given (the graph's
        `route` node gives them, with the conversation's language and the tenant's catalog).
        """
        reading = Reading(
            text=text,
            language=language or detect_language(text),
            entities=entities if entities is not None else extract_entities(text),
            profile=profile,
            sticky_lane=current_lane if sticky_active and current_lane in self._registry else None,
        )
        keyword_lane = next((s.name for s in self._registry if s.matches_keywords(text)), None)
        if keyword_lane is not None:
            keyword = Candidate(keyword_lane, None, 1.0, method="keyword")
            return self._understanding(keyword, reading)
        act = dialogue_act(text, reading.entities) if reading.sticky_lane else None
        if reading.sticky_lane is not None and act is not None:
            kept = Candidate(reading.sticky_lane, act, 1.0, method="sticky")
            return self._understanding(kept, reading, intent=act)
        claim = claimed(text, self._registry)
        if claim is not None:
            lane, intent = claim
            return self._understanding(Candidate(lane, intent, 1.0, method="keyword"),
                                       reading, intent=intent)  # fmt: skip
        candidate = self._settle(await self._classify(text), reading.sticky_lane)
        return self._about_products(self._understanding(candidate, reading))

    def _about_products(self, understanding: Understanding) -> Understanding:
        """A catalog product named in a message its lane could only answer with "I don't
        know" ("Do you have coffee?" read as an info question): the lane that answers
        product questions takes it. Problems (support) and anything a lane does answer stay."""
        entities = understanding.entities
        named = entities.products and entities.position is None  # "2" names nothing
        if not named or understanding.intent not in UNANSWERED:
            return understanding
        shop = next((s for s in self._registry if "product_question" in s.intents), None)
        if shop is None or shop.name == understanding.lane:
            return understanding
        update: dict[str, object] = {"lane": shop.name, "intent": "product_question"}
        if understanding.method == "clarify":  # the catalog's own words settle it
            update |= {"method": "keyword", "sticky_seconds": self.config.sticky_seconds}
        return understanding.model_copy(update=update)

    def confident(self, candidate: Candidate) -> bool:
        return (
            candidate.confidence >= self.config.min_confidence
            and candidate.margin >= self.config.min_margin
        )

    def offline(self, text: str) -> Candidate:
        prediction = self._classifier.predict(text)
        scores = {lane: prediction.scores.get(lane, 0.0) for lane in self._registry.names}
        if prediction.lane in self._registry:
            return Candidate(prediction.lane, prediction.intent, prediction.confidence, scores,
                             intent_scores=dict(prediction.intent_scores))  # fmt: skip
        # A lane the graph does not have (a registry without it): best lane it does have.
        lane = max(scores, key=lambda name: scores[name])
        return Candidate(lane, None, scores[lane], scores)

    async def _classify(self, text: str) -> Candidate:
        if self._llm is None:
            return self.offline(text)
        # In "llm" mode the offline model is only the fallback: it runs when the LLM fails,
        # not on every turn (milliseconds of CPU saved while the LLM answers).
        offline = None if self.mode == "llm" else self.offline(text)
        if self.mode == "hybrid" and offline is not None and self.confident(offline):
            return offline
        try:
            verdict = await self._llm.classify(text)
        except LLMRouteError as error:
            if offline is None:
                offline = self.offline(text)
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

    def _settle(self, candidate: Candidate, sticky_lane: str | None) -> Candidate:
        candidate = replace(candidate, about=candidate.lane)
        if sticky_lane is not None and candidate.lane != sticky_lane:
            lead = candidate.scores.get(
                candidate.lane, candidate.confidence
            ) - candidate.scores.get(sticky_lane, 0.0)
            if lead < self.config.sticky_margin or not self.confident(candidate):
                return replace(candidate, lane=sticky_lane, method="sticky")
        if sticky_lane is None and not self.confident(candidate):
            return replace(candidate, method="clarify")
        return candidate

    def _intent(self, candidate: Candidate, reading: Reading) -> str:
        """The intent in the taxonomy. For a lane kept by stickiness: its own intent when the
        message names one, else the other lane's when the message names that one outright
        (the kept lane then hands the turn on), else the kept lane's reading."""
        llm_intent = candidate.intent if candidate.method == "llm" else None
        if candidate.about and candidate.about != candidate.lane:
            for lane in (candidate.lane, candidate.about):
                named = specific_intent(reading, self._registry.get(lane), llm_intent)
                if named is not None:
                    return named
        spec = self._registry.get(candidate.lane)
        model = best_model_intent(spec, candidate.intent, candidate.intent_scores)
        return resolve_intent(reading.text, spec, entities=reading.entities,
                              llm_intent=llm_intent, model_intent=model,
                              profile=reading.profile)  # fmt: skip

    def _runner_up(self, candidate: Candidate) -> IntentScore | None:
        others = {lane: p for lane, p in candidate.scores.items() if lane != candidate.lane}
        if not others:
            return None
        lane = max(sorted(others), key=lambda name: others[name])
        spec = self._registry.get(lane)
        intent = best_model_intent(spec, candidate.intent, candidate.intent_scores)
        score = round(min(max(others[lane], 0.0), 1.0), 4)
        return IntentScore(lane=lane, intent=intent or spec.fallback_intent, score=score)

    def _understanding(
        self, candidate: Candidate, reading: Reading, *, intent: str | None = None
    ) -> Understanding:
        sticky_seconds = 0 if candidate.method == "clarify" else self.config.sticky_seconds
        return Understanding(
            lane=candidate.lane,
            intent=intent or self._intent(candidate, reading),
            confidence=round(min(max(candidate.confidence, 0.0), 1.0), 4),
            language=reading.language,
            entities=reading.entities,
            runner_up=self._runner_up(candidate),
            method=candidate.method,
            sticky_seconds=sticky_seconds,
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
    llm = None
    if mode != "offline" and chat_model is not None:
        from nodes.router.llm import LLMClassifier

        llm = LLMClassifier(chat_model, list(registry), config.llm_method)
    return Router(
        mode,
        classifier=classifier or OfflineClassifier.default(),
        registry=registry,
        llm=llm,
        config=config,
    )
