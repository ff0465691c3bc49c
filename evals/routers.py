"""Builds the router an eval scores, refusing LLM modes when no LLM is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from evals.errors import RouterUnavailable

if TYPE_CHECKING:
    from nodes.router import Router
    from server.settings import Settings

RouterMode = Literal["offline", "llm", "hybrid"]
ROUTER_MODES: tuple[RouterMode, ...] = ("offline", "llm", "hybrid")


def require_llm(mode: str, settings: Settings) -> None:
    """LLM and hybrid modes need a model: without one, hybrid would quietly be offline."""
    if mode != "offline" and not settings.llm_configured:
        raise RouterUnavailable(
            f"--router {mode} needs an LLM: set OPENAI_API_KEY (and ROUTER_MODEL, default "
            f"{settings.router_model}), or OPENAI_BASE_URL for an OpenAI-compatible server "
            "(vLLM, Ollama, LiteLLM). Without one, use --router offline."
        )


def build_eval_router(mode: RouterMode, settings: Settings, **knobs: Any) -> Router:
    """The production router of that mode, with the chat model the service would use;
    ``knobs`` override :class:`RouterConfig` fields (min_confidence, sticky_margin...)."""
    require_llm(mode, settings)
    from nodes.router import RouterConfig, build_router

    chat_model = None
    if mode != "offline":
        from server.llm import build_chat_model

        chat_model = build_chat_model(settings)
    return build_router(mode, chat_model=chat_model, config=RouterConfig(**knobs))
