"""Splitting long replies into WhatsApp-sized texts at natural boundaries."""

from __future__ import annotations

import re

import pytest

from server.whatsapp.splitting import split_text


def words(text: str) -> list[str]:
    return re.split(r"\s+", text.strip())


def test_short_text_is_one_part() -> None:
    assert split_text("  Hello there.  ") == ["Hello there."]


def test_cuts_at_a_paragraph_break_before_a_sentence() -> None:
    first = "A" * 30 + ". " + "B" * 30 + "."
    text = first + "\n\n" + "C" * 50
    assert split_text(text, limit=80) == [first, "C" * 50]


def test_cuts_at_a_line_break() -> None:
    assert split_text("x" * 60 + "\n" + "y" * 60, limit=100) == ["x" * 60, "y" * 60]


def test_cuts_at_the_end_of_a_sentence() -> None:
    text = "One two three four. Five six seven eight! Nine ten eleven twelve?"
    assert split_text(text, limit=45) == [
        "One two three four. Five six seven eight!",
        "Nine ten eleven twelve?",
    ]


def test_cuts_at_a_space_when_there_is_no_sentence_end() -> None:
    text = " ".join(["word"] * 30)  # 149 characters
    parts = split_text(text, limit=50)
    assert all(len(part) <= 50 for part in parts)
    assert all(not part.startswith(" ") and not part.endswith(" ") for part in parts)
    assert words(" ".join(parts)) == words(text)


def test_hard_cut_inside_a_word_only_as_a_last_resort() -> None:
    assert split_text("x" * 250, limit=100) == ["x" * 100, "x" * 100, "x" * 50]


@pytest.mark.parametrize("limit", [4096, 500, 64])
def test_parts_fit_and_keep_every_word_in_order(limit: int) -> None:
    sentence = "Our return policy lasts thirty days from delivery, no questions asked. "
    text = "\n".join(sentence * (i % 7 + 1) for i in range(120))
    parts = split_text(text, limit=limit)
    assert len(parts) > 1
    assert all(0 < len(part) <= limit for part in parts)
    assert words(" ".join(parts)) == words(text)


def test_emoji_and_non_latin_text_are_split_safely() -> None:
    text = "こんにちは。" * 100 + "🙂" * 50
    parts = split_text(text, limit=128)
    assert all(len(part) <= 128 for part in parts)
    assert "".join(parts) == text
