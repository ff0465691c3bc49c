"""`convo replay`: stored conversations through a router with a deliberately changed
threshold; the report names exactly the turns that change, and nothing else."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from webhook_support import post_webhook, resources_of, running_app

from nodes.router import build_router
from server.chat_payloads import ChatUser, reply_payload, text_payload
from server.cli import main
from server.store.models import WaMessage

TENANT = "100200300400500"
OTHER_TENANT = "900800700600500"

# First messages of their conversations (nothing sticky yet), with the offline router's
# confidence when these tests were written. At min_confidence 0.9 instead of 0.5, the ones
# under 0.9 become a clarifying question; the rest keep their lane.
CHANGES = {
    "wamid.R1": "what about the others",  # commerce, 0.63
    "wamid.R2": "what do you recommend",  # commerce, 0.63
    "wamid.R3": "any news",  # info, 0.83
    "wamid.R4": "something happened",  # support, 0.66
}
STAYS = {
    "wamid.S1": "my order arrived damaged",  # support, 1.00
    "wamid.S2": "when are you open?",  # info, 1.00
    "wamid.S3": "is the store near the station?",  # info, 0.97
    "wamid.S4": "tell me more",  # 0.44, commerce/info nearly tied: clarified before and after
}
FOLLOW_UP = ("wamid.F1", "i want to talk about my account", "wamid.F2", "something happened")
"""The same "something happened" as a follow-up: support is sticky, so it does not change."""


def _user(i: int, tenant: str = TENANT) -> ChatUser:
    return ChatUser(wa_id=f"5511987{i:06d}", name=f"U{i}", phone_number_id=tenant)


def test_the_premise_confidences() -> None:
    """If the router is retrained and these move, the expectations above must be redone."""
    router = build_router("offline")

    async def confidence(text: str) -> tuple[str, float]:
        decision = await router.route(text)
        return decision.method, decision.confidence

    for text in CHANGES.values():
        method, value = asyncio.run(confidence(text))
        assert method == "offline" and 0.5 <= value < 0.9, (text, method, value)
    for text in list(STAYS.values())[:3]:
        method, value = asyncio.run(confidence(text))
        assert value >= 0.9, (text, method, value)
    assert asyncio.run(confidence(STAYS["wamid.S4"]))[0] == "clarify"


async def _store_conversations(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        payloads = [
            text_payload(_user(i), wamid, text)
            for i, (wamid, text) in enumerate({**CHANGES, **STAYS}.items())
        ]
        follower = _user(50)
        payloads += [
            text_payload(follower, FOLLOW_UP[0], FOLLOW_UP[1]),
            text_payload(follower, FOLLOW_UP[2], FOLLOW_UP[3]),
            reply_payload(_user(51), "wamid.T1", kind="button", choice_id="lane:commerce",
                          title="Shopping", replying_to="wamid.X"),
            text_payload(_user(52, OTHER_TENANT), "wamid.O1", "tell me more"),  # other tenant
            text_payload(_user(53), "wamid.OLD", "what about gifts"),  # before --since
        ]  # fmt: skip
        for payload in payloads:
            assert (await post_webhook(client, payload)).status_code == 200
        async with resources_of(app).sessions.begin() as session:
            old = update(WaMessage).where(WaMessage.wamid == "wamid.OLD")
            await session.execute(old.values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))


async def test_a_changed_threshold_reports_exactly_the_changed_messages(
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _store_conversations(monkeypatch, redis_url)
    report_path, html_path = tmp_path / "replay.json", tmp_path / "replay.html"
    args = ["replay", "--tenant", TENANT, "--since", "2021-01-01", "--router-min-confidence",
            "0.9", "--report-json", str(report_path), "--report-html", str(html_path)]  # fmt: skip
    assert await asyncio.to_thread(main, args) == 0
    out = capsys.readouterr().out

    report = json.loads(report_path.read_text())
    changed = {t["msg_id"]: t for t in report["changed_turns"]}
    assert set(changed) == set(CHANGES)
    for turn in changed.values():
        assert turn["changed"][0] == "lane"
        assert turn["before"]["lane"] != "clarify" and turn["after"]["lane"] == "clarify"
        assert turn["text"] == CHANGES[turn["msg_id"]]
    assert report["n"] == len(CHANGES) + len(STAYS) + 3  # + the follow-up pair and the tap
    assert report["changed"] == len(CHANGES) and report["lane_changed"] == len(CHANGES)
    assert report["before"]["min_confidence"] == 0.5 and report["after"]["min_confidence"] == 0.9
    assert sum(report["confusion"][lane]["clarify"] for lane in report["confusion"]) == 5
    assert report["confusion"]["clarify"]["clarify"] == 1  # "tell me more", before and after
    assert report["errors"] == 0
    for wamid in CHANGES:
        assert wamid in html_path.read_text() or CHANGES[wamid] in html_path.read_text()
    assert "5511987" + "000000" not in out + report_path.read_text()  # numbers masked
    assert "changed" in out and "4 (36.4%)" in out


async def test_the_gate_fails_when_too_many_turns_would_change(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path
) -> None:
    await _store_conversations(monkeypatch, redis_url)
    base = ["replay", "--tenant", TENANT, "--since", "2021-01-01", "--router-min-confidence", "0.9"]
    assert await asyncio.to_thread(main, [*base, "--max-changed", "0.36"]) == 1  # 4 of 11
    assert await asyncio.to_thread(main, [*base, "--max-changed", "0.37"]) == 0


async def test_an_export_replays_the_same_as_the_store(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path
) -> None:
    await _store_conversations(monkeypatch, redis_url)
    export = tmp_path / "turns.jsonl"
    select = ["--tenant", TENANT, "--since", "2021-01-01"]
    assert await asyncio.to_thread(main, ["replay", *select, "--export-jsonl", str(export)]) == 0
    assert len(export.read_text().splitlines()) == 11
    report_path = tmp_path / "r.json"
    args = ["replay", "--jsonl", str(export), "--router-min-confidence", "0.9",
            "--report-json", str(report_path)]  # fmt: skip
    assert await asyncio.to_thread(main, args) == 0
    changed = {t["msg_id"] for t in json.loads(report_path.read_text())["changed_turns"]}
    assert changed == set(CHANGES)


def test_a_bad_export_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi"}\n')
    assert main(["replay", "--jsonl", str(bad)]) == 2
    assert f"{bad}:1: not a turn" in capsys.readouterr().err
