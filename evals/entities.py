"""Entity eval: what `extract_entities` finds in a message against what a person labelled.

Each row's entities become a set of facts, one per entity kind and value: ``("product",
"MUG-BLUE")``, ``("product_quantity", "MUG-BLUE=2")``, ``("quantity", "3")``, ``("position",
"2")``, ``("order_number", "A-1042")``, ``("affirmation", "no")``, ``("negated", "true")``,
``("weekday", "sun")``, ``("relative_day", "today")``, ``("hours_edge", "closing")``,
``("zero_quantity", "true")``. A fact both labelled and extracted is a true positive, one
only extracted a false positive, one only labelled a false negative; precision, recall and F1
follow per kind, per language, and pooled over every kind (micro). A message with nothing
labelled still counts: whatever is extracted from "thanks!" is a false positive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel

from evals.dataset import EntityExample
from evals.report import DatasetInfo, git_commit
from graph.understanding import Entities
from nodes.entities import extract_entities
from nodes.tenants import Catalog

KINDS: tuple[str, ...] = (
    "product",
    "product_quantity",
    "quantity",
    "position",
    "order_number",
    "affirmation",
    "negated",
    "zero_quantity",
    "weekday",
    "relative_day",
    "hours_edge",
)
"""Every kind scored, in the order the report lists them."""

Fact = tuple[str, str]


def facts_of(entities: Entities) -> set[Fact]:
    """The entities as (kind, value) facts; an unset field gives none."""
    found: set[Fact] = set()
    for mention in entities.products:
        found.add(("product", mention.sku))
        if mention.quantity is not None:
            found.add(("product_quantity", f"{mention.sku}={mention.quantity}"))
    for kind in ("quantity", "position", "order_number", "affirmation"):
        value = getattr(entities, kind)
        if value is not None:
            found.add((kind, str(value)))
    for kind in ("negated", "zero_quantity"):
        if getattr(entities, kind):
            found.add((kind, "true"))
    for kind in ("weekday", "relative_day", "hours_edge"):
        value = getattr(entities, kind)
        if value is not None:
            found.add((kind, value))
    return found


class KindScore(BaseModel):
    """Counts and scores of one entity kind (or all kinds pooled)."""

    support: int
    """How many facts of this kind are labelled."""
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float


class RowResult(BaseModel):
    line: int
    lang: str
    text: str
    shown: tuple[str, ...]
    missed: list[str]
    """Labelled but not extracted, as ``kind=value``."""
    extra: list[str]
    """Extracted but not labelled."""


class LanguageEntityScore(BaseModel):
    n: int
    exact: float
    """Share of the language's rows whose facts match the labels exactly."""
    micro: KindScore
    per_kind: dict[str, KindScore]


class EntityReport(BaseModel):
    """Every metric of one run over one dataset, as written to ``--report-json``."""

    n: int
    exact: float
    """Share of rows whose extracted facts are exactly the labelled ones."""
    micro: KindScore
    per_kind: dict[str, KindScore]
    per_language: dict[str, LanguageEntityScore]
    catalog: list[str]
    """The SKUs product mentions were resolved against."""
    dataset: DatasetInfo
    created_at: str
    git_commit: str | None
    errors: list[RowResult]
    """Rows with a missed or an extra fact, in file order."""


def score_kind(tp: int, fp: int, fn: int) -> KindScore:
    """Precision, recall, F1 from counts; 0/0 is 1.0 for precision and recall (nothing to
    find and nothing wrongly found) so an unused kind does not drag a language down."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return KindScore(support=tp + fn, tp=tp, fp=fp, fn=fn, precision=precision, recall=recall,
                     f1=f1)  # fmt: skip


def _scores(
    results: Iterable[tuple[set[Fact], set[Fact]]],
) -> tuple[KindScore, dict[str, KindScore]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for gold, got in results:
        for kind, _ in gold & got:
            counts[kind][0] += 1
        for kind, _ in got - gold:
            counts[kind][1] += 1
        for kind, _ in gold - got:
            counts[kind][2] += 1
    per_kind = {kind: score_kind(*counts[kind]) for kind in KINDS if kind in counts}
    pooled = [sum(c[i] for c in counts.values()) for i in range(3)]
    return score_kind(*pooled), per_kind


def _shown(facts: Iterable[Fact]) -> list[str]:
    return sorted(f"{kind}={value}" for kind, value in facts)


def build_entity_report(
    rows: Sequence[EntityExample], catalog: Catalog, dataset: DatasetInfo
) -> EntityReport:
    """Extract every row's entities (against `catalog` and the row's `shown`) and score them."""
    scored: list[tuple[EntityExample, set[Fact], set[Fact]]] = []
    for row in rows:
        got = extract_entities(row.text, catalog=catalog, shown=row.shown)
        scored.append((row, facts_of(row.entities), facts_of(got)))
    micro, per_kind = _scores((gold, got) for _, gold, got in scored)
    per_language: dict[str, LanguageEntityScore] = {}
    for lang in sorted({row.lang for row in rows}):
        mine = [(gold, got) for row, gold, got in scored if row.lang == lang]
        lang_micro, lang_kinds = _scores(mine)
        exact = sum(gold == got for gold, got in mine) / len(mine)
        per_language[lang] = LanguageEntityScore(
            n=len(mine), exact=exact, micro=lang_micro, per_kind=lang_kinds
        )
    errors = [
        RowResult(
            line=row.line,
            lang=row.lang,
            text=row.text,
            shown=row.shown,
            missed=_shown(gold - got),
            extra=_shown(got - gold),
        )
        for row, gold, got in scored
        if gold != got
    ]
    return EntityReport(
        n=len(rows),
        exact=sum(gold == got for _, gold, got in scored) / len(rows) if rows else 0.0,
        micro=micro,
        per_kind=per_kind,
        per_language=per_language,
        catalog=[product.sku for product in catalog.products],
        dataset=dataset,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        git_commit=git_commit(),
        errors=errors,
    )
