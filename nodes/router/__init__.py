"""The router: `build_router(mode, chat_model=..., config=...)` -> `Router.route(text)`,
which returns the message's `Understanding` (`graph/understanding.py`)."""

from nodes.router.config import RouterConfig
from nodes.router.errors import LLMRouteError, RouterError
from nodes.router.router import Candidate, LaneClassifier, Router, RouterMode, build_router

__all__ = [
    "Candidate",
    "LLMRouteError",
    "LaneClassifier",
    "Router",
    "RouterConfig",
    "RouterError",
    "RouterMode",
    "build_router",
]
