"""Per-run knobs of the graph, read by nodes through `Runtime[Context]`.

Every field has a default, so `Context()` runs offline with the demo tenant. Production
builds it from settings (`server.graph_runtime.build_context`); tests pass `now` and a
scripted chat model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel

from nodes.commerce.memory import MemoryCommerceStore
from nodes.commerce.ports import CommerceStore
from nodes.human.desk import SupportDesk
from nodes.registry import LaneRegistry, default_registry
from nodes.router import Router, RouterConfig, build_router


@dataclass(kw_only=True)
class Context:
    router_mode: Literal["offline", "llm", "hybrid"] = "offline"
    """offline: no network; llm: ask the chat model; hybrid: the LLM only when unsure."""

    chat_model: BaseChatModel | None = None
    """The chat model for `llm`/`hybrid` (None: those modes degrade to offline)."""

    min_confidence: float = RouterConfig.min_confidence
    """Below this the router asks a clarifying question."""

    min_margin: float = RouterConfig.min_margin
    """Top-two lanes closer than this: clarifying question too."""

    sticky_margin: float = RouterConfig.sticky_margin
    """How much another lane must beat the sticky lane by to take over."""

    sticky_seconds: int = RouterConfig.sticky_seconds
    """How long a lane stays preferred after it answered."""

    tenants_dir: str | None = None
    """Folder of tenant YAML profiles (None: the demo data shipped in `nodes/tenants/data`)."""

    now: datetime | None = None
    """A fixed clock for tests and evals (None: the real UTC time)."""

    router: Router | None = None
    """A ready router (evals, tests); None: built from the fields above on first use."""

    lanes: LaneRegistry | None = None
    """The graph's lanes, for menus built inside a lane; the graph sets it for its lanes'
    handlers (None: the shipped lanes)."""
    desk: SupportDesk | None = None
    """Tickets and the human handoff state (production: SQL). None: nothing is muted and
    the support lane says it cannot bring a person in."""

    commerce: CommerceStore = field(default_factory=MemoryCommerceStore)
    """Orders, stock and payments (production: SQL and the payment provider). The default
    keeps them in memory, for tests and Studio: nothing is charged or kept on disk."""

    _routers: dict[int, Router] = field(default_factory=dict, init=False, repr=False, compare=False)

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    @property
    def router_config(self) -> RouterConfig:
        return RouterConfig(
            min_confidence=self.min_confidence,
            min_margin=self.min_margin,
            sticky_margin=self.sticky_margin,
            sticky_seconds=self.sticky_seconds,
        )

    def router_for(self, registry: LaneRegistry) -> Router:
        """The router for the graph's lanes, built once per context and registry."""
        if self.router is not None:
            return self.router
        key = id(registry)
        if key not in self._routers:
            self._routers[key] = build_router(
                self.router_mode,
                chat_model=self.chat_model,
                config=self.router_config,
                registry=registry,
            )
        return self._routers[key]


def lanes_of(ctx: Context) -> LaneRegistry:
    """The lanes of the running graph (the shipped ones when the graph did not say)."""
    return ctx.lanes if ctx.lanes is not None else default_registry()


_STUDIO_COMMERCE = MemoryCommerceStore()
"""Studio builds a context per run: one in-memory store keeps its orders between runs."""


def context_from(raw: Any) -> Context:
    """A `Context` from whatever the runtime holds (Studio may pass None or a dict)."""
    if isinstance(raw, Context):
        return raw
    if isinstance(raw, dict):
        known = {k: v for k, v in raw.items() if k in Context.__dataclass_fields__ and k[0] != "_"}
        return Context(**{"commerce": _STUDIO_COMMERCE, **known})
    return Context(commerce=_STUDIO_COMMERCE)
