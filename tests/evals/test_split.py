"""evals.split: deterministic dedupe and a train/test split with no overlap."""

from __future__ import annotations

import json
from pathlib import Path

from evals.split import assign_families, core_key, dedupe_key, load_sources, split


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


def test_generated_decorations_are_stripped_for_family_membership() -> None:
    assert core_key("hello! where is my order pls 🙏") == "where is my order"
    assert core_key("@shopco Where is my order?!! #fail") == "where is my order"
    assert core_key("hola, ¿dónde está mi pedido? porfa") == "donde esta mi pedido"
    assert core_key("oi, cadê meu pedido? obg") == "cade meu pedido"
    assert core_key("hi") == "hi"  # a bare greeting stays itself
    assert core_key("thanks") == "thanks"


def _family_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(60):
        family = f"en-fam{i}"
        rows.append({"text": f"question number {i}", "lane": "info", "lang": "en"})
        rows.append({"text": f"hello! question number {i} pls", "lane": "info", "lang": "en"})
        rows.append({"text": f"qestion numbr {i}", "lane": "info", "lang": "en", "family": family})
        rows.append(
            {"text": f"Question nmber {i}?", "lane": "info", "lang": "en", "family": family}
        )
    return rows


def test_no_family_crosses_the_split() -> None:
    rows = _family_rows()
    train, test = split(rows)
    assert test and train
    train_families = {r["family"] for r in train}
    test_families = {r["family"] for r in test}
    assert not train_families & test_families
    # A row and its decorated copy ("hello! ... pls") share a family, so a side.
    side = {str(r["text"]): "test" if r in test else "train" for r in rows}
    for i in range(60):
        assert side[f"question number {i}"] == side[f"hello! question number {i} pls"]
        assert side[f"qestion numbr {i}"] == side[f"Question nmber {i}?"]


def test_families_that_share_a_core_text_merge_whatever_the_row_order() -> None:
    a = {"text": "where is my order", "lane": "commerce", "lang": "en", "family": "en-a"}
    b = {"text": "hey where is my order thx", "lane": "commerce", "lang": "en", "family": "en-b"}
    c = {"text": "where is my order thx", "lane": "commerce", "lang": "en", "family": "en-c"}
    d = {"text": "something else", "lane": "commerce", "lang": "en", "family": "en-b"}
    forward = assign_families([a, b, c, d])
    backward = assign_families([d, c, b, a])
    assert len(set(forward.values())) == 1  # d joins through its family name en-b
    assert forward == backward
    assert set(forward.values()) == {"en-a"}


def test_a_family_keeps_its_side_when_other_families_are_added() -> None:
    base = _family_rows()
    _, test = split([dict(r) for r in base])
    more = [
        {"text": f"another text {i}", "lane": "info", "lang": "en", "family": f"en-new{i}"}
        for i in range(100)
    ]
    _, test_bigger = split([dict(r) for r in base] + more)
    assert {r["text"] for r in test} <= {r["text"] for r in test_bigger}
