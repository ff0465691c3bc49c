"""JSON-lines logging: personal data in known fields is masked before it is written."""

from __future__ import annotations

import json
import logging

from server.logging import JsonLinesFormatter

WA = "5511987654321"


def written(**fields: object) -> dict[str, object]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "event", None, None)
    record.at = "event"
    record.fields = fields
    line: dict[str, object] = json.loads(JsonLinesFormatter().format(record))
    return line


def test_phone_fields_and_sessions_are_masked() -> None:
    line = written(wa_id=WA, to=f"+{WA}", session=f"100200300400500:{WA}", tenant_id="1002")
    assert line["wa_id"] == "5511*****4321"
    assert line["to"] == "+5511*****4321"
    assert line["session"] == "100200300400500:5511*****4321"
    assert line["tenant_id"] == "1002"


def test_numbers_in_free_text_are_masked_but_short_numbers_kept() -> None:
    line = written(text=f"Call me at +{WA} about order 4521", reason="waited 1.5s")
    assert line["text"] == "Call me at +5511*****4321 about order 4521"
    assert line["reason"] == "waited 1.5s"
    assert WA not in json.dumps(line)
