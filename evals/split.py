"""Deduplicate the source datasets and split them into train and test, deterministically.

    python -m evals.split

Reads every ``evals/datasets/source/*.jsonl``, drops rows whose normalized text was seen
before (first file in name order wins; a text labeled with two different lanes is dropped
everywhere and reported), then puts ~20% of the rows in ``routing_test.jsonl`` by a stable
hash of the normalized text, so a row stays on its side when other rows are added. Every
lane+language group gets at least one test and one train row.
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

DATASETS = Path(__file__).resolve().parent / "datasets"
SOURCE = DATASETS / "source"
TRAIN = DATASETS / "routing_train.jsonl"
TEST = DATASETS / "routing_test.jsonl"
TEST_PERCENT = 20
LANES = ("info", "commerce", "support")
LANGS = ("en", "es", "pt")


def dedupe_key(text: str) -> str:
    """Texts equal up to case, accents, punctuation and spacing are one row (emoji count)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    kept = (
        " " if unicodedata.category(ch)[0] in "PZC" else ch
        for ch in folded
        if not unicodedata.combining(ch)
    )
    return " ".join("".join(kept).split())


def _bucket(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def _valid(row: dict[str, object]) -> bool:
    text = row.get("text")
    return (
        isinstance(text, str)
        and bool(text.strip())
        and row.get("lane") in LANES
        and row.get("lang") in LANGS
    )


def load_sources(folder: Path = SOURCE) -> list[dict[str, object]]:
    """Unique, valid rows from every source file (name order), conflicts removed."""
    by_key: dict[str, dict[str, object]] = {}
    conflicts: set[str] = set()
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not _valid(row):
                print(f"skipped invalid row {path.name}:{number}", file=sys.stderr)
                continue
            key = dedupe_key(str(row["text"]))
            if key in by_key and by_key[key]["lane"] != row["lane"]:
                conflicts.add(key)
            by_key.setdefault(key, row)
    for key in sorted(conflicts):
        print(f"dropped conflicting labels: {key!r}", file=sys.stderr)
    return [row for key, row in by_key.items() if key not in conflicts]


def split(rows: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(train, test): hash buckets, then each lane+lang group forced onto both sides."""
    groups: dict[tuple[object, object], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        groups[(row["lane"], row["lang"])].append(row)
    train: list[dict[str, object]] = []
    test: list[dict[str, object]] = []
    for group in groups.values():
        ranked = sorted(group, key=lambda r: (_bucket(dedupe_key(str(r["text"]))), r["text"]))
        cut = sum(_bucket(dedupe_key(str(r["text"]))) < TEST_PERCENT for r in ranked)
        if len(ranked) >= 2:
            cut = min(max(cut, 1), len(ranked) - 1)
        test.extend(ranked[:cut])
        train.extend(ranked[cut:])
    order = {id(row): i for i, row in enumerate(rows)}
    return sorted(train, key=lambda r: order[id(r)]), sorted(test, key=lambda r: order[id(r)])


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    fields = ("text", "lane", "lang", "intent")
    lines = [json.dumps({k: r[k] for k in fields if k in r}, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    rows = load_sources()
    train, test = split(rows)
    _write(TRAIN, train)
    _write(TEST, test)
    counts: dict[tuple[object, object], list[int]] = defaultdict(lambda: [0, 0])
    for side, part in enumerate((train, test)):
        for row in part:
            counts[(row["lane"], row["lang"])][side] += 1
    print(f"{len(rows)} unique rows -> train {len(train)}, test {len(test)}")
    for (lane, lang), (n_train, n_test) in sorted(counts.items(), key=str):
        print(f"  {lane:9} {lang}  train {n_train:5}  test {n_test:4}")


if __name__ == "__main__":
    main()
