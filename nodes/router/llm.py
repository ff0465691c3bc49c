"""The LLM routing method: one structured-output call, every failure turned into one error.

Whatever goes wrong (timeout, 429, 5xx, a refusal, malformed or truncated JSON, a lane
that does not exist) becomes :class:`LLMRouteError` with a reason; the router then falls
back to the offline classifier. With `json_schema`, malformed JSON raises a pydantic
`ValidationError` that `include_raw=True` does not catch; with `function_calling`,
truncated arguments give `parsed=None`; both are handled here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from nodes.registry import LaneSpec
from nodes.router.config import LLMMethod
from nodes.router.errors import LLMRouteError
from nodes.router.llm_direct import DirectRoute
from prompts import RenderedPrompt, load_prompt

if TYPE_CHECKING:  # openai takes seconds to import: a process routing offline never needs it
    import openai

logger = logging.getLogger(__name__)


class LLMRoute(BaseModel):
    """Route a customer's WhatsApp message to one lane."""

    lane: str = Field(description="The lane that should answer: one of the lane names listed.")
    intent: str = Field(description="Short snake_case label of what the customer wants.")
    confidence: float = Field(description="Probability from 0 to 1 that the lane is right.")


@dataclass(frozen=True)
class LLMVerdict:
    lane: str
    intent: str
    confidence: float
    prompt_hash: str


def render_router_prompt(lanes: Sequence[LaneSpec]) -> RenderedPrompt:
    """The router's system prompt with each lane's description and examples filled in."""
    blocks = []
    for spec in lanes:
        examples = [f'"{text}"' for texts in spec.examples.values() for text in texts]
        block = f"- `{spec.name}`: {spec.description}"
        if examples:
            block += f"\n  Examples: {', '.join(examples)}"
        blocks.append(block)
    return load_prompt("router").render(lanes="\n".join(blocks))


def _status_reason(error: openai.APIStatusError) -> str:
    if error.status_code == 429:
        return "rate_limited"
    return "server_error" if error.status_code >= 500 else "client_error"


def _api_error(error: openai.OpenAIError) -> LLMRouteError:
    """Map the OpenAI client's exceptions onto a reason (order matters: subclasses first)."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return LLMRouteError("timeout", str(error))
    if isinstance(error, openai.APIConnectionError):
        return LLMRouteError("connection", str(error))
    if isinstance(error, openai.APIStatusError):
        return LLMRouteError(_status_reason(error), f"HTTP {error.status_code}")
    if isinstance(error, openai.LengthFinishReasonError):
        return LLMRouteError("truncated", "finish_reason=length")
    if isinstance(error, openai.ContentFilterFinishReasonError):
        return LLMRouteError("refusal", "content filter")
    return LLMRouteError("malformed", type(error).__name__)


def _unparsed_reason(result: dict[str, Any]) -> LLMRouteError:
    """`parsed` is None: say why (truncated, refused, or unreadable)."""
    raw = result.get("raw")
    metadata = getattr(raw, "response_metadata", {}) or {}
    if metadata.get("finish_reason") == "length":
        return LLMRouteError("truncated", "finish_reason=length")
    if getattr(raw, "additional_kwargs", {}).get("refusal"):
        return LLMRouteError("refusal", str(raw.additional_kwargs["refusal"])[:200])  # type: ignore[union-attr]
    error = result.get("parsing_error")
    return LLMRouteError("malformed", type(error).__name__ if error else "no structured output")


def total_deadline_s(chat_model: BaseChatModel) -> float | None:
    """The model's configured timeout, used as the *total* deadline of one call.

    The HTTP client applies its timeout per connect and per read, so an endpoint that
    trickles a byte at a time never trips it; the caller wraps the whole call in
    `asyncio.timeout(total_deadline_s(model))` instead. None: no timeout configured."""
    timeout = getattr(chat_model, "request_timeout", None)
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    return None


class LLMClassifier:
    """Asks a chat model (any OpenAI-compatible endpoint) which lane should answer."""

    def __init__(self, chat_model: BaseChatModel, lanes: Sequence[LaneSpec], method: LLMMethod):
        self._deadline_s = total_deadline_s(chat_model)
        self._lanes = {spec.name for spec in lanes}
        self.prompt = render_router_prompt(lanes)
        self._structured = chat_model.with_structured_output(
            LLMRoute, method=method, include_raw=True
        )
        self._direct: DirectRoute | None = None
        if method == "json_schema" and DirectRoute.supports(chat_model):
            self._direct = DirectRoute(chat_model, self.prompt.text, LLMRoute)

    async def classify(self, text: str) -> LLMVerdict:
        """The LLM's lane for `text`; raises :class:`LLMRouteError` on any failure."""
        parsed = await self._ask(text)
        if parsed.lane not in self._lanes:
            raise LLMRouteError("unknown_lane", parsed.lane)
        confidence = min(max(parsed.confidence, 0.0), 1.0)
        return LLMVerdict(
            parsed.lane, parsed.intent or parsed.lane, confidence, self.prompt.short_hash
        )

    async def _ask(self, text: str) -> LLMRoute:
        """The model's answer as an `LLMRoute` (the direct call when the model allows it,
        else LangChain's structured output)."""
        if self._direct is not None:
            parsed = await self._guarded(self._direct.ainvoke(text))
        else:
            messages: list[BaseMessage] = [SystemMessage(self.prompt.text), HumanMessage(text)]
            result = await self._guarded(self._structured.ainvoke(messages))
            if not isinstance(result, dict):
                raise LLMRouteError("malformed", type(result).__name__)
            parsed = result.get("parsed")
            if not isinstance(parsed, LLMRoute):
                raise _unparsed_reason(result)
        if not isinstance(parsed, LLMRoute):
            raise LLMRouteError("malformed", type(parsed).__name__)
        return parsed

    async def _guarded(self, call: Awaitable[Any]) -> Any:
        """Await `call` within the total deadline, every failure as an `LLMRouteError`."""
        import openai  # loaded with the chat model already: a lookup, not an import
        from langchain_openai.chat_models.base import OpenAIRefusalError

        try:
            async with asyncio.timeout(self._deadline_s):
                return await call
        except LLMRouteError:
            raise
        except TimeoutError as error:  # the total deadline: connect and every read
            raise LLMRouteError("timeout", f"no answer within {self._deadline_s} s") from error
        except openai.OpenAIError as error:
            raise _api_error(error) from error
        except (ValidationError, OutputParserException, json.JSONDecodeError) as error:
            raise LLMRouteError("malformed", type(error).__name__) from error
        except OpenAIRefusalError as error:
            raise LLMRouteError("refusal", str(error)[:200]) from error
        except Exception as error:
            # Any other failure of a third-party client must not crash the turn either;
            # it is logged with its traceback and the router falls back offline.
            logger.warning("router.llm.unexpected_error", exc_info=True)
            raise LLMRouteError("unexpected", type(error).__name__) from error
