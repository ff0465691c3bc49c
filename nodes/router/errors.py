"""Router errors, one tree:

RouterError                 something stopped a routing method (never escapes Router.route)
└── LLMRouteError           the LLM gave no usable decision; the router falls back offline
      reason: timeout | rate_limited | server_error | connection | client_error
              | refusal | malformed | truncated | unknown_lane | unexpected
      transient: True for timeout, rate_limited, server_error, connection
"""

from __future__ import annotations

TRANSIENT_REASONS = frozenset({"timeout", "rate_limited", "server_error", "connection"})


class RouterError(Exception):
    """Base class of routing errors."""


class LLMRouteError(RouterError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def transient(self) -> bool:
        return self.reason in TRANSIENT_REASONS
