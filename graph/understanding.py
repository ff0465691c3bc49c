"""What the bot understood of one message: computed once by `route`, read by every lane.

`Understanding` is the contract between the understanding step (offline model, LLM, or a
tapped button) and the lanes: the lane that answers, the intent (see `nodes/taxonomy.py`),
the entities found in the text, the language to answer in, how sure the step is and what
came second. Lanes dispatch on `intent` and read `entities`; none re-classifies the text.

Entities are resolved where they can be: a product mention carries the catalog SKU it
names, a quantity is an integer whatever words said it ("two", "dos", "dois"), a yes/no
already accounts for negation ("no, I don't want it" is `no`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from graph.session.contract import Language

UnderstandingMethod = Literal[
    "offline", "llm", "sticky", "clarify", "choice", "fallback", "keyword"
]
"""offline/llm: that model decided; sticky: kept the conversation's lane; clarify: not sure,
ask; choice: a button or list row was tapped; fallback: offline after an LLM failure;
keyword: a lane's keywords matched."""

Affirmation = Literal["yes", "no"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RelativeDay = Literal["today", "tomorrow"]
HoursEdge = Literal["closing"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProductMention(_Frozen):
    """A product of the tenant's catalog named in the message."""

    sku: str
    """The catalog SKU the words resolved to."""
    quantity: int | None = None
    """A quantity attached to this product ("2 blue mugs" -> 2); None when none was said."""
    text: str = ""
    """The words that named it (for logs and evals)."""


class Entities(_Frozen):
    """Everything concrete the message said; every field is optional."""

    products: tuple[ProductMention, ...] = ()
    """Products named, resolved against the catalog in any of its languages, in text order."""
    quantity: int | None = None
    """A quantity not tied to a product ("make it 3", "dos", "a couple")."""
    position: int | None = None
    """A position in what the bot last listed: "the second one" -> 2, "the last" -> -1."""
    order_number: str | None = None
    """An order number as the customer wrote it, normalized ("#A-1042" -> "A-1042")."""
    affirmation: Affirmation | None = None
    """A yes or no, after negation ("no, I don't want it" -> no; "not that one" -> no)."""
    zero_quantity: bool = False
    """A quantity of zero was said ("add 0 mugs", "cero tazas") and no other quantity."""
    negated: bool = False
    """The request itself is negated ("I don't want the blue mug"): do not act on it."""
    weekday: Weekday | None = None
    """A day of the week asked about ("are you open on sunday?")."""
    relative_day: RelativeDay | None = None
    """"today" / "tomorrow" in an hours question."""
    hours_edge: HoursEdge | None = None
    """An hours question about the closing time ("when do you close today?")."""


class IntentScore(_Frozen):
    """One candidate reading of the message."""

    lane: str
    intent: str
    score: float = Field(ge=0.0, le=1.0)


class Understanding(_Frozen):
    """The one reading of a message that the whole turn works with."""

    lane: str
    """The lane that answers (after stickiness; for `clarify`, the best guess)."""
    intent: str
    """A name from the answering lane's taxonomy, or a dialogue act (`affirm`, `deny`, ...)."""
    confidence: float = Field(ge=0.0, le=1.0)
    """How sure the understanding step is of `lane` (probability-like)."""
    language: Language
    """The language to answer in: what the customer wrote, never a tapped button's title."""
    entities: Entities = Field(default_factory=Entities)
    runner_up: IntentScore | None = None
    """The best reading of another lane, when there is one."""
    method: UnderstandingMethod
    sticky_seconds: int = Field(default=0, ge=0)
    """How long the answering lane stays preferred after this turn (0 for `clarify`)."""
    scores: dict[str, float] = Field(default_factory=dict)
    """Probability per lane, when the method produces one."""
    prompt_hash: str | None = None
    """Short SHA-256 of the LLM prompt, when an LLM was asked."""
    fallback_reason: str | None = None
    """Why the LLM's answer was not used (timeout, rate_limited, malformed, ...)."""
