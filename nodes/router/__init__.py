"""The router: `build_router(mode, chat_model=..., config=...)` -> `Router.route(text)`."""

from nodes.router.config import RouterConfig
from nodes.router.errors import LLMRouteError, RouterError
from nodes.router.router import Candidate, LaneClassifier, Router, RouterMode, build_router
from nodes.router.types import RouteDecision, RouteMethod

__all__ = [
    "Candidate",
    "LLMRouteError",
    "LaneClassifier",
    "RouteDecision",
    "RouteMethod",
    "Router",
    "RouterConfig",
    "RouterError",
    "RouterMode",
    "build_router",
]
