"""Settings -> the graph's run context (router mode, chat model, tenant data)."""

from __future__ import annotations

from graph.context import Context
from nodes.commerce.memory import MemoryCommerceStore
from nodes.commerce.ports import CommerceStore
from nodes.human.desk import SupportDesk
from server.llm import build_chat_model
from server.logging import get_logger
from server.settings import Settings

log = get_logger(__name__)


def build_context(
    settings: Settings,
    *,
    desk: SupportDesk | None = None,
    commerce: CommerceStore | None = None,
) -> Context:
    """The `Context` turns run with; build it once per process (it caches the router).

    `desk`: tickets and the human handoff (the worker passes the SQL one). `commerce`:
    orders, stock and payments (the worker passes the SQL store; None: in memory)."""
    chat_model = build_chat_model(settings)
    context = Context(
        router_mode=settings.effective_router_mode,
        chat_model=chat_model,
        tenants_dir=settings.tenants_dir,
        desk=desk,
        commerce=commerce if commerce is not None else MemoryCommerceStore(settings.tenants_dir),
    )
    log.info(
        "graph.context",
        router_mode=context.router_mode,
        llm=chat_model is not None,
        router_model=settings.router_model if chat_model is not None else None,
    )
    return context
