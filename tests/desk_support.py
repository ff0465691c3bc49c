"""An in-memory support desk for graph and lane tests (production uses the SQL one).

It implements `nodes.human.desk.SupportDesk` with the same idempotency rules: one ticket
per inbound message, one handoff request per conversation until it is given back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from graph.session.contract import Language
from nodes.human.desk import HandoffRequest, HandoffView, TicketDraft, TicketRef


@dataclass
class MemoryDesk:
    views: dict[tuple[str, str], HandoffView] = field(default_factory=dict)
    requests: list[HandoffRequest] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    tickets: dict[str, TicketRef] = field(default_factory=dict)
    """By the inbound message id that opened them."""
    attached: dict[str, list[str]] = field(default_factory=dict)
    """Ticket number -> texts of the follow-ups attached to it."""
    has_people: bool = True
    """What `reachable` answers: False for a business with no agent, webhook or Chatwoot."""

    async def reachable(self, tenant_id: str) -> bool:
        return self.has_people

    async def handoff_view(self, tenant_id: str, wa_id: str) -> HandoffView:
        return self.views.get((tenant_id, wa_id), HandoffView())

    async def request_handoff(self, request: HandoffRequest) -> HandoffView:
        key = (request.tenant_id, request.wa_id)
        if self.views.get(key, HandoffView()).state == "bot":
            self.requests.append(request)
            self.views[key] = HandoffView(state="requested", request_msg_id=request.msg_id)
        return self.views[key]

    async def cancel_request(self, tenant_id: str, wa_id: str, msg_id: str) -> bool:
        if self.views.get((tenant_id, wa_id), HandoffView()).state != "requested":
            return False
        self.views[(tenant_id, wa_id)] = HandoffView()
        return True

    async def resumed(self, tenant_id: str, wa_id: str) -> None:
        view = self.views.get((tenant_id, wa_id))
        if view is not None and view.state == "bot":
            self.views[(tenant_id, wa_id)] = HandoffView()

    async def hold_message(
        self, tenant_id: str, wa_id: str, msg_id: str, language: Language
    ) -> None:
        if msg_id not in self.held:
            self.held.append(msg_id)

    async def open_ticket(self, draft: TicketDraft) -> TicketRef:
        if draft.msg_id in self.tickets:
            existing = self.tickets[draft.msg_id]
            return TicketRef(existing.number, existing.category, existing.status)
        number = "T-" + hashlib.sha256(draft.msg_id.encode()).hexdigest()[:6].upper()
        self.tickets[draft.msg_id] = TicketRef(number, draft.category, "open", created=True)
        return self.tickets[draft.msg_id]

    async def add_to_ticket(self, tenant_id: str, number: str, msg_id: str, text: str) -> bool:
        if not any(t.number == number for t in self.tickets.values()):
            return False
        self.attached.setdefault(number, []).append(text)
        return True

    def claim(self, tenant_id: str, wa_id: str, agent: str) -> None:
        self.views[(tenant_id, wa_id)] = HandoffView(state="with_agent", agent_name=agent)

    def release(self, tenant_id: str, wa_id: str, lane: str | None = None) -> None:
        self.views[(tenant_id, wa_id)] = HandoffView(resume_lane=lane)
