"""The graph's state: what a turn receives (`InputState`) and everything it works with (`State`).

The checkpointer persists every channel, so the per-turn fields below are reset by the
first node of every turn (`load`); only `session` carries over from turn to turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.messages import InboundTurn, OutboundMessage
from graph.session.contract import Language, SessionPatch
from graph.understanding import Understanding
from nodes.language import turn_language


@dataclass(kw_only=True)
class InputState:
    """What the controller (or LangGraph Studio) sends in for one turn."""

    turn: InboundTurn
    """The user's message. Studio may send it as a plain dict; `load` validates it."""


@dataclass(kw_only=True)
class State(InputState):
    """The full state of a turn. Only `session` is meant to persist between turns."""

    session: dict[str, Any] | None = None
    """The conversation's `SessionState` as a JSON dict (`model_dump(mode="json")`), so an
    old checkpoint is upcast on read. None for a brand-new conversation."""

    base_version: int = 0
    """The session version this turn started from; the patch is applied against it."""

    understanding: Understanding | None = None
    """What the message says, understood once by `route`: lane, intent, entities, language,
    confidence, runner-up and method. Every lane reads it; none re-reads the text."""

    lane: str | None = None
    """The lane currently handling the turn (changes on a handoff)."""

    handoff_to: str | None = None
    """Set by a lane that wants another lane to answer; `handoff` accepts or refuses it."""

    handoffs: list[str] = field(default_factory=list)
    """Lanes handed off to in this turn, in order (at most `MAX_HANDOFFS`)."""

    outbound: list[OutboundMessage] = field(default_factory=list)
    """The replies of this turn, in sending order."""

    notices: list[OutboundMessage] = field(default_factory=list)
    """Told before the turn's replies whatever lane answers (an expired cart was dropped);
    kept apart from `outbound`, which says whether a lane has answered yet."""

    patch: SessionPatch | None = None
    """The session changes the lanes made this turn; `finalize` applies them."""

    muted: bool = False
    """A person has the conversation (or is asked for): no lane answers this turn."""

    @property
    def language(self) -> Language:
        """The language to answer in: the understanding's once `route` ran; before that (a
        muted turn never reaches `route`) the same rule applied to the message here."""
        if self.understanding is not None:
            return self.understanding.language
        meta = (self.session or {}).get("meta") or {}
        return turn_language(InboundTurn.model_validate(self.turn), meta.get("language"))


CARRIED_CHANNELS: tuple[str, ...] = ("session",)
"""The only channel a turn needs from the previous one: `load` resets the others (below)
and the controller sends `turn`, so the session store keeps just this one."""

PER_TURN_RESET: dict[str, Any] = {
    "understanding": None,
    "lane": None,
    "handoff_to": None,
    "handoffs": [],
    "outbound": [],
    "notices": [],
    "patch": None,
    "muted": False,
}
"""What `load` writes at the start of every turn so nothing leaks from the previous one."""
