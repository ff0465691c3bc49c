"""Slot lists and frames for the English template rows (see build_en.py)."""

from __future__ import annotations

import random
from collections.abc import Iterator

OPENERS = [
    "hi, ",
    "hello, ",
    "hey ",
    "hi there, ",
    "good morning, ",
    "good evening! ",
    "hello! ",
    "@shopco ",
    "@brand_help ",
    "excuse me, ",
    "yo ",
    "hi team, ",
    "sorry to bother you, ",
    "quick question: ",
    "um ",
    "hi, hope you're well. ",
    "hola, ",
    "Hi, ",
]
CLOSERS = [
    " please",
    " thanks",
    " thank you",
    " asap",
    "!!",
    " 🙏",
    "?",
    " pls",
    " thx",
    " ty",
    ". thanks in advance",
    " 😊",
    " today",
    ". cheers",
]
ANGRY_CLOSERS = [" 😡", " :(", " now", "!!!", " fix this", " ridiculous", " 🤬", " #fail"]

# Request frames in the style of intent datasets: "{a}" is an action phrase.
FRAMES = [
    "I need assistance to {a}",
    "could you help me {a}?",
    "can you help me {a}",
    "help me {a}",
    "I want to {a}",
    "I'd like to {a}",
    "I wanna {a}",
    "how do I {a}?",
    "how can I {a}?",
    "where can I {a}?",
    "I have to {a}",
    "I'm trying to {a}",
    "I don't know how to {a}",
    "is it possible to {a}?",
    "I need to {a}",
    "tell me how to {a}",
    "i need help to {a}",
    "what do I have to do to {a}?",
    "can I {a}?",
    "show me how to {a}",
    "I want help to {a}",
    "I'm looking for help to {a}",
    "would it be possible to {a}?",
    "I would like to {a}",
    "i need to {a} can u help",
    "need to {a}",
    "I can't figure out how to {a}",
    "can ya help me {a}",
    "I'd need some help to {a}",
    "wanna {a}",
    "how to {a}",
    "I would need to {a}, help me",
    "could I {a}?",
    "please help me {a}",
]

ACTIONS: dict[str, dict[str, list[str]]] = {
    "info": {
        "payment_methods": [
            "see what payment methods you accept",
            "check the payment options",
            "find out if you accept {pm}",
            "know which payment methods are available",
            "see your accepted payment methods",
            "check if I can pay with {pm}",
            "learn about the payment options",
            "know if paying with {pm} is allowed",
        ],
        "shipping_options": [
            "check your delivery options",
            "see the shipping methods you offer",
            "find out if you ship to {city}",
            "know the shipping costs",
            "check the available shipping options",
            "know if you offer express delivery",
            "find out if you deliver to {city}",
            "see the delivery methods",
        ],
        "refund_policy": [
            "check your refund policy",
            "read the refund policy",
            "see your money back policy",
            "understand how refunds work",
            "know your reimbursement policy",
            "learn about the money back guarantee",
        ],
        "returns_policy": [
            "see the return policy",
            "check your returns policy",
            "know how returns work",
            "read the exchange policy",
            "find out how many days I have to return stuff",
        ],
        "cancellation_fee_policy": [
            "check the cancellation fees",
            "know if there is a cancellation penalty",
            "see the early termination fees",
            "find out the cancellation charges",
            "check the cancellation policy",
            "know how much it costs to cancel",
        ],
        "contact_customer_service": [
            "contact customer service",
            "reach customer support",
            "get in touch with customer care",
            "find the customer service phone number",
            "call the helpline",
            "email customer support",
            "find the support email address",
            "contact {{Customer Support}}",
            "know the customer service hours",
            "find your contact details",
        ],
        "opening_hours": [
            "find your opening hours",
            "check the store hours",
            "know what time you open on {day}",
            "know what time you close on {day}",
            "check if you're open on {day}",
        ],
        "location": [
            "find the nearest store",
            "find your store in {city}",
            "get the address of your shop",
            "know where your stores are",
            "find a location near me",
        ],
        "delivery_period": [
            "know how long shipping takes",
            "check the usual delivery time",
            "find out how many days delivery to {city} takes",
            "check the shipping times",
        ],
        "newsletter_subscription": [
            "subscribe to your newsletter",
            "sign up for the newsletter",
            "unsubscribe from the newsletter",
            "join the mailing list",
            "subscribe to {{Newsletter}}",
            "cancel my newsletter subscription",
        ],
    },
    "commerce": {
        "place_order": [
            "buy {product}",
            "purchase {product}",
            "order {product}",
            "place an order",
            "make a purchase",
            "buy some items",
            "order {qty} {product}",
            "buy {{Product}}",
            "place an order for {product}",
            "order a couple of products",
        ],
        "cancel_order": [
            "cancel order {{Order Number}}",
            "cancel my order",
            "cancel purchase {{Order Number}}",
            "cancel the order I made",
            "cancel my last purchase",
            "cancel order #{num}",
        ],
        "change_order": [
            "change order {{Order Number}}",
            "modify my purchase",
            "edit my order",
            "add an item to my order",
            "remove a product from order {{Order Number}}",
            "update my order",
            "change the size in my order",
            "swap an item in my order",
        ],
        "change_shipping_address": [
            "change my shipping address",
            "update the delivery address",
            "set up a new shipping address",
            "edit the shipping address of order {{Order Number}}",
            "correct my delivery address",
            "set a different address for my order",
        ],
        "track_order": [
            "track my order",
            "check the status of order {{Order Number}}",
            "see where my package is",
            "check the ETA of my purchase",
            "find out when my order will arrive",
            "track purchase {{Order Number}}",
            "check the status of my delivery",
            "get the tracking number of my order",
            "see if my order #{num} has shipped",
        ],
        "invoice": [
            "get the invoice for order {{Order Number}}",
            "download my invoice",
            "check invoice {{Invoice Number}}",
            "see my bills",
            "get a receipt for my purchase",
            "find my invoices",
            "get a copy of my bill",
            "see the invoice of my last order",
        ],
        "checkout_payment": [
            "pay for my order",
            "pay for order {{Order Number}}",
            "complete my purchase",
            "finish the checkout",
            "use my gift card on my order",
            "pay with {pm}",
            "get the payment link",
            "make a payment for purchase {{Order Number}}",
        ],
        "browse_catalog": [
            "see your catalog",
            "see the menu",
            "find {product}",
            "browse the new collection",
            "see what {product} you have",
        ],
        "stock": [
            "check if {product} is in stock",
            "know if {product} is available",
            "find out when {product} will be back in stock",
        ],
        "price": ["see the price of {product}", "know how much {product} costs"],
        "add_to_cart": ["add {product} to my cart", "put {qty} {product} in the basket"],
    },
    "support": {
        "request_refund": [
            "get a refund",
            "get my money back",
            "request a refund for order {{Order Number}}",
            "get reimbursed for purchase {{Order Number}}",
            "ask for a refund",
            "get a refund for the damaged item",
            "request reimbursement",
        ],
        "track_refund": [
            "check the status of my refund",
            "track my refund",
            "see if my refund was processed",
            "find out when I'll get my money back",
            "check on my reimbursement",
        ],
        "complaint": [
            "file a complaint",
            "make a complaint about your service",
            "lodge a claim against your company",
            "complain about my order",
            "report a problem with my order",
            "file a claim",
            "submit a complaint",
            "leave a complaint about the delivery",
            "leave a review",
            "submit feedback for your services",
            "write a review for a product",
            "send some feedback",
        ],
        "human_agent": [
            "speak to a human",
            "talk to a live agent",
            "speak with a real person",
            "chat with an operator",
            "talk to a representative",
            "get a human on the line",
            "speak to an agent",
        ],
        "payment_issue": [
            "report a payment problem",
            "fix a payment error",
            "solve an issue with my payment",
            "report a double charge",
            "sort out a charge I don't recognize",
            "report a problem with my card payment",
        ],
        "login_problem": [
            "reset my password",
            "recover my password",
            "recover access to my account",
            "unlock my account",
            "fix my login problem",
            "get back into my account",
            "retrieve my username",
        ],
        "registration_problem": [
            "sign up",
            "create an account",
            "open a new account",
            "register",
            "fix a registration problem",
            "finish signing up",
        ],
        "account_management": [
            "delete my account",
            "close my account",
            "edit my account details",
            "update my profile information",
            "switch to another account",
            "change the email of my account",
            "remove my account",
        ],
        "return_item": [
            "return an item",
            "return a product from order {{Order Number}}",
            "send back a purchase",
            "exchange an item",
            "return the shoes I bought",
        ],
    },
}

SLOTS = {
    "pm": [
        "paypal",
        "apple pay",
        "a credit card",
        "amex",
        "klarna",
        "cash",
        "bank transfer",
        "{{Payment Method}}",
        "google pay",
        "a debit card",
    ],
    "city": ["canada", "the uk", "miami", "{{Delivery City}}", "germany", "brazil", "my town"],
    "day": ["sunday", "saturday", "monday", "christmas eve", "public holidays", "friday"],
    "product": [
        "the blue hoodie",
        "running shoes",
        "a laptop",
        "the x200",
        "a pizza",
        "some headphones",
        "the new iphone case",
        "a gift card",
        "that jacket",
        "the red dress",
        "2 pizzas",
        "{{Product}}",
        "a sofa",
        "sneakers",
    ],
    "qty": ["2", "3", "a few", "10", "one"],
    "num": ["12345", "4521", "88123", "A-2231", "100045"],
}

# Problem statements: "{opener}my {thing} {problem}".
THINGS = [
    "order",
    "package",
    "parcel",
    "delivery",
    "order {{Order Number}}",
    "purchase",
    "order #{num}",
    "item",
    "stuff",
]
PROBLEMS = {
    "late_order": [
        "hasn't arrived",
        "still hasn't arrived after {n} days",
        "is late",
        "never came",
        "is stuck in transit",
        "was supposed to arrive on monday",
        "is {n} days late",
        "still isnt here",
        "says delivered but i never got it",
        "got lost",
        "hasnt moved in a week",
        "never showed up",
    ],
    "damaged_order": [
        "arrived damaged",
        "came broken",
        "is defective",
        "arrived with a cracked screen",
        "doesn't work",
        "is missing parts",
        "came in a crushed box",
        "stopped working",
    ],
    "wrong_order": [
        "is the wrong size",
        "had the wrong items",
        "is not what I ordered",
        "came in the wrong color",
        "was someone else's",
    ],
}


# "-ing" frames ("help with cancelling order 123"): intent datasets use them a lot.
GERUND_FRAMES = [
    "help with {g}",
    "I need help {g}",
    "assistance {g}",
    "can you help me {g}?",
    "I have problems {g}",
    "I'm having trouble {g}",
    "I'd like help {g}",
    "need assistance {g}",
    "I want help {g}",
    "help {g}",
    "I need support {g}",
    "could you assist me {g}?",
]
_DOUBLED = {"get", "set", "put", "stop", "shop", "swap", "sign"}
_IRREGULAR = {"see": "seeing", "be": "being", "sign": "signing", "cancel": "cancelling"}


def gerund(action: str) -> str:
    """'cancel my order' -> 'cancelling my order' (first word only; regular English rules)."""
    verb, _, rest = action.partition(" ")
    if verb in _IRREGULAR:
        ing = _IRREGULAR[verb]
    elif verb in _DOUBLED:
        ing = verb + verb[-1] + "ing"
    elif verb.endswith("e") and not verb.endswith("ee"):
        ing = verb[:-1] + "ing"
    else:
        ing = verb + "ing"
    return f"{ing} {rest}".strip()


def _fill(text: str, rng: random.Random) -> str:
    for slot, values in SLOTS.items():
        while "{" + slot + "}" in text:
            text = text.replace("{" + slot + "}", rng.choice(values), 1)
    return text.replace("{n}", str(rng.choice([3, 5, 10, 12, 14, 20])))


def _frames(lane: str, rng: random.Random, per_action: int = 3) -> Iterator[tuple[str, str, str]]:
    for intent, actions in ACTIONS[lane].items():
        for action in actions:
            family = f"action:{action}"
            for frame in rng.sample(FRAMES, k=per_action):
                text = frame.replace("{a}", _fill(action, rng))
                yield intent, text[0].upper() + text[1:] if rng.random() < 0.5 else text, family
            text = rng.choice(GERUND_FRAMES).replace("{g}", _fill(gerund(action), rng))
            yield intent, text, family


def _problems(rng: random.Random, per_problem: int = 2) -> Iterator[tuple[str, str, str]]:
    for intent, problems in PROBLEMS.items():
        for problem in problems:
            for _ in range(per_problem):
                thing = _fill(rng.choice(THINGS), rng)
                yield intent, _fill(f"my {thing} {problem}", rng), f"problem:{problem}"


def expand(lane: str, rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """(intent, text, family seed) template rows for one lane: every row filled from one
    action or problem phrase shares its family, whatever frame or slot values it got."""
    yield from _frames(lane, rng)
    if lane == "support":
        yield from _problems(rng)
