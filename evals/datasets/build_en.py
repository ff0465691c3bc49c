"""Build the English source datasets from hand-written rows plus small template expansions.

    python -m evals.datasets.build_en && python -m evals.split

Hand-written rows live in ``raw_en/{lane}.txt`` (``# intent`` lines start an intent, every
other non-empty line is one message) and ``raw_en/styles.txt`` (see `read_styles`).
Templates add the long, polite, placeholder-heavy requests of intent-style support datasets
and the informal noise of chat (no apostrophes, lowercase, typos); they stay under half of
each lane's rows so the data reads like people.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from evals.datasets import en_templates as tpl
from evals.datasets.labels import relabel
from evals.split import dedupe_key, family_id

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw_en"
SOURCE = HERE / "source"
LANES = ("info", "commerce", "support")
MAX_TEMPLATE_SHARE = 0.49


def read_raw(lane: str) -> list[tuple[str, str]]:
    """(intent, text) pairs of one lane's hand-written file."""
    rows: list[tuple[str, str]] = []
    intent = lane
    for line in (RAW / f"{lane}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# "):
            intent = line[2:].strip()
        elif line:
            rows.append((intent, line))
    return rows


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        word = word[:j] + word[j + 1 :]
    elif kind < 0.7:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    else:
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


_SLANG = [
    (r"\byou\b", "u"),
    (r"\byour\b", "ur"),
    (r"\bplease\b", "pls"),
    (r"\bthanks\b", "thx"),
    (r"\bi'm\b", "im"),
    (r"\bdon't\b", "dont"),
    (r"\bcan't\b", "cant"),
    (r"\bwant to\b", "wanna"),
    (r"\bare\b", "r"),
    (r"\bhasn't\b", "hasnt"),
    (r"\bwhat's\b", "whats"),
    (r"\bi'd\b", "id"),
]


def _run_on(text: str, rng: random.Random) -> str:
    """Two words typed without the space between them ("helpme", "myorder")."""
    words = text.split()
    if len(words) < 3:
        return text
    i = rng.randrange(len(words) - 1)
    return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])


def noisy(text: str, rng: random.Random) -> str:
    """A chat-style variant: lowercase, apostrophes and final punctuation dropped, slang, a typo."""
    out = text.lower() if rng.random() < 0.8 else text
    out = _run_on(out, rng) if rng.random() < 0.2 else out
    for pattern, repl in _SLANG:
        if rng.random() < 0.6:
            out = re.sub(pattern, repl, out)
    out = out.replace("'", "") if rng.random() < 0.7 else out
    out = out.rstrip("?.!") if rng.random() < 0.6 else out
    return _typo(out, rng) if rng.random() < 0.5 else out


def decorate(text: str, rng: random.Random, lane: str) -> str:
    """Add a greeting, a brand mention or a closing (an angry one only on problems)."""
    if rng.random() < 0.5:
        text = rng.choice(tpl.OPENERS) + (text[0].lower() + text[1:] if text else text)
    if rng.random() < 0.5:
        closers = tpl.CLOSERS + tpl.ANGRY_CLOSERS if lane == "support" else tpl.CLOSERS
        text = text.rstrip() + rng.choice(closers)
    return text


def build_lane(lane: str, seed: int = 7) -> list[dict[str, str]]:
    """One lane's rows. ``family`` names what a row was made from: a hand-written row and
    its chat-style variants share the hand row's family; template rows share the family of
    the action or problem phrase they were filled from (evals.split keeps a family on one
    side of the split)."""
    rng = random.Random(f"{seed}:{lane}")
    hand = read_raw(lane)
    rows = [(intent, text, _hand_family(text)) for intent, text in hand]
    generated = [
        (intent, text, family_id("en", f"template:{family}"))
        for intent, text, family in tpl.expand(lane, rng)
    ]
    sample = rng.sample(hand, k=len(hand) // 2)
    generated += [(i, decorate(noisy(t, rng), rng, lane), _hand_family(t)) for i, t in sample]
    budget = int(len(rows) * MAX_TEMPLATE_SHARE / (1 - MAX_TEMPLATE_SHARE))
    rng.shuffle(generated)
    rows += generated[:budget]
    out: list[dict[str, str]] = []
    for source_intent, text, family in rows:
        new_lane, intent = relabel(lane, source_intent, text)
        row = {"text": text, "lane": new_lane, "lang": "en", "intent": intent, "family": family}
        out.append(row)
    return out


def _hand_family(text: str) -> str:
    return family_id("en", f"hand:{dedupe_key(text)}")


def build() -> list[dict[str, str]]:
    """Unique English rows of every lane (a row may move lane under the lane policy)."""
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    rows = [row for lane in LANES for row in build_lane(lane)] + read_styles()
    for row in rows:
        key = dedupe_key(row["text"])
        if key and key not in seen:
            seen.add(key)
            out.append(row)
    return out


def read_styles() -> list[dict[str, str]]:
    """``raw_en/styles.txt``: phrasings written by style (help-seeking frames around a
    purchase, reporting a problem, refunds with amounts, bot identity, social talk,
    capabilities, elliptical follow-ups, short problems, long non-problem stories). A
    ``# <lane> <intent>`` line starts a block; rows are kept as written (no variants), so
    adding one leaves every other lane's generated rows as they were."""
    out: list[dict[str, str]] = []
    lane = intent = ""
    for line in (RAW / "styles.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# "):
            lane, intent = line[2:].split()
        elif line:
            new_lane, new_intent = relabel(lane, intent, line)
            out.append({"text": line, "lane": new_lane, "lang": "en", "intent": new_intent,
                        "family": _hand_family(line)})  # fmt: skip
    return out


def main() -> None:
    rows = build()
    for lane in LANES:
        own = [json.dumps(row, ensure_ascii=False) for row in rows if row["lane"] == lane]
        path = SOURCE / f"en_{lane}.jsonl"
        path.write_text("\n".join(own) + "\n", encoding="utf-8")
        print(f"{path.name}: {len(own)} rows, hand-written {len(read_raw(lane))}")


if __name__ == "__main__":
    main()
