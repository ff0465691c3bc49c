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


def _database_error(customer_text: str) -> Exception:
    import asyncpg
    import sqlalchemy.exc

    driver = asyncpg.DataError(f"invalid input for query argument $5: {customer_text!r}")
    return sqlalchemy.exc.DataError("INSERT INTO wa_messages ...", (WA, customer_text), driver)


def test_a_library_failure_line_names_the_error_without_its_text() -> None:
    """arq logs a failed job as "... failed, DBAPIError: <the error's text>" with the
    traceback; a database error's text quotes the statement's values."""
    customer_text = "my address is Rua Augusta 1500"
    error = _database_error(customer_text)
    try:
        raise error
    except Exception:
        import sys

        record = logging.LogRecord(
            "arq.worker", logging.ERROR, __file__, 1, "%6.2fs ! %s failed, %s: %s",
            (0.5, "orchestrate:wamid.X", type(error).__name__, error), sys.exc_info(),
        )  # fmt: skip
    text = JsonLinesFormatter().format(record)
    assert customer_text not in text and WA not in text
    line = json.loads(text)
    assert line["at"] == "  0.50s ! orchestrate:wamid.X failed, DataError: DataError <- DataError"
    assert line["error"] == "DataError <- DataError"


def test_a_library_message_without_an_error_is_kept_with_numbers_masked() -> None:
    record = logging.LogRecord("arq.worker", logging.WARNING, __file__, 1, "job %s expired",
                               (f"send:{WA}",), None)  # fmt: skip
    assert json.loads(JsonLinesFormatter().format(record))["at"] == "job send:5511*****4321 expired"
