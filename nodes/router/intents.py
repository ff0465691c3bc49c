"""Which intent of a lane's taxonomy a message asks for.

The lane is decided first (classifier, LLM, stickiness, a keyword or a tapped button);
then, within that lane, the intent is the first of:

1. the LLM's intent, when it names one of the lane's intents;
2. the lane's vocabulary (`LaneSpec.vocabulary`, in order), topical intents first;
   then a catalog product named makes it a `product_question` (lanes that list one);
3. one of the tenant's FAQ entries, by its keywords (lanes that list FAQ intents);
4. the lane's social intents (greeting, thanks, goodbye, small talk) from its vocabulary;
5. the offline model's intent (`intent_scores` when the classifier gives them, else its
   `intent` mapped from the training data's older names by `LEGACY_INTENTS`);
6. the lane's `default_intent`.

Then entities refine it: an hours question naming a day is `hours_on_day`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from graph.understanding import Entities
from nodes.registry import LaneSpec, entries
from nodes.tenants import TenantProfile
from nodes.text import has_phrase, tokens

SOCIAL_INTENTS = frozenset({"greeting", "goodbye", "thanks", "small_talk"})
"""Said around a request ("hi, where are you?"): they win only when nothing else matched."""

# fmt: off
LEGACY_INTENTS: Mapping[str, str] = MappingProxyType(
    {
        "acknowledgement": "thanks", "acknowledgements": "thanks", "banking_info": "faq_other",
        "cancellation_fee": "faq_other", "cancellation_fee_policy": "faq_other",
        "contact_customer_service": "faq_contact", "contact_info": "faq_contact",
        "delivery_period": "faq_shipping", "faq": "faq_other", "faq_general": "faq_other",
        "info_fragments": "unknown", "newsletter": "faq_other",
        "newsletter_subscription": "faq_other", "opening_hours": "hours",
        "payment_methods": "faq_payment", "refund_policy": "faq_returns",
        "returns_policy": "faq_returns", "shipping_options": "faq_shipping",
        "store_info": "faq_other", "travel_info": "faq_other", "warranty_policy": "faq_returns",
        "banking_order": "commerce_other", "booking": "commerce_other", "cart": "view_cart",
        "change_shipping_address": "change_order", "checkout_payment": "checkout",
        "invoice": "order_status", "long_commerce": "commerce_other",
        "order_fragments": "commerce_other", "place_order": "add_to_cart",
        "price": "product_question", "product_details": "product_question",
        "product_price": "product_question", "select_option": "commerce_other",
        "shipping_address": "change_order", "stock": "product_question",
        "stock_availability": "product_question", "subscription_plan": "commerce_other",
        "track_order": "order_status", "travel_booking": "commerce_other",
        "account": "problem_account", "account_management": "problem_account",
        "banking_problem": "problem_charged_wrongly", "cancel_subscription": "problem_other",
        "conversation_replies": "problem_other", "damaged_item": "problem_damaged",
        "damaged_order": "problem_damaged", "follow_up": "problem_other",
        "fraud_privacy": "problem_account", "human_agent": "human_request",
        "late_order": "problem_late", "login_problem": "problem_account",
        "long_support": "problem_other", "offensive_frustrated": "complaint",
        "payment_issue": "problem_charged_wrongly", "registration_problem": "problem_account",
        "request_refund": "refund", "return_item": "return_in_progress", "review": "complaint",
        "review_complaint": "complaint", "service_problem": "problem_other",
        "short_problem_fragments": "problem_other", "tech_issue": "problem_other",
        "track_refund": "refund", "travel_problem": "problem_other",
        "warranty_claim": "problem_damaged", "wrong_order": "problem_wrong_item",
    }
)
# fmt: on
"""The training data's intent names that differ from the taxonomy's (until it is relabeled)."""

DAY_INTENTS = frozenset({"hours", "open_now"})
"""Asked with a day ("open on sunday?", "¿cierran hoy?") they become `hours_on_day`."""


def taxonomy_name(intent: str | None) -> str | None:
    """A classifier's intent in the taxonomy's words (older dataset names mapped)."""
    if not intent:
        return None
    return LEGACY_INTENTS.get(intent, intent)


def best_model_intent(
    spec: LaneSpec, intent: str | None, intent_scores: Mapping[str, float] | None
) -> str | None:
    """The model's most probable intent of `spec`'s lane, if it gives one of its intents."""
    if intent_scores:
        own = {name: p for name, p in intent_scores.items() if name in spec.intents}
        if own:
            return max(sorted(own), key=lambda name: own[name])
    name = taxonomy_name(intent)
    return name if name in spec.intents else None


def faq_intent(text: str, spec: LaneSpec, profile: TenantProfile | None) -> str | None:
    """`faq_<id>` (or `faq_other`) for the tenant FAQ sharing most keywords with `text`."""
    if profile is None or "faq_other" not in spec.intents:
        return None
    words = set(tokens(text))
    scored = [
        (len(words & {w for k in faq.keywords for w in tokens(k)}), faq.id) for faq in profile.faqs
    ]
    score, faq_id = max(scored, default=(0, ""))
    if score == 0:
        return None
    name = f"faq_{faq_id}"
    return name if name in spec.intents else "faq_other"


def vocabulary_intent(text: str, spec: LaneSpec, *, social: bool) -> str | None:
    """The first intent of the lane's vocabulary whose phrases occur in `text`."""
    for intent, phrases in entries(spec.vocabulary):
        if (intent in SOCIAL_INTENTS) == social and has_phrase(text, phrases):
            return intent
    return None


def product_intent(spec: LaneSpec, entities: Entities) -> str | None:
    """A catalog product named: a question about it, in the lane that answers those."""
    return "product_question" if entities.products and "product_question" in spec.intents else None


def refine(intent: str, spec: LaneSpec, entities: Entities) -> str:
    """Entities make an intent more precise (a day turns an hours question into one day's)."""
    asks_day = (
        entities.weekday is not None
        or entities.relative_day is not None
        or entities.hours_edge is not None  # "when do you close?": today's closing time
    )
    if intent in DAY_INTENTS and asks_day and "hours_on_day" in spec.intents:
        return "hours_on_day"
    return intent


def resolve_intent(
    text: str,
    spec: LaneSpec,
    *,
    entities: Entities,
    llm_intent: str | None = None,
    model_intent: str | None = None,
    profile: TenantProfile | None = None,
) -> str:
    """The intent of `spec`'s lane that `text` asks for (see the module docstring)."""
    llm = llm_intent if llm_intent in spec.intents else None
    intent = (
        llm
        or vocabulary_intent(text, spec, social=False)
        or product_intent(spec, entities)
        or faq_intent(text, spec, profile)
        or vocabulary_intent(text, spec, social=True)
        or model_intent
        or spec.fallback_intent
    )
    return refine(intent, spec, entities)
