"""Integrity of the routing datasets and the multi-turn conversations.

These guard the data the offline router learns from and the eval scores against: a bad
label, a duplicate that leaks from train into test, a stale split or a thin language would
all make the reported accuracy a lie.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.dataset import CONVERSATIONS_DEV, CONVERSATIONS_TEST, load_conversations
from evals.datasets import build_es_pt
from evals.datasets.labels import check_taxonomy, relabel
from evals.familiarity import is_unfamiliar, nearest_similarity
from evals.split import (
    LANES,
    LANGS,
    SOURCE,
    TEST,
    TRAIN,
    core_key,
    dedupe_key,
    load_sources,
    split,
)
from nodes.taxonomy import DIALOGUE_ACTS, lane_of_intent

MIN_ROWS_PER_LANE = {"en": 300, "es": 500, "pt": 500}
"""Source rows per language and lane (after dedupe)."""
MIN_TEST_ROWS_PER_LANE = 20
MAX_LANE_IMBALANCE = 2.0
"""Within one language, the biggest lane is at most this many times the smallest."""
MIN_CONVERSATIONS = {CONVERSATIONS_DEV: 40, CONVERSATIONS_TEST: 30}
MIN_CONVERSATIONS_PER_LANG = 10
CONVERSATION_SETS = (CONVERSATIONS_DEV, CONVERSATIONS_TEST)
REQUIRED_TAGS = ("sticky_followup", "switch", "handoff", "greeting", "thanks")
SUBSTANTIVE_WORDS = 4
"""Conversation turns this long must be new text, not rows of the single-turn data."""
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_SOURCE_NAME = re.compile(r"^(?P<lang>[a-z]{2})_(?P<lane>[a-z]+)\.jsonl$")


def row_problems(row: object) -> list[str]:
    """What is wrong with one single-turn row (empty when it is valid)."""
    if not isinstance(row, dict):
        return ["not an object"]
    problems = []
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text missing or empty")
    if row.get("lane") not in LANES:
        problems.append(f"unknown lane {row.get('lane')!r}")
    if row.get("lang") not in LANGS:
        problems.append(f"unknown lang {row.get('lang')!r}")
    intent = row.get("intent")
    if intent is not None and not (isinstance(intent, str) and _SNAKE.match(intent)):
        problems.append(f"intent not snake_case: {intent!r}")
    return problems


def read_jsonl(path: Path) -> list[dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def keys_of(rows: list[dict[str, object]]) -> list[str]:
    return sorted(dedupe_key(str(row["text"])) for row in rows)


def duplicate_keys(rows: list[dict[str, object]]) -> list[str]:
    counts = Counter(dedupe_key(str(row["text"])) for row in rows)
    return sorted(key for key, n in counts.items() if n > 1)


SOURCE_FILES = sorted(SOURCE.glob("*.jsonl"))


def test_row_checker_flags_bad_rows() -> None:
    assert row_problems({"text": "hola", "lane": "info", "lang": "es", "intent": "greeting"}) == []
    assert row_problems({"text": " ", "lane": "info", "lang": "es"}) == ["text missing or empty"]
    assert row_problems({"text": "hi", "lane": "sales", "lang": "fr", "intent": "Greet Me"}) == [
        "unknown lane 'sales'",
        "unknown lang 'fr'",
        "intent not snake_case: 'Greet Me'",
    ]
    assert duplicate_keys([{"text": "¿Están abiertos?"}, {"text": "estan  abiertos"}]) == [
        "estan abiertos"
    ]


def test_source_files_exist_for_every_language_and_lane() -> None:
    names = {path.name for path in SOURCE_FILES}
    missing = [f"{lang}_{lane}.jsonl" for lang in LANGS for lane in LANES]
    assert [name for name in missing if name not in names] == []


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_source_rows_are_valid_and_match_their_file(path: Path) -> None:
    rows = read_jsonl(path)
    bad = {i: row_problems(row) for i, row in enumerate(rows, 1) if row_problems(row)}
    assert bad == {}, f"{path.name}: invalid rows (line: problems) {bad}"
    match = _SOURCE_NAME.match(path.name)
    assert match, f"source file name must be <lang>_<lane>.jsonl: {path.name}"
    off = [row["text"] for row in rows if (row["lang"], row["lane"]) != match.group("lang", "lane")]
    assert off == [], f"{path.name}: rows whose lang/lane differ from the file name"
    assert duplicate_keys(rows) == [], f"{path.name}: duplicate texts after normalization"


@pytest.mark.parametrize("lang", build_es_pt.LANGS)
def test_es_pt_sources_are_built_from_raw_and_mostly_hand_written(lang: str) -> None:
    built = build_es_pt.build(lang)
    for lane in LANES:
        on_disk = read_jsonl(SOURCE / f"{lang}_{lane}.jsonl")
        expected = [row for row in built if row["lane"] == lane]
        assert on_disk == expected, "run: python -m evals.datasets.build_es_pt"
    hand = {dedupe_key(text) for text, _, _ in build_es_pt.read_raw(lang)}
    for lane in LANES:
        rows = [row for row in built if row["lane"] == lane]
        generated = sum(dedupe_key(row["text"]) not in hand for row in rows)
        assert generated < 0.5 * len(rows), f"{lang}/{lane}: {generated}/{len(rows)} generated"


def test_every_row_has_a_taxonomy_intent_of_its_lane() -> None:
    check_taxonomy()
    rows = [row for path in SOURCE_FILES for row in read_jsonl(path)]
    rows += read_jsonl(TRAIN) + read_jsonl(TEST)
    off = [
        (row["text"], row["lane"], row.get("intent"))
        for row in rows
        if not (
            lane_of_intent(str(row.get("intent"))) == row["lane"]
            or row.get("intent") in DIALOGUE_ACTS
        )
    ]
    assert off == [], f"rows whose intent is not a taxonomy name of their lane: {off[:10]}"


def test_labels_apply_the_lane_policy() -> None:
    assert relabel("info", "faq", "tienen promociones?") == ("commerce", "promotions")
    assert relabel("info", "faq_general", "can i return items bought on sale?")[0] == "info"
    assert relabel("info", "info_fragments", "atención al cliente") == ("support", "human_request")
    assert relabel("info", "contact_customer_service", "customer service phone number") == (
        "info",
        "faq_contact",
    )
    assert relabel("info", "opening_hours", "vocês abrem domingo?") == ("info", "hours_on_day")
    assert relabel("info", "opening_hours", "what are your hours") == ("info", "hours")
    assert relabel("commerce", "track_order", "where is my parcel") == ("commerce", "order_status")
    with pytest.raises(ValueError, match="no taxonomy intent"):
        relabel("info", "not_a_source_name", "hello")


def test_no_text_has_two_lanes_across_sources() -> None:
    lanes_of: dict[str, set[object]] = {}
    for path in SOURCE_FILES:
        for row in read_jsonl(path):
            lanes_of.setdefault(dedupe_key(str(row["text"])), set()).add(row["lane"])
    conflicts = sorted(key for key, lanes in lanes_of.items() if len(lanes) > 1)
    assert conflicts == [], f"texts labeled with two lanes: {conflicts[:20]}"


def test_every_language_has_every_lane_in_balance() -> None:
    counts = Counter((row["lang"], row["lane"]) for row in load_sources())
    for lang in LANGS:
        per_lane = {lane: counts[(lang, lane)] for lane in LANES}
        thin = {lane: n for lane, n in per_lane.items() if n < MIN_ROWS_PER_LANE[lang]}
        assert thin == {}, f"{lang}: lanes below {MIN_ROWS_PER_LANE[lang]} rows: {thin}"
        assert max(per_lane.values()) <= MAX_LANE_IMBALANCE * min(per_lane.values()), per_lane


def test_train_and_test_do_not_overlap() -> None:
    train, test = read_jsonl(TRAIN), read_jsonl(TEST)
    assert duplicate_keys(train) == []
    assert duplicate_keys(test) == []
    leaked = set(keys_of(train)) & set(keys_of(test))
    assert sorted(leaked) == [], "rows present in both train and test"


def test_splits_are_regenerated_from_the_sources() -> None:
    expected_train, expected_test = split(load_sources())
    assert keys_of(read_jsonl(TRAIN)) == keys_of(expected_train), "run: python -m evals.split"
    assert keys_of(read_jsonl(TEST)) == keys_of(expected_test), "run: python -m evals.split"


def test_test_split_covers_every_language_and_lane() -> None:
    counts = Counter((row["lang"], row["lane"]) for row in read_jsonl(TEST))
    thin = {f"{lang}/{lane}": counts[(lang, lane)] for lang in LANGS for lane in LANES}
    assert {k: n for k, n in thin.items() if n < MIN_TEST_ROWS_PER_LANE} == {}


@pytest.mark.parametrize("path", CONVERSATION_SETS, ids=lambda p: p.name)
def test_conversations_are_valid_and_cover_every_language(path: Path) -> None:
    conversations = load_conversations(path).rows
    assert len(conversations) >= MIN_CONVERSATIONS[path]
    ids = Counter(c.id for c in conversations)
    assert [i for i, n in ids.items() if n > 1] == [], "duplicate conversation ids"
    per_lang = Counter(c.lang for c in conversations)
    assert set(per_lang) <= set(LANGS)
    assert all(per_lang[lang] >= MIN_CONVERSATIONS_PER_LANG for lang in LANGS), per_lang
    assert all(len(c.turns) >= 2 for c in conversations), "a conversation needs 2+ turns"
    assert all(turn.lane in LANES for c in conversations for turn in c.turns)


@pytest.mark.parametrize("path", CONVERSATION_SETS, ids=lambda p: p.name)
def test_conversations_exercise_followups_switches_and_handoffs(path: Path) -> None:
    conversations = load_conversations(path).rows
    tags = Counter(tag for c in conversations for tag in c.tags)
    assert {tag: tags[tag] for tag in REQUIRED_TAGS if tags[tag] < 3} == {}
    switching = [c.id for c in conversations if len({t.lane for t in c.turns}) > 1]
    tagged_switch = [c.id for c in conversations if "switch" in c.tags]
    assert set(tagged_switch) <= set(switching), "a 'switch' conversation must change lane"
    handoffs = [c for c in conversations if "handoff" in c.tags]
    assert all(any(t.lane == "support" for t in c.turns) for c in handoffs), "handoff to a human"


@pytest.mark.parametrize("path", CONVERSATION_SETS, ids=lambda p: p.name)
def test_conversation_turns_are_new_text(path: Path) -> None:
    single_turn = {key for source in SOURCE_FILES for key in keys_of(read_jsonl(source))}
    conversations = load_conversations(path).rows
    reused = [
        (c.id, turn.text)
        for c in conversations
        for turn in c.turns
        if len(dedupe_key(turn.text).split()) >= SUBSTANTIVE_WORDS
        and dedupe_key(turn.text) in single_turn
    ]
    assert reused == [], "conversation turns copied from the single-turn data"


def test_no_family_crosses_the_split() -> None:
    """A hand-written row and the variants generated from it are on one side only."""
    train, test = read_jsonl(TRAIN), read_jsonl(TEST)
    assert all(row.get("family") for row in train + test), "run: python -m evals.split"
    crossing = {row["family"] for row in train} & {row["family"] for row in test}
    assert sorted(map(str, crossing))[:10] == []
    train_cores = {(row["lang"], core_key(str(row["text"]))) for row in train}
    copies = [
        row["text"] for row in test if (row["lang"], core_key(str(row["text"]))) in train_cores
    ]
    assert copies[:10] == [], "test rows equal to a train row once greetings/closings are stripped"


def test_builders_put_generated_variants_in_their_source_row_family() -> None:
    rows = build_es_pt.build("es")
    families = Counter(row["family"] for row in rows)
    assert max(families.values()) > 1, "generated variants must share their source's family"
    assert len(families) > len(rows) / 3


def test_dev_and_frozen_conversations_do_not_share_a_conversation() -> None:
    dev, test = (load_conversations(path).rows for path in CONVERSATION_SETS)
    assert not {c.id for c in dev} & {c.id for c in test}
    dev_turns = {dedupe_key(t.text) for c in dev for t in c.turns}
    shared = [
        t.text
        for c in test
        for t in c.turns
        if len(t.text.split()) >= SUBSTANTIVE_WORDS and dedupe_key(t.text) in dev_turns
    ]
    assert shared == []


def _prompt_examples() -> list[str]:
    from nodes.lanes.commerce import SPEC as COMMERCE
    from nodes.lanes.info import SPEC as INFO
    from nodes.lanes.support import SPEC as SUPPORT

    router_md = Path(__file__).resolve().parents[2] / "prompts" / "router.md"
    examples = re.findall(r'^- "(.*)" ->', router_md.read_text(encoding="utf-8"), re.M)
    assert examples, 'prompts/router.md lists examples as: - "text" -> lane'
    for spec in (INFO, COMMERCE, SUPPORT):
        examples += [text for texts in spec.examples.values() for text in texts]
    return examples


def test_no_prompt_example_is_taken_from_a_test_set() -> None:
    """The LLM's few-shot examples are written for the prompt: none is a routing test row or a
    near-copy of one (closer to it than to any train row), none is a frozen conversation turn."""
    examples = _prompt_examples()
    test_texts = [str(row["text"]) for row in read_jsonl(TEST)]
    train_texts = [str(row["text"]) for row in read_jsonl(TRAIN)]
    to_test = nearest_similarity(examples, test_texts)
    to_train = nearest_similarity(examples, train_texts)
    copied = [
        (text, near_test)
        for text, near_test, near_train in zip(examples, to_test, to_train, strict=True)
        if not is_unfamiliar(near_test) and near_test > near_train
    ]
    assert copied == []
    frozen = [t.text for c in load_conversations(CONVERSATIONS_TEST).rows for t in c.turns]
    substantive = [text for text in examples if len(text.split()) >= 3]
    near_frozen = nearest_similarity(substantive, frozen)
    copied_turns = [(t, s) for t, s in zip(substantive, near_frozen, strict=True) if s >= 0.8]
    assert copied_turns == []
