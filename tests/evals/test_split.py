"""evals.split: deterministic dedupe and a train/test split with no overlap."""

from __future__ import annotations

import json
from pathlib import Path

from evals.split import dedupe_key, load_sources, split


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rows(lane: str, lang: str, count: int) -> list[dict[str, str]]:
    return [{"text": f"{lane} {lang} row {i}", "lane": lane, "lang": lang} for i in range(count)]


def test_duplicates_up_to_case_accents_and_punctuation_are_kept_once(tmp_path: Path) -> None:
    row = {"lane": "commerce", "lang": "es"}
    _write(tmp_path, "a.jsonl", [{"text": "¿Dónde está mi pedido?", **row}])
    _write(tmp_path, "b.jsonl", [{"text": "donde esta mi pedido", **row}])
    assert [row["text"] for row in load_sources(tmp_path)] == ["¿Dónde está mi pedido?"]


def test_a_text_labeled_with_two_lanes_is_dropped(tmp_path: Path) -> None:
    _write(tmp_path, "a.jsonl", [{"text": "refund", "lane": "support", "lang": "en"}])
    _write(tmp_path, "b.jsonl", [{"text": "Refund!", "lane": "info", "lang": "en"}])
    assert load_sources(tmp_path) == []


def test_invalid_rows_are_skipped(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.jsonl",
        [
            {"text": "hi", "lane": "info", "lang": "en"},
            {"text": "hi there", "lane": "sales", "lang": "en"},
            {"text": "  ", "lane": "info", "lang": "en"},
        ],
    )
    assert [row["text"] for row in load_sources(tmp_path)] == ["hi"]


def test_split_is_deterministic_disjoint_and_covers_every_group() -> None:
    rows: list[dict[str, object]] = []
    for lane in ("info", "commerce", "support"):
        for lang in ("en", "es", "pt"):
            rows += _rows(lane, lang, 3)
    train, test = split(rows)
    again_train, again_test = split(list(rows))
    assert (train, test) == (again_train, again_test)
    train_keys = {dedupe_key(str(r["text"])) for r in train}
    test_keys = {dedupe_key(str(r["text"])) for r in test}
    assert not train_keys & test_keys
    assert len(train) + len(test) == len(rows)
    groups = {(r["lane"], r["lang"]) for r in rows}
    assert {(r["lane"], r["lang"]) for r in test} == groups
    assert {(r["lane"], r["lang"]) for r in train} == groups


def test_a_row_keeps_its_side_when_other_rows_are_added() -> None:
    base = _rows("info", "en", 200)
    _, test = split(base)
    _, test_bigger = split(base + _rows("info", "en", 400)[200:])
    kept = {r["text"] for r in test}
    assert kept <= {r["text"] for r in test_bigger}
    assert 0.1 < len(test) / len(base) < 0.3
