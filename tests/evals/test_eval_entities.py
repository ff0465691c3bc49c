"""`convo eval entities`: facts per entity kind, precision/recall per kind and language, gates,
reports; and the shipped entity datasets load and name only catalog SKUs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.dataset import DEFAULT_ENTITY_SETS, load_entity_dataset
from evals.entities import facts_of, score_kind
from evals.errors import DatasetError
from graph.understanding import Entities, ProductMention
from nodes.tenants import load_catalog, load_profile
from server.cli import main

ROWS: list[dict[str, Any]] = [
    # right: product with its quantity
    {"text": "add 2 blue mugs", "lang": "en",
     "entities": {"products": [{"sku": "MUG-BLUE", "quantity": 2}]}},
    # a position picks from what was shown
    {"text": "la segunda", "lang": "es", "shown": ["MUG-BLUE", "MUG-RED"],
     "entities": {"position": 2, "products": [{"sku": "MUG-RED"}]}},
    # mislabelled on purpose: the extractor finds an order number that is not labelled (fp)
    # and no weekday (fn)
    {"text": "pedido 4471", "lang": "pt", "entities": {"weekday": "sun"}},
    # nothing labelled, nothing found
    {"text": "valeu!", "lang": "pt", "entities": {}},
]  # fmt: skip


@pytest.fixture
def entity_dataset(tmp_path: Path) -> Path:
    path = tmp_path / "entities.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS) + "\n")
    return path


def run(*args: str | Path) -> int:
    return main(["eval", "entities", *map(str, args)])


def test_facts_are_one_per_kind_and_value() -> None:
    entities = Entities(
        products=(ProductMention(sku="MUG-BLUE", quantity=2), ProductMention(sku="TOTE-BAG")),
        order_number="A-1042",
        negated=True,
        weekday="sun",
    )
    assert facts_of(entities) == {
        ("product", "MUG-BLUE"), ("product_quantity", "MUG-BLUE=2"), ("product", "TOTE-BAG"),
        ("order_number", "A-1042"), ("negated", "true"), ("weekday", "sun"),
    }  # fmt: skip
    assert facts_of(Entities()) == set()


def test_scores_from_counts() -> None:
    score = score_kind(tp=3, fp=1, fn=2)
    assert (score.precision, score.recall) == (0.75, 0.6)
    assert score.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert score.support == 5


def test_report_counts_hits_misses_and_extras_per_kind_and_language(
    entity_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, page = tmp_path / "e.json", tmp_path / "e.html"
    assert run("--dataset", entity_dataset, "--report-json", out, "--report-html", page) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 4
    assert report["exact"] == 0.75
    kinds = report["per_kind"]
    assert kinds["product"]["tp"] == 2 and kinds["product"]["fp"] == 0
    assert kinds["position"]["recall"] == 1.0
    assert kinds["order_number"] == {
        "support": 0, "tp": 0, "fp": 1, "fn": 0, "precision": 0.0, "recall": 1.0, "f1": 0.0,
    }  # fmt: skip
    assert kinds["weekday"]["fn"] == 1 and kinds["weekday"]["recall"] == 0.0
    assert report["micro"]["tp"] == 4 and report["micro"]["fp"] == 1 and report["micro"]["fn"] == 1
    assert report["per_language"]["en"]["micro"]["f1"] == 1.0
    assert report["per_language"]["pt"]["micro"]["f1"] == 0.0
    assert report["errors"] == [
        {"line": 3, "lang": "pt", "text": "pedido 4471", "shown": [],
         "missed": ["weekday=sun"], "extra": ["order_number=4471"]},
    ]  # fmt: skip
    assert "MUG-BLUE" in report["catalog"]
    assert "pedido 4471" in page.read_text()
    assert "product_quantity" in capsys.readouterr().out


def test_gates_fail_with_exit_1_and_name_the_language(
    entity_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--dataset", entity_dataset, "--min-f1", "0.75") == 0
    assert run("--dataset", entity_dataset, "--min-f1", "0.9") == 1
    assert "entity F1 0.800 is below --min-f1 0.900" in capsys.readouterr().out
    assert run("--dataset", entity_dataset, "--min-language-f1", "0.5") == 1
    assert "entity F1 in 'pt' 0.000 is below --min-language-f1 0.500" in capsys.readouterr().out


def test_a_misspelt_entity_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "2 mugs", "lang": "en", "entities": {"quantities": 2}}\n')
    with pytest.raises(DatasetError, match=r"bad.jsonl:1: entities.quantities"):
        load_entity_dataset(path)
    assert run("--dataset", path) == 2


@pytest.mark.parametrize("name", sorted(DEFAULT_ENTITY_SETS))
def test_shipped_sets_cover_three_languages_and_name_catalog_skus(name: str) -> None:
    rows = load_entity_dataset(DEFAULT_ENTITY_SETS[name]).rows
    skus = {product.sku for product in load_catalog(load_profile("demo")).products}
    per_language = {lang: sum(row.lang == lang for row in rows) for lang in ("en", "es", "pt")}
    assert min(per_language.values()) >= (60 if name == "dev" else 35), per_language
    named = {m.sku for row in rows for m in row.entities.products} | {
        sku for row in rows for sku in row.shown
    }
    assert named <= skus, named - skus
    texts = [(row.lang, row.text.casefold()) for row in rows]
    assert len(texts) == len(set(texts)), "a message is labelled twice in one language"


def test_no_message_is_in_both_entity_sets() -> None:
    dev, test = (
        {(row.lang, row.text.casefold()) for row in load_entity_dataset(path).rows}
        for path in (DEFAULT_ENTITY_SETS["dev"], DEFAULT_ENTITY_SETS["test"])
    )
    assert not dev & test, dev & test
