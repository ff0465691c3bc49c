"""WhatsApp's limits, enforced before sending, with errors that name the field."""

from __future__ import annotations

import pytest

from graph.messages import Button, ButtonsMessage, ListMessage, ListRow, ListSection, TextMessage
from server.whatsapp.errors import MessageLimitError, PermanentSendError, TransientSendError
from server.whatsapp.limits import validate_buttons, validate_list, validate_text
from server.whatsapp.payloads import message_body
from server.whatsapp.templates import TemplateMessage


def buttons(*titles: str, body: str = "Choose", **extra: str) -> ButtonsMessage:
    return ButtonsMessage(
        body=body,
        buttons=tuple(Button(id=f"b{i}", title=t) for i, t in enumerate(titles)),
        **extra,  # type: ignore[arg-type]
    )


def a_list(rows_per_section: list[int], **changes: object) -> ListMessage:
    sections = tuple(
        ListSection(
            title=f"Section {s}",
            rows=tuple(ListRow(id=f"r{s}-{r}", title=f"Row {r}") for r in range(count)),
        )
        for s, count in enumerate(rows_per_section)
    )
    return ListMessage(body="Pick", button="Open", sections=sections).model_copy(update=changes)


def test_valid_messages_pass() -> None:
    validate_buttons(buttons("Yes", "No", "x" * 20))
    validate_list(a_list([5, 5]))
    validate_text(TextMessage(body="x" * 4096))


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (
            buttons("Yes", "No", "x" * 23),
            "buttons[2].title is 23 characters; WhatsApp allows at most 20",
        ),
        (buttons("a", "b", "c", "d"), "buttons has 4 items; WhatsApp allows 1 to 3"),
        (buttons(), "buttons has 0 items; WhatsApp allows 1 to 3"),
        (buttons("Same", "Same"), "buttons.title[1] 'Same' is repeated; it must be unique"),
        (buttons("Ok", body="x" * 1025), "body is 1025 characters; WhatsApp allows at most 1024"),
        (buttons("Ok", body="  "), "body is empty; WhatsApp requires it"),
        (buttons("Ok", header="h" * 61), "header is 61 characters; WhatsApp allows at most 60"),
        (buttons("Ok", footer="f" * 61), "footer is 61 characters; WhatsApp allows at most 60"),
    ],
)
def test_button_limits(message: ButtonsMessage, error: str) -> None:
    with pytest.raises(MessageLimitError) as caught:
        validate_buttons(message)
    assert str(caught.value) == error


def test_button_ids_must_be_unique_and_trimmed() -> None:
    twins = ButtonsMessage(body="?", buttons=(Button(id="x", title="A"), Button(id="x", title="B")))
    with pytest.raises(MessageLimitError, match=r"buttons\.id\[1\] 'x' is repeated"):
        validate_buttons(twins)
    padded = ButtonsMessage(body="?", buttons=(Button(id=" x", title="A"),))
    with pytest.raises(MessageLimitError, match="leading or trailing spaces"):
        validate_buttons(padded)


def long_row(**fields: str) -> ListMessage:
    row = ListRow(id="r", title=fields.get("title", "Row"), description=fields.get("description"))
    section = ListSection(title=fields.get("section", "Help"), rows=(row,))
    return ListMessage(body="Pick", button=fields.get("button", "Open"), sections=(section,))


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (a_list([6, 5]), "rows (all sections) has 11 items; WhatsApp allows 1 to 10"),
        (a_list([1] * 11), "sections has 11 items; WhatsApp allows 1 to 10"),
        (a_list([]), "sections has 0 items; WhatsApp allows 1 to 10"),
        (
            long_row(title="t" * 25),
            "sections[0].rows[0].title is 25 characters; WhatsApp allows at most 24",
        ),
        (
            long_row(description="d" * 73),
            "sections[0].rows[0].description is 73 characters; WhatsApp allows at most 72",
        ),
        (
            long_row(section="s" * 25),
            "sections[0].title is 25 characters; WhatsApp allows at most 24",
        ),
        (long_row(button="b" * 21), "button is 21 characters; WhatsApp allows at most 20"),
        (a_list([1], header="h" * 61), "header is 61 characters; WhatsApp allows at most 60"),
        (a_list([1], body="x" * 4097), "body is 4097 characters; WhatsApp allows at most 4096"),
    ],
)
def test_list_limits(message: ListMessage, error: str) -> None:
    with pytest.raises(MessageLimitError) as caught:
        validate_list(message)
    assert str(caught.value) == error


def test_text_over_4096_is_refused_as_a_single_message() -> None:
    with pytest.raises(MessageLimitError, match="body is 4097 characters"):
        message_body("1555", TextMessage(body="x" * 4097))


def test_template_name_is_required() -> None:
    with pytest.raises(MessageLimitError, match=r"template\.name is empty"):
        message_body("1555", TemplateMessage.model_construct(name="", language="en_US"))


def test_a_limit_error_is_neither_transient_nor_retried() -> None:
    error = MessageLimitError("x")
    assert not error.transient
    assert not isinstance(error, TransientSendError | PermanentSendError)
    assert isinstance(error, ValueError)
