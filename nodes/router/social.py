"""Social readings while a lane holds the conversation: the holding lane answers them.

The classifier reads many short replies as the info lane's social intents: "oh nice" as
thanks, "ok, then the natural one" as a goodbye, "ah que bom" as small talk. Read that way,
a conversation in the shop or in support jumps to info on an acknowledgement and back on the
next message (a needless lane switch, and a reply that forgets what was being done). While
a lane holds the conversation:

- a closing (thanks, goodbye) stays in the holding lane when that lane answers it: the lane
  that helped closes the conversation;
- small talk that the words themselves do not say (no claim, no phrase of the lane's
  vocabulary: "ah que bom", "amazing", "lol") is the classifier's guess on a reaction it does
  not know: it stays in the holding lane, taken as thanks (`deny` when it says no). It is not
  taken as a yes: "hmm" must not accept an offer. A greeting the classifier is sure of stays a
  greeting ("holaaa", "oiee" are greetings the vocabulary does not spell);
- "tudo bem", "todo bien", "all good" say "fine" as often as they ask how one is: without a
  question mark they acknowledge, in the holding lane, unless the lane's last turn was a
  greeting or small talk ("oi" -> "tudo bem" asks back);
- a greeting or a small-talk question the words say ("hello", "how are you?") is left to
  the lane that answers those.
"""

from __future__ import annotations

from graph.understanding import Understanding
from nodes.registry import LaneRegistry
from nodes.router.acts import THANKS_WORDS
from nodes.router.claims import claimed, whole_message_is
from nodes.router.intents import SOCIAL_INTENTS, vocabulary_intent
from nodes.text import tokens

CLOSINGS = frozenset({"thanks", "goodbye"})
OPENINGS = frozenset({"greeting", "small_talk"})
"""A lane's last intent after which small talk is small talk ("hi" -> "all good")."""
_PARTING = ("greeting",)
"""What the words of a goodbye may also say: "good night" greets or parts (the conversation
decides, `nodes.turn.route.salutation_in_context`)."""


BOTH_WAYS = ("tudo bem", "tudo bom", "td bem", "tdb", "ta tudo bem", "todo bien", "todo bn",
             "all good", "all right", "alright")  # fmt: skip
"""Whole messages that ask "how are you?" or say "fine / ok", depending on the question mark."""


def acknowledges(text: str) -> bool:
    """The whole message (thanks or an ok around it aside) is one of `BOTH_WAYS`."""
    return whole_message_is(text, BOTH_WAYS)


def _answers(registry: LaneRegistry, lane: str, intent: str) -> bool:
    handlers = registry.get(lane).handlers
    return intent in handlers.table or intent in handlers.aliases


def said_social(text: str, lane: str, registry: LaneRegistry) -> str | None:
    """The social intent the words themselves name (a lane's claim or vocabulary), else None."""
    claim = claimed(text, registry)
    if claim is not None and claim[1] in SOCIAL_INTENTS:
        return claim[1]
    if lane not in registry:
        return None
    return vocabulary_intent(text, registry.get(lane), social=True)


def _asks(text: str) -> bool:
    return "?" in text or "¿" in text


def kept_in_holding_lane(
    understanding: Understanding,
    text: str,
    *,
    holding: str | None,
    last_intent: str | None,
    registry: LaneRegistry,
) -> Understanding:
    """`understanding`, or the holding lane's when it is a social reading that lane answers
    (see the module docstring). `holding` is the lane whose stickiness is active, if any."""
    intent = understanding.intent
    if holding is None or holding not in registry or understanding.lane == holding:
        return understanding
    if intent not in SOCIAL_INTENTS:
        return understanding
    said = said_social(text, understanding.lane, registry)
    if intent in CLOSINGS and said in {None, intent, *_PARTING}:
        kept = intent
    elif intent == "small_talk" and said is None and not _asks(text):
        kept = "deny" if understanding.entities.affirmation == "no" else "thanks"
    elif acknowledges(text) and not _asks(text) and last_intent not in OPENINGS:
        thanked = bool(set(tokens(text)) & THANKS_WORDS)
        kept = "thanks" if thanked else "affirm"
    else:
        return understanding
    if not _answers(registry, holding, kept):
        return understanding
    return understanding.model_copy(update={"lane": holding, "intent": kept, "method": "sticky"})
