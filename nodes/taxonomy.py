"""The intent taxonomy: what a customer's message can ask for, per lane.

Every intent belongs to one lane, except the dialogue acts (`DIALOGUE_ACTS`), which are
replies to what the bot just said ("yes", "no", "the second one", "it's order 1234") and
are answered by the lane that holds the conversation. The training data, the offline
model, the LLM's structured output, the lanes' handler tables and the evals all use these
names; a lane's `LaneSpec.intents` lists its own.

Rule of thumb for the lanes (DESIGN.md section 1): asking *about* a policy is info; *doing*
something with products or one's own orders is commerce; a *problem* or a request for a
person is support.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

INFO_INTENTS: Mapping[str, str] = MappingProxyType(
    {
        "greeting": "hello, good morning, opening a conversation",
        "goodbye": "bye, good night, see you, that's all",
        "thanks": "thanks, thank you, cheers",
        "small_talk": "pleasantries, how are you, I'm back, compliments, jokes",
        "bot_identity": "are you a bot? am I talking to a person? (answered honestly)",
        "capabilities": "what can you do? help, I have a question (no topic yet)",
        "hours": "opening hours in general, the weekly schedule",
        "open_now": "are you open now / right now / still open",
        "hours_on_day": "hours on one day: open on sunday? what time do you close today?",
        "location": "where are you, address, directions, branches",
        "faq_shipping": "shipping policy: where you ship, delivery times and fees in general",
        "faq_payment": "payment methods accepted (cards, Pix, cash, transfer)",
        "faq_returns": "returns, exchanges and refund policy (asking about the policy)",
        "faq_contact": "how to contact the business: phone, e-mail, customer service hours",
        "faq_other": "another question about the business answered by its FAQ",
        "unknown": "nothing the business can answer: out of scope or unintelligible",
    }
)

COMMERCE_INTENTS: Mapping[str, str] = MappingProxyType(
    {
        "browse_catalog": "see the products, the catalog, the menu, what do you sell",
        "product_question": "do you have X? price, stock, details of a product",
        "add_to_cart": "I want / add / buy a product (with an optional quantity)",
        "remove_from_cart": "remove / take out a product from the cart",
        "change_quantity": "make it 3, change the quantity of a product in the cart",
        "view_cart": "show my cart, what's in my cart, how much is my cart",
        "empty_cart": "empty / clear the cart, start over",
        "checkout": "pay, check out, place the order, finish the purchase",
        "order_status": "where is my order, status or ETA of one's own order, its invoice",
        "cancel_order": "cancel my order",
        "change_order": "change an order's address, items or delivery details",
        "promotions": "discounts, coupons, promotions, offers",
        "commerce_other": "another purchase-related request (bookings, plans, top-ups)",
    }
)

SUPPORT_INTENTS: Mapping[str, str] = MappingProxyType(
    {
        "problem_late": "my order is late, hasn't arrived yet",
        "problem_lost": "my package was lost, says delivered but never got it",
        "problem_damaged": "arrived broken or damaged",
        "problem_wrong_item": "wrong item, missing item, wrong order",
        "problem_charged_wrongly": "charged twice, wrong amount, payment declined or failed",
        "problem_account": "login, password, account or registration problems",
        "problem_other": "another problem with a product, service or order",
        "refund": "I want a refund / my money back, where is my refund",
        "return_in_progress": "I want to return this item, a return already started",
        "complaint": "complaints, bad service, feedback and reviews",
        "human_request": "talk to a person, an agent, the manager, customer service",
    }
)

DIALOGUE_ACTS: Mapping[str, str] = MappingProxyType(
    {
        "affirm": "yes, sure, ok, go ahead (a reply to the bot's question)",
        "deny": "no, no thanks, not that one (a reply to the bot's question)",
        "select": "a pick among what the bot showed: 'the second one', 'the blue one', '2'",
        "provide_info": "gives only a detail asked for: an order number, an address, a name",
    }
)
"""Replies to the bot: answered by the lane holding the conversation (or info when none)."""

LANE_INTENTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"info": INFO_INTENTS, "commerce": COMMERCE_INTENTS, "support": SUPPORT_INTENTS}
)
"""The shipped lanes' intents; a lane added later declares its own on its `LaneSpec`."""


def lane_of_intent(intent: str) -> str | None:
    """The shipped lane an intent belongs to; None for a dialogue act or an unknown name."""
    return next((lane for lane, names in LANE_INTENTS.items() if intent in names), None)
