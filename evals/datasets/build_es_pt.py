"""Build the Spanish and Portuguese source datasets: hand-written rows plus small expansions.

    python -m evals.datasets.build_es_pt && python -m evals.split

Hand-written rows live in ``raw_es_pt/{lang}_*.txt``: a ``# <lane> <intent>`` line starts a
block, every other non-empty line is one message. Three kinds of generated rows are added,
all from ``{lang}_templates.py``: slot templates (cities, products, order numbers), polite
request frames x predicates ("necesito ayuda para cancelar mi pedido {{Order Number}}"), and
chat-style variants of hand-written rows (slang such as "q", "kiero", "vc", "pra", a typo, a
greeting or an @mention in front). Generated rows stay under half of every lane.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Iterator
from importlib import import_module
from itertools import product
from pathlib import Path
from types import ModuleType

from evals.datasets.labels import relabel
from evals.split import family_id

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw_es_pt"
SOURCE = HERE / "source"
LANES = ("info", "commerce", "support")
LANGS = ("es", "pt")
MAX_GENERATED_SHARE = 0.49
Row = tuple[str, str, str]
"""(text, lane, intent)"""
Made = tuple[str, str, str, str]
"""(text, lane, intent, family seed): what a row was made from (evals.split keeps a family
on one side of the split)."""

_ALTERNATIVES = re.compile(r"(\{[^{}]*\})")
_PLACEHOLDERS = {"<ORD>": "{{Order Number}}", "<INV>": "{{Invoice Number}}"}
_SWAPS = [
    ("que ", "q "), ("quiero", "kiero"), ("quero", "qro"), ("porque", "xq"),
    ("por favor", "porfa"), ("por favor", "pf"), ("você", "vc"), ("vocês", "vcs"),
    ("também", "tb"), ("para ", "pra "), ("está", "ta"), ("estoy", "toy"), ("pedido", "pedio"),
    ("ll", "y"), ("não", "n"), ("qu", "k"), ("ción", "cion"), ("ção", "cao"),
    ("obrigado", "obg"), ("mucho", "mxo"),
]  # fmt: skip


def dedupe_key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def read_raw(lang: str) -> list[Row]:
    """Hand-written rows of one language, from every ``{lang}_*.txt`` file."""
    return [row for path in sorted(RAW.glob(f"{lang}_*.txt")) for row in _read_file(path)]


def read_styles(lang: str) -> list[Row]:
    """The rows of ``{lang}_styles.txt``: phrasings written by style (help-seeking frames
    around a purchase, reporting a problem, refunds with amounts, bot identity, social
    talk, capabilities, elliptical follow-ups, colloquial Spain Spanish...)."""
    return _read_file(RAW / f"{lang}_styles.txt")


def _read_file(path: Path) -> list[Row]:
    """``# <lane> <intent>`` starts a block; every other non-empty line is one message."""
    rows: list[Row] = []
    if not path.exists():
        return rows
    lane = intent = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# "):
            lane, intent = line[2:].split()
        elif line:
            rows.append((line, lane, intent))
    return rows


def expand(pattern: str) -> Iterator[str]:
    """Every combination of a ``{a|b} x {c|d}`` pattern ("{{...}}" placeholders are kept)."""
    for placeholder, token in _PLACEHOLDERS.items():
        pattern = pattern.replace(token, placeholder)
    parts = _ALTERNATIVES.split(pattern)
    choices = [p[1:-1].split("|") if _ALTERNATIVES.fullmatch(p) else [p] for p in parts]
    for combo in product(*choices):
        text = " ".join("".join(combo).split()).replace(" ?", "?")
        for placeholder, token in _PLACEHOLDERS.items():
            text = text.replace(placeholder, token)
        yield text


def from_templates(tpl: ModuleType, rng: random.Random) -> list[Made]:
    """Slot-template rows; every expansion of one pattern is one family."""
    rows: list[Made] = []
    for lane, intent, n, patterns in tpl.TEMPLATES:
        pool = [(text, pattern) for pattern in patterns for text in expand(pattern)]
        rng.shuffle(pool)
        rows += [(text, lane, intent, f"pattern:{pattern}") for text, pattern in pool[:n]]
    return rows


def from_frames(tpl: ModuleType, rng: random.Random) -> list[Made]:
    """Frame x predicate rows; every frame around one predicate is one family."""
    rows: list[Made] = []
    for lane, n in tpl.FRAME_SAMPLES.items():
        pool = [
            (frame.replace("{p}", predicate), lane, intent, f"predicate:{predicate}")
            for lane_of, intent, predicates in tpl.PREDICATES
            if lane_of == lane
            for predicate in predicates
            for frame in tpl.FRAMES
        ]
        rng.shuffle(pool)
        rows += pool[:n]
    return rows


def chat_variant(text: str, openers: list[str], rng: random.Random) -> str:
    """Lowercase, one slang swap or one typo, maybe a greeting or @mention in front."""
    out = text.lower() if rng.random() < 0.6 else text
    if rng.random() < 0.35:
        out = rng.choice(openers) + out
    swaps = [(a, b) for a, b in _SWAPS if a in out]
    if swaps and rng.random() < 0.7:
        old, new = rng.choice(swaps)
        return out.replace(old, new, 1)
    words = out.split()
    long_words = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if not long_words:
        return out
    i = rng.choice(long_words)
    word, j = words[i], rng.randrange(1, len(words[i]) - 1)
    dropped, swapped = word[:j] + word[j + 1 :], word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    words[i] = dropped if rng.random() < 0.5 else swapped
    return " ".join(words)


def from_chat_variants(hand: list[Row], tpl: ModuleType, rng: random.Random) -> list[Made]:
    """Chat-style variants, each in the family of the hand-written row it was made from."""
    pool = [row for row in hand if len(row[0].split()) >= 3 and "{{" not in row[0]]
    rng.shuffle(pool)
    picked = pool[: tpl.TYPO_SAMPLES]
    return [
        (chat_variant(text, tpl.OPENERS, rng), lane, intent, _hand_seed(text))
        for text, lane, intent in picked
    ]


def _hand_seed(text: str) -> str:
    return f"hand:{dedupe_key(text)}"


def build(lang: str, seed: int = 7) -> list[dict[str, str]]:
    """Unique rows of one language: hand-written first, then generated ones within budget."""
    rng = random.Random(seed)
    tpl = import_module(f"evals.datasets.{lang}_templates")
    hand = read_raw(lang)
    styles = set(read_styles(lang))
    generated = from_templates(tpl, rng) + from_frames(tpl, rng)
    # style rows are kept as written (no chat variants), and leave the others' sampling as is
    generated += from_chat_variants([row for row in hand if row not in styles], tpl, rng)
    made = [(text, lane, intent, _hand_seed(text)) for text, lane, intent in hand] + generated
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    for text, lane, intent, origin in made:
        key = dedupe_key(text)
        if key and key not in seen:  # first label wins; split.py reports real conflicts
            seen.add(key)
            family = family_id(lang, origin)
            rows.append(
                {"text": text, "lane": lane, "lang": lang, "intent": intent, "family": family}
            )
    kept = _within_budget(rows, hand)
    for row in kept:
        row["lane"], row["intent"] = relabel(row["lane"], row["intent"], row["text"])
    return kept


def _within_budget(rows: list[dict[str, str]], hand: list[Row]) -> list[dict[str, str]]:
    """Drop generated rows beyond MAX_GENERATED_SHARE of a lane (hand rows come first)."""
    hand_keys = {dedupe_key(text) for text, _, _ in hand}
    kept: list[dict[str, str]] = []
    for lane in LANES:
        own = [row for row in rows if row["lane"] == lane]
        n_hand = sum(dedupe_key(row["text"]) in hand_keys for row in own)
        budget = int(n_hand * MAX_GENERATED_SHARE / (1 - MAX_GENERATED_SHARE))
        kept += own[: n_hand + budget]
    return kept


def main() -> None:
    for lang in LANGS:
        rows = build(lang)
        for lane in LANES:
            own = [json.dumps(row, ensure_ascii=False) for row in rows if row["lane"] == lane]
            path = SOURCE / f"{lang}_{lane}.jsonl"
            path.write_text("\n".join(own) + "\n", encoding="utf-8")
            print(f"{path.name}: {len(own)} rows")


if __name__ == "__main__":
    main()
