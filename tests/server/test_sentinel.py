"""High availability with Redis Sentinel, on the embedded binaries: a primary and a replica
(`redis-server` with RedisJSON and RediSearch) and three sentinels (`redis-server
--sentinel`), the web app and two `convo worker` processes configured with
`REDIS_SENTINELS` / `REDIS_SENTINEL_MASTER` and commits that wait for the replica
(`REDIS_COMMIT_REPLICAS=1`).

Traffic flows while the primary is switched over gracefully (`SENTINEL FAILOVER`) and
while the new primary is killed (SIGKILL; the sentinels promote the other server, and the
killed one is started again as its replica, as an operator would: until then no commit
reaches a replica, so turns wait and are retried, none is answered). Every message is
answered once, and every session's committed versions are 1..n in the order of its
messages: no acknowledged commit was lost, none applied twice, and the checkpointer (JSON
documents + search indexes) works on a promoted replica.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import redis
from redis_topologies import MASTER, SentinelGroup

from benchmarks.deployment import TENANT, Deployment, body, session_state, user_msg_ids

pytestmark = pytest.mark.timeout(1500)

TEXTS = ["hola", "what time do you open?", "do you ship to Lima?", "vocês abrem no domingo?"]
CUSTOMERS = 6
ANSWER_BOUND_S = 600.0
"""Messages caught by a switch wait for the new primary and a replica (their turns are
retried meanwhile), a lost queue write for the minute sweep: a bound for a loaded
machine, not a timing assertion."""


class Traffic:
    """Rounds of one message per customer, timestamps increasing; records what was sent."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.customers = [f"55219{random.randint(10**7, 10**8 - 1)}" for _ in range(CUSTOMERS)]
        self.sent: dict[str, list[str]] = defaultdict(list)
        self.rounds = 0
        self.failed_posts = 0

    def round(self) -> None:
        self.rounds += 1
        ts = 1_760_000_000 + self.rounds
        for wa_id in self.customers:
            wamid = f"wamid.HA{uuid.uuid4().hex[:14]}"
            raw = body(wa_id, [(wamid, TEXTS[self.rounds % len(TEXTS)], ts)])
            if self.deployment.post(raw) != 200:
                self.failed_posts += 1
            self.sent[wa_id].append(wamid)

    def rounds_in_background(self, most: int, stop: threading.Event) -> threading.Thread:
        """Rounds every second or so until `stop` is set (at least one, at most `most`):
        traffic that keeps flowing through the switches."""

        def run() -> None:
            for _ in range(most):
                self.round()
                if stop.wait(1.5):
                    return

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    @property
    def wamids(self) -> list[str]:
        return [wamid for wamids in self.sent.values() for wamid in wamids]


def _assert_each_answered_once_in_order(traffic: Traffic, group: SentinelGroup) -> None:
    deployment = traffic.deployment
    statuses = deployment.wait_answered(traffic.wamids, timeout_s=ANSWER_BOUND_S)
    unanswered = {w: s for w, s in statuses.items() if s != "answered"}
    assert not unanswered and len(statuses) == len(traffic.wamids), (
        unanswered,
        deployment.logs("worker")[-5000:],
    )
    # A commit that reached no replica in time is retried and then found committed (a
    # duplicate), so it may have no "completed" line; none may have two.
    turns = [t for t in deployment.completed_turns() if t.get("msg_id") in set(traffic.wamids)]
    assert max(Counter(t["msg_id"] for t in turns).values()) == 1
    version_of = {t["msg_id"]: t["state_version"] for t in turns}
    primary = redis.Redis(port=group.primary_port())
    try:
        for wa_id, wamids in traffic.sent.items():
            ranks = {w: rank for rank, w in enumerate(wamids, start=1)}
            assert all(version_of[w] == ranks[w] for w in wamids if w in version_of), wa_id
            stored = primary.hget(f"session:{TENANT}:{wa_id}", "version")
            assert stored == str(len(wamids)).encode(), wa_id
            # Read through the sentinels from the (possibly promoted) primary: each message
            # is one turn of the dialogue, in the order sent.
            assert user_msg_ids(session_state(group.url, wa_id)) == wamids, wa_id
    finally:
        primary.close()


def test_every_message_is_answered_once_across_a_failover_and_a_primary_crash(
    tmp_path: Path,
) -> None:
    with SentinelGroup() as group:
        redis_env = {
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in group.sentinel_ports),
            "REDIS_SENTINEL_MASTER": MASTER,
            "REDIS_COMMIT_REPLICAS": "1",
            "REDIS_COMMIT_WAIT_MS": "1000",
        }
        with Deployment(tmp_path, redis_env=redis_env, workers=2) as deployment:
            deployment.wait_workers_ready()
            traffic = Traffic(deployment)
            traffic.round()
            _assert_each_answered_once_in_order(traffic, group)

            first_primary = group.primary_port()
            stop = threading.Event()
            sending = traffic.rounds_in_background(8, stop)  # <= 10 messages per customer
            group.failover()  # graceful: SENTINEL FAILOVER while turns run
            old = group.server_on(first_primary)
            group.wait_for(lambda: group.replica_synced(old), "the old primary to rejoin")
            # Then the new primary dies mid-traffic: the sentinels promote the other server,
            # which has no replica, so no commit is confirmed (and no turn answered) until
            # the killed one is back, empty, as its replica.
            victim = group.kill_primary()
            group.restart_as_replica(victim)
            stop.set()
            sending.join()
            assert group.primary_port() != victim.port
            traffic.round()
            # One wait for both switches: messages whose queue write was lost in a switch
            # are answered by the minute sweep.
            _assert_each_answered_once_in_order(traffic, group)
            assert traffic.failed_posts == 0
