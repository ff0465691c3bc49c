"""People of the business taking over a conversation: the desk the graph talks to.

`desk.py` is the Protocol the graph uses (implemented by the server over SQL, injected
through `Context.desk`); `attend.py` is the node that keeps the bot quiet while a person
has the conversation; `texts.py` says what happens to the customer, honestly, in their
language; `team.py` works out when the team is available.
"""

from nodes.human.desk import (
    HandoffRequest,
    HandoffState,
    HandoffView,
    SupportDesk,
    TicketDraft,
    TicketRef,
)

__all__ = [
    "HandoffRequest",
    "HandoffState",
    "HandoffView",
    "SupportDesk",
    "TicketDraft",
    "TicketRef",
]
