"""The routing call's fast path: one request body prepared once, the answer read directly.

`with_structured_output` rebuilds the request on every call (LangChain's runnable and
callback machinery, then the OpenAI client's recursive transform of the parameters and its
pydantic model of the response): about 6 ms of CPU per call, more than the rest of the
router. For a `ChatOpenAI` model in `json_schema` mode, :class:`DirectRoute` instead keeps
the body LangChain would send (the model's own parameters, the same `response_format` the
client's `parse` helper derives from :class:`LLMRoute`) and posts it through the model's
OpenAI client, so the transport, the timeout, the retries and the client's exception tree
are the same; the answer is validated with pydantic. Failures map to the same reasons as
the LangChain path (`nodes.router.llm`). The callbacks LangChain would run (the model's
own, such as the call metrics, the run's inherited ones, configure hooks such as the
evals' token counter, tracers) are told of each call's start and end, with its usage.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import httpx
from langchain_core.callbacks import AsyncCallbackManager, AsyncCallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables.config import var_child_runnable_config
from pydantic import BaseModel, ValidationError

from nodes.router.errors import LLMRouteError

if TYPE_CHECKING:
    import openai

CHAT_COMPLETIONS = "/chat/completions"
JSON_HEADERS = {"Content-Type": "application/json"}


class DirectRoute:
    """Posts the routing request for `schema` through a `ChatOpenAI` model's client."""

    def __init__(self, chat_model: BaseChatModel, system_prompt: str, schema: type[BaseModel]):
        from openai.lib._parsing._completions import type_to_response_format_param

        self._schema = schema
        self._client: openai.AsyncOpenAI = chat_model.root_async_client  # type: ignore[attr-defined]
        payload = chat_model._get_request_payload(  # type: ignore[attr-defined]
            [SystemMessage(system_prompt), HumanMessage("")],
            response_format=type_to_response_format_param(schema),
        )
        self._payload = payload
        self._messages = payload["messages"][:-1]
        self._model = chat_model
        self._system_prompt = system_prompt

    @staticmethod
    def supports(chat_model: BaseChatModel) -> bool:
        """A `ChatOpenAI` talking the chat-completions API (not the responses API)."""
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:  # pragma: no cover - a dependency of the project
            return False
        return (
            type(chat_model) is ChatOpenAI
            and getattr(chat_model, "root_async_client", None) is not None
            and not chat_model.use_responses_api
            and not chat_model.streaming
        )

    async def ainvoke(self, text: str) -> BaseModel:
        """The schema's instance the model answered; raises the OpenAI client's errors,
        `LLMRouteError` for an answer that is not one."""
        body = {**self._payload, "messages": [*self._messages, {"role": "user", "content": text}]}
        content = json.dumps(body, ensure_ascii=False).encode()
        run = await self._started(text)
        try:
            response = await self._client.post(
                CHAT_COMPLETIONS,
                cast_to=httpx.Response,
                content=content,
                options={"headers": JSON_HEADERS},
            )
            # As inside LangChain's model: an answer that does not parse is the run's error
            # (and its tokens are not reported).
            parsed = self._parse(response.content)
        except BaseException as error:
            await self._ended(run, error)
            raise
        await self._ended(run, response.content)
        return parsed

    def _parse(self, raw: bytes) -> BaseModel:
        """The checks of the client's `parse` helper, in its order."""
        try:
            choice = json.loads(raw)["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise LLMRouteError("malformed", type(error).__name__) from error
        finish_reason = choice.get("finish_reason")
        if finish_reason == "length":
            raise LLMRouteError("truncated", "finish_reason=length")
        if finish_reason == "content_filter":
            raise LLMRouteError("refusal", "content filter")
        if message.get("refusal"):
            raise LLMRouteError("refusal", str(message["refusal"])[:200])
        content = message.get("content")
        if not content:
            raise LLMRouteError("malformed", "no structured output")
        try:
            return self._schema.model_validate_json(content)
        except ValidationError as error:
            raise LLMRouteError("malformed", type(error).__name__) from error

    async def _started(self, text: str) -> AsyncCallbackManagerForLLMRun | None:
        """Tell the callbacks LangChain would tell (the model's, the run's inherited ones,
        configure hooks and tracers) that a chat-model run starts; None when none listen."""
        config = var_child_runnable_config.get() or {}
        manager = AsyncCallbackManager.configure(
            config.get("callbacks"),
            self._model.callbacks,
            self._model.verbose,
            config.get("tags"),
            self._model.tags,
            config.get("metadata"),
            self._model.metadata,
        )
        if not manager.handlers:
            return None
        messages = [SystemMessage(self._system_prompt), HumanMessage(text)]
        (run,) = await manager.on_chat_model_start(
            {"name": type(self._model).__name__}, [messages], run_id=uuid.uuid4()
        )
        return run

    async def _ended(
        self, run: AsyncCallbackManagerForLLMRun | None, outcome: bytes | BaseException
    ) -> None:
        if run is None:
            return
        if isinstance(outcome, BaseException):
            await run.on_llm_error(outcome)
        else:
            await run.on_llm_end(_llm_result(outcome))


def _llm_result(raw: bytes) -> LLMResult:
    """What the callbacks see of an answer: its text, model name and token usage."""
    try:
        data = json.loads(raw)
        content = data["choices"][0]["message"].get("content") or ""
        usage = data.get("usage") or {}
        model_name = data.get("model")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return LLMResult(generations=[[]])
    prompt, completion = (
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
    )
    message = AIMessage(
        content=content,
        response_metadata={"model_name": model_name} if model_name else {},
        usage_metadata=UsageMetadata(
            input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion
        )
        if usage
        else None,
    )
    return LLMResult(
        generations=[[ChatGeneration(message=message)]],
        llm_output={"token_usage": usage, "model_name": model_name},
    )
