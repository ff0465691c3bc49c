"""WhatsApp's size limits for outgoing messages, checked before anything is sent.

Numbers from the Cloud API reference (sections 5 and 7 of
`shared/reference/whatsapp-cloud-api.md`). Each check raises :class:`MessageLimitError`
with the path of the offending field, e.g.
``buttons[2].title is 23 characters; WhatsApp allows at most 20``.

"Characters" are counted as Python code points; Meta does not say whether it counts code
points or UTF-16 units, so text is split with a margin (see `splitting`).
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.messages import ButtonsMessage, ListMessage, TextMessage
from server.whatsapp.errors import MessageLimitError

TEXT_BODY_MAX = 4096
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
BUTTONS_BODY_MAX = 1024
LIST_BODY_MAX = 4096
LIST_ROWS_MAX = 10
LIST_SECTIONS_MAX = 10
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_DESCRIPTION_MAX = 72
HEADER_MAX = 60
FOOTER_MAX = 60
TEMPLATE_NAME_MAX = 512
CALLBACK_DATA_MAX = 512


def check_length(field: str, value: str | None, maximum: int, *, required: bool = False) -> None:
    """`value` has at most `maximum` characters (and, when `required`, is not blank)."""
    if value is None or not value.strip():
        if required:
            raise MessageLimitError(f"{field} is empty; WhatsApp requires it")
        if value is None:
            return
    if len(value) > maximum:
        raise MessageLimitError(
            f"{field} is {len(value)} characters; WhatsApp allows at most {maximum}"
        )


def check_count(field: str, items: Sequence[object], minimum: int, maximum: int) -> None:
    if not minimum <= len(items) <= maximum:
        raise MessageLimitError(
            f"{field} has {len(items)} items; WhatsApp allows {minimum} to {maximum}"
        )


def check_unique(field: str, values: Sequence[str]) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise MessageLimitError(f"{field}[{index}] {value!r} is repeated; it must be unique")
        seen.add(value)


def check_id(field: str, value: str, maximum: int) -> None:
    check_length(field, value, maximum, required=True)
    if value != value.strip():
        raise MessageLimitError(f"{field} {value!r} has leading or trailing spaces")


def validate_text(message: TextMessage, *, max_body: int = TEXT_BODY_MAX) -> None:
    """One text message (bodies longer than this are split before sending)."""
    check_length("body", message.body, max_body, required=True)


def validate_buttons(message: ButtonsMessage) -> None:
    check_length("body", message.body, BUTTONS_BODY_MAX, required=True)
    check_length("header", message.header, HEADER_MAX)
    check_length("footer", message.footer, FOOTER_MAX)
    check_count("buttons", message.buttons, 1, BUTTONS_MAX)
    for index, button in enumerate(message.buttons):
        check_length(f"buttons[{index}].title", button.title, BUTTON_TITLE_MAX, required=True)
        check_id(f"buttons[{index}].id", button.id, BUTTON_ID_MAX)
    check_unique("buttons.title", [button.title for button in message.buttons])
    check_unique("buttons.id", [button.id for button in message.buttons])


def validate_list(message: ListMessage) -> None:
    check_length("body", message.body, LIST_BODY_MAX, required=True)
    check_length("header", message.header, HEADER_MAX)
    check_length("footer", message.footer, FOOTER_MAX)
    check_length("button", message.button, LIST_BUTTON_MAX, required=True)
    check_count("sections", message.sections, 1, LIST_SECTIONS_MAX)
    rows = [row for section in message.sections for row in section.rows]
    check_count("rows (all sections)", rows, 1, LIST_ROWS_MAX)
    for s, section in enumerate(message.sections):
        check_length(f"sections[{s}].title", section.title, SECTION_TITLE_MAX, required=True)
        check_count(f"sections[{s}].rows", section.rows, 1, LIST_ROWS_MAX)
        for r, row in enumerate(section.rows):
            where = f"sections[{s}].rows[{r}]"
            check_length(f"{where}.title", row.title, ROW_TITLE_MAX, required=True)
            check_length(f"{where}.description", row.description, ROW_DESCRIPTION_MAX)
            check_id(f"{where}.id", row.id, ROW_ID_MAX)
    check_unique("rows.id", [row.id for row in rows])
