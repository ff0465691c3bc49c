"""Mutated real payloads: whatever Meta (or an attacker with the secret) sends, parsing
never raises, so the webhook can always store and acknowledge."""

from __future__ import annotations

import json
import random

from webhook_support import WEBHOOKS_DIR, load_payload, mutate_payload

from server.whatsapp import parse_webhook


def test_mutated_payloads_never_raise() -> None:
    rng = random.Random(20261123)
    payloads = [load_payload(path.stem) for path in sorted(WEBHOOKS_DIR.glob("*.json"))]
    parsed_messages = 0
    for _ in range(1500):
        batch = parse_webhook(mutate_payload(rng.choice(payloads), rng))
        for message in batch.messages:
            assert isinstance(message.id, str) and message.id
            assert message.text is None or isinstance(message.text, str)
            _ = (message.starts_turn, message.choice_id, message.envelope())
            parsed_messages += 1
        for status in batch.statuses:
            assert isinstance(status.status, str)
    assert parsed_messages > 500  # the mutations left most messages recognisable


def test_non_finite_error_codes_are_absent_not_an_exception() -> None:
    body = json.loads(
        '{"entry": [{"changes": [{"field": "messages", "value": {"errors": ['
        '{"code": Infinity}, {"code": NaN}, {"code": "-inf"}, {"code": 131047}]}}]}]}'
    )
    codes = [error.error.code for error in parse_webhook(body).errors]
    assert codes == [None, None, None, 131047]
