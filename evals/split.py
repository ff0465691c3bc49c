"""Deduplicate the source datasets and split them into train and test by family, deterministically.

    python -m evals.split

Reads every ``evals/datasets/source/*.jsonl``, drops rows whose normalized text was seen
before (first file in name order wins; a text labeled with two different lanes is dropped
everywhere and reported), then splits by *family*, not by row: a family is a hand-written
row together with the variants the builders made from it ("hello! ...", "... pls", slang,
a typo), or all the template rows filled from one phrase. A row's family comes from its
``family`` key (set by the builders), and families are merged when two of their rows are
equal once greetings, @mentions and closings are stripped (``core_key``), so hand-written
rows that differ only in such decorations also stay together. ~20% of the families go to
``routing_test.jsonl`` by a stable hash of the family name, so a family stays on its side
when other rows are added (unless a new row merges two families). Every lane+language
group gets at least one test and one train row.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
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


def family_id(lang: str, seed: str) -> str:
    """A short stable family name: ``en-`` + 10 hex digits of the seed's hash."""
    return f"{lang}-{hashlib.sha1(seed.encode('utf-8')).hexdigest()[:10]}"


# Decorations the builders add around a message (en/es/pt openers and closers, after
# dedupe_key): stripped before comparing rows for family membership.
_OPENERS = (
    "hi there", "hi team", "hi hope you re well", "hello", "hey", "hi", "good morning",
    "good evening", "excuse me", "sorry to bother you", "quick question", "yo", "um",
    "hola buenas", "hola q tal", "hola", "buenas", "buen dia", "oye", "disculpa",
    "una consulta", "oi", "ola", "boa tarde", "bom dia", "boa noite", "com licenca",
    "uma duvida", "e ai", "eae", "oi gente",
)  # fmt: skip
_CLOSERS = (
    "please", "pls", "plz", "thanks in advance", "thanks", "thank you", "thx", "ty", "asap",
    "cheers", "today", "now", "fix this", "ridiculous", "fail", "porfa", "por favor", "pf",
    "gracias", "obrigado", "obrigada", "obg", "valeu", "pfv", "por favor",
)  # fmt: skip
_MENTION = re.compile(r"^@\w+\s*")
_OPENER = re.compile(
    r"^(?:" + "|".join(sorted(map(re.escape, _OPENERS), key=len, reverse=True)) + r")\b\s*"
)
_CLOSER = re.compile(
    r"\s*\b(?:" + "|".join(sorted(map(re.escape, _CLOSERS), key=len, reverse=True)) + r")$"
)


def core_key(text: str) -> str:
    """``dedupe_key`` without leading greetings/@mentions and trailing closings (emoji and
    symbols dropped too): "hello! where is my order pls 🙏" -> "where is my order"."""
    key = _MENTION.sub("", " ".join(w for w in text.split() if not w.startswith("#")))
    key = "".join(ch for ch in dedupe_key(key) if ch.isalnum() or ch == " ")
    key = " ".join(key.split())
    for _ in range(3):
        stripped = _CLOSER.sub("", _OPENER.sub("", key)).strip()
        if stripped == key or not stripped:
            break
        key = stripped
    return key


def _bucket(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def assign_families(rows: Iterable[dict[str, object]]) -> dict[int, str]:
    """``id(row)`` -> the row's family after merging: rows without a ``family`` key are
    their own family (named after their text); families sharing a ``core_key`` merge,
    and a merged family takes the smallest of its names (so the name does not depend on
    row order)."""
    rows = list(rows)
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    own: dict[int, str] = {}
    by_core: dict[tuple[object, str], str] = {}
    for row in rows:
        text = str(row["text"])
        family = row.get("family")
        name = str(family) if family else family_id(str(row["lang"]), f"row:{dedupe_key(text)}")
        own[id(row)] = name
        find(name)
        core = (row["lang"], core_key(text) or dedupe_key(text))
        if core in by_core:
            union(name, by_core[core])
        else:
            by_core[core] = name
    return {key: find(name) for key, name in own.items()}


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
    """(train, test) by family hash; every row gets its merged ``family``. A lane+lang
    group left without test (or train) rows takes the lowest-bucket (highest-bucket)
    family that has rows in it, so every group is on both sides; a family is never cut."""
    families = assign_families(rows)
    for row in rows:
        row["family"] = families[id(row)]
    in_test = {name: _bucket(name) < TEST_PERCENT for name in families.values()}
    groups: dict[tuple[object, object], set[str]] = defaultdict(set)
    for row in rows:
        groups[(row["lane"], row["lang"])].add(str(row["family"]))
    for names in groups.values():
        if len(names) < 2:
            continue
        ranked = sorted(names, key=lambda name: (_bucket(name), name))
        if not any(in_test[name] for name in names):
            in_test[ranked[0]] = True
        if all(in_test[name] for name in names):
            in_test[ranked[-1]] = False
    train = [row for row in rows if not in_test[str(row["family"])]]
    test = [row for row in rows if in_test[str(row["family"])]]
    return train, test


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    fields = ("text", "lane", "lang", "intent", "family")
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
    n_families = len({row["family"] for row in rows})
    print(
        f"{len(rows)} unique rows in {n_families} families -> train {len(train)}, test {len(test)}"
    )
    for (lane, lang), (n_train, n_test) in sorted(counts.items(), key=str):
        print(f"  {lane:9} {lang}  train {n_train:5}  test {n_test:4}")


if __name__ == "__main__":
    main()
