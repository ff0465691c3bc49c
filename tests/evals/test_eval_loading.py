"""Dataset loading: any JSONL with text, lane, lang; bad rows named by file and line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from evals.dataset import load_conversations, load_routing_dataset
from evals.errors import DatasetError

Writer = Callable[[str, Iterable[Any]], Path]


def test_extra_keys_are_ignored_and_lines_recorded(write_jsonl: Writer) -> None:
    path = write_jsonl(
        "rows.jsonl",
        [
            {"text": "hola", "lane": "info", "lang": "es", "source": "x", "weird": [1]},
            "",
            {"text": "refund pls", "lane": "support", "lang": "en", "id": "r2"},
        ],
    )
    dataset = load_routing_dataset(path)
    assert [(r.text, r.line, r.id) for r in dataset.rows] == [
        ("hola", 1, None),
        ("refund pls", 3, "r2"),
    ]
    assert len(dataset.sha256) == 64


def test_limit_keeps_the_first_rows(write_jsonl: Writer) -> None:
    rows = [{"text": f"t{i}", "lane": "info", "lang": "en"} for i in range(5)]
    assert len(load_routing_dataset(write_jsonl("rows.jsonl", rows), limit=2).rows) == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", ":2: not valid JSON"),
        ('["a list"]', ":2: expected a JSON object, got list"),
        ('{"text": "hi", "lang": "en"}', ":2: missing required key 'lane'"),
        (
            '{"text": "hi", "lane": "sales", "lang": "en"}',
            ":2: lane: lane 'sales' is not one of info",
        ),
        ('{"text": "", "lane": "info", "lang": "en"}', ":2: text:"),
    ],
)
def test_bad_row_names_the_line(write_jsonl: Writer, line: str, message: str) -> None:
    path = write_jsonl("bad.jsonl", [{"text": "ok", "lane": "info", "lang": "en"}, line])
    with pytest.raises(DatasetError) as caught:
        load_routing_dataset(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_and_empty_files(tmp_path: Path, write_jsonl: Writer) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_routing_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="no rows"):
        load_routing_dataset(write_jsonl("empty.jsonl", ["", "  "]))


def test_conversations_need_turns_with_known_lanes(write_jsonl: Writer) -> None:
    good = {
        "id": "c1",
        "lang": "en",
        "turns": [{"text": "hi", "lane": "info"}],
        "tags": ["greeting"],
    }
    bad = {"id": "c2", "lang": "en", "turns": [{"text": "hi", "lane": "billing"}]}
    assert load_conversations(write_jsonl("ok.jsonl", [good])).rows[0].tags == ("greeting",)
    with pytest.raises(DatasetError, match=r":2: turns\.0\.lane: lane 'billing'"):
        load_conversations(write_jsonl("bad.jsonl", [good, bad]))


def test_sample_is_reproducible_and_keeps_file_order(write_jsonl: Writer) -> None:
    rows = [{"text": f"t{i}", "lane": "info", "lang": "en"} for i in range(50)]
    path = write_jsonl("rows.jsonl", rows)
    first = [r.line for r in load_routing_dataset(path, sample=10).rows]
    assert first == [r.line for r in load_routing_dataset(path, sample=10).rows]
    assert len(first) == 10
    assert first == sorted(first)
    assert first != list(range(1, 11))  # not simply the head of the file
    assert len(load_routing_dataset(path, sample=500).rows) == 50
