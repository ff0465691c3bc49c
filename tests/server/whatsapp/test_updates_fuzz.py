"""Mutated real payloads: whatever Meta (or an attacker with the secret) sends, parsing
never raises, so the webhook can always store and acknowledge."""

from __future__ import annotations

import copy
import random
from typing import Any

from webhook_support import WEBHOOKS_DIR, load_payload

from server.whatsapp import parse_webhook

JUNK: list[Any] = [None, True, 0, -1, 1.5, "", "x", "1749416383", [], {}, [None], {"a": 1}, 10**30]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    mutated = copy.deepcopy(payload)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(mutated)[1:])
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        if rng.random() < 0.2 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
    return mutated


def test_mutated_payloads_never_raise() -> None:
    rng = random.Random(20261123)
    payloads = [load_payload(path.stem) for path in sorted(WEBHOOKS_DIR.glob("*.json"))]
    parsed_messages = 0
    for _ in range(1500):
        batch = parse_webhook(_mutate(rng.choice(payloads), rng))
        for message in batch.messages:
            assert isinstance(message.id, str) and message.id
            assert message.text is None or isinstance(message.text, str)
            _ = (message.starts_turn, message.choice_id, message.envelope())
            parsed_messages += 1
        for status in batch.statuses:
            assert isinstance(status.status, str)
    assert parsed_messages > 500  # the mutations left most messages recognisable
