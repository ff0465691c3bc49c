"""`convo inspect`: a session's versions and diffs, and a message's life, after real turns
through the signed webhook and the real worker; phone numbers masked unless asked."""

from __future__ import annotations

import asyncio
import json

import pytest
from webhook_support import post_webhook, running_app

from server.chat_payloads import ChatUser, text_payload
from server.cli import main
from server.inspect_cli import ABSENT, diff
from server.worker import build_worker

TENANT = "100200300400500"
USER = ChatUser(wa_id="5511987654321", name="Ana")
SAID = {
    "wamid.I1": "hi",
    "wamid.I2": "do you have blue mugs?",
    "wamid.I3": "my order arrived damaged, call me at 5511912345678",
}


async def _three_turns(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    async with running_app(
        monkeypatch, redis_url, ENABLE_ORCHESTRATION="true", SESSION_VERSIONS_KEPT="5"
    ) as (client, app):
        for wamid, text in SAID.items():  # one at a time: the turns' order is the session's
            assert (await post_webhook(client, text_payload(USER, wamid, text))).status_code == 200
            worker = build_worker(app.state.resources, burst=True, handle_signals=False)
            try:
                await worker.async_run()
            finally:
                await worker.close()


async def _inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = await asyncio.to_thread(main, ["inspect", *args])
    return code, capsys.readouterr().out


async def test_session_versions_and_a_diff(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _three_turns(monkeypatch, redis_url)
    who = ["--tenant", TENANT, "--wa-id", USER.wa_id]
    code, out = await _inspect(capsys, "session", *who, "--diff", "2", "3", "--json")
    assert code == 0
    report = json.loads(out)
    versions = report["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["msg_id"] for v in versions] == ["wamid.I3", "wamid.I2", "wamid.I1"]
    assert [v["lane"] for v in versions] == ["support", "commerce", "info"]
    assert versions[1]["text"] == SAID["wamid.I2"]
    changes = {c["path"]: (c["old"], c["new"]) for c in report["diff"]["changes"]}
    assert changes["meta.current_lane"] == ("commerce", "support")
    assert changes["version"] == (2, 3)
    assert report["thread"] == f"{TENANT}:5511*****4321"
    assert "5511987654321" not in out and "5511912345678" not in out  # masked, texts too
    assert "call me at 5511*****5678" in out

    code, out = await _inspect(capsys, "session", *who, "--show-numbers", "--json")
    assert code == 0 and "5511912345678" in out
    code, text = await _inspect(capsys, "session", *who, "--diff", "1", "3")
    assert code == 0 and "meta.current_lane: 'info' -> 'support'" in text


def test_a_diff_tells_an_absent_path_from_a_none_value() -> None:
    old = {"cart": [], "note": None, "gone": 1}
    new = {"cart": [{"sku": "MUG"}], "note": "x"}
    assert diff(old, new) == [
        ("cart", [], ABSENT),
        ("cart[0].sku", ABSENT, "MUG"),
        ("gone", 1, ABSENT),
        ("note", None, "x"),
    ]
    assert repr(ABSENT) == "(absent)"


async def test_a_message_life_by_wamid(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _three_turns(monkeypatch, redis_url)
    code, out = await _inspect(capsys, "message", "wamid.I2", "--json")
    assert code == 0
    life = json.loads(out)
    assert life["webhook"]["status"] == "answered"
    assert life["webhook"]["wa_id"] == "5511*****4321"
    assert life["jobs"] == {"process:wamid.I2": "done", "orchestrate:wamid.I2": "done"}
    assert life["turn_committed"] is True
    assert life["turn"]["version"] == 2 and life["turn"]["lane"] == "commerce"
    assert [r["idempotency_key"] for r in life["replies"]] == ["wamid.I2:reply:0"]
    assert life["replies"][0]["status"] == "logged"  # no access token: kept, not sent
    assert "Blue ceramic mug" in life["replies"][0]["text"]


async def test_nothing_stored_is_one_clear_error(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    code = await asyncio.to_thread(main, ["inspect", "message", "wamid.NOPE"])
    assert code == 1
    assert "no stored message wamid.NOPE" in capsys.readouterr().err
    code = await asyncio.to_thread(
        main, ["inspect", "session", "--tenant", TENANT, "--wa-id", "15550000000"]
    )
    assert code == 1
