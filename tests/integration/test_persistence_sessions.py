"""Durable sessions (--data_dir with --persistence on): persistent sessions, their subscriptions
(options, identifiers, share groups), queued and in-flight QoS 1/2 messages and inbound QoS 2 ids
survive a graceful restart and a kill -9; in sync mode every PUBACKed message is delivered after a
crash; session expiry keeps counting across a restart; a graceful stop does not publish the will of a
session that survives it; a torn log tail keeps the sessions committed before it. Every broker runs on
an ephemeral loopback port; each wait is bounded."""

from __future__ import annotations

import os
import pathlib
import signal
import threading
import time

import pytest

import broker_process
from mqtt5_fixtures import paho5  # noqa: F401  (fixture)
from paho5_client import Paho5Client, props
from paho_client import PahoClient

pytestmark = pytest.mark.ringmq_only

SHARDS = 4


def flags(data_dir: pathlib.Path, mode: str = "sync") -> dict:
    return {"data_dir": data_dir, "persistence": mode}


def kill9(broker: broker_process.Broker) -> None:
    assert broker.stop(signal.SIGKILL) == -signal.SIGKILL


def persistent(broker, client_id: str) -> tuple[PahoClient, bool]:
    """An MQTT 3.1.1 clean-session-0 client, connected; with whether its session was present."""
    client = PahoClient(broker.host, broker.port, client_id, clean_session=False)
    present, rc = client.connect()
    assert rc == 0
    return client, present


class AckCountingPublisher:
    """A Paho MQTT 3.1.1 publisher streaming numbered messages (payload: the number) to one topic,
    64 in flight, that remembers which numbers the broker acknowledged (PUBACK, or PUBCOMP for QoS 2)."""

    def __init__(self, broker, client_id: str, topic: str, qos: int):
        import paho.mqtt.client as mqtt

        self._topic, self._qos = topic, qos
        self._lock = threading.Lock()
        self._index_of_mid: dict[int, int] = {}
        self._acked_mids: set[int] = set()
        self._client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311)
        self._client.max_inflight_messages_set(64)
        self._client.on_publish = self._on_publish
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def _on_publish(self, _client, _userdata, mid):
        with self._lock:
            self._acked_mids.add(mid)

    def stream_until_acked(self, at_least: int, count: int = 20_000, timeout_s: float = 10) -> None:
        """Queues `count` messages, returns once `at_least` are acknowledged (bounded) and a little
        more time has passed, so the stream is well under way."""
        for i in range(count):
            info = self._client.publish(self._topic, str(i), qos=self._qos)
            with self._lock:
                self._index_of_mid[info.mid] = i
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._acked_mids) >= at_least:
                    break
            time.sleep(0.01)
        time.sleep(0.3)

    def stop(self) -> set[int]:
        """The numbers of the messages acknowledged."""
        self._client.loop_stop()
        with self._lock:
            return {self._index_of_mid[mid] for mid in self._acked_mids if mid in self._index_of_mid}


@pytest.mark.parametrize("stop", ["graceful", "kill9"])
@pytest.mark.parametrize("qos", [1, 2])
def test_offline_session_gets_queued_messages_after_restart(start_broker, paho, uid, tmp_path, stop, qos):
    broker = broker_process.start_broker(flags=flags(tmp_path), shards=SHARDS)
    try:
        sub, present = persistent(broker, f"{uid}-sub")
        assert not present
        sub.subscribe(f"{uid}/q/#", qos=qos)
        sub.disconnect()
        pub = paho(broker)
        for i in range(50):
            pub.publish(f"{uid}/q/{i % 7}", f"m{i}", qos=qos)  # returns once PUBACK/PUBCOMP is in
    finally:
        if stop == "kill9":
            kill9(broker)
        else:
            assert broker.stop() == 0

    restarted = start_broker(flags=flags(tmp_path), shards=SHARDS)
    assert restarted.wait_for_log(r"persistence: \d+ sessions restored")
    sub, present = persistent(restarted, f"{uid}-sub")
    assert present
    got = [m.payload.decode() for m in sub.expect(50, timeout=10)]
    assert got == [f"m{i}" for i in range(50)]  # in order, each exactly once
    sub.expect_none(0.5)
    # The subscription itself came back: a new publish reaches the session.
    paho(restarted).publish(f"{uid}/q/new", "after restart", qos=1)
    assert sub.expect(1)[0].payload == b"after restart"
    sub.disconnect()


def test_subscription_options_ids_and_share_groups_survive_kill9(start_broker, paho5, uid, tmp_path):
    broker = broker_process.start_broker(flags=flags(tmp_path), shards=SHARDS)
    try:
        expiry = props(1, SessionExpiryInterval=3600)
        sub = paho5(broker, client_id=f"{uid}-v5", clean_start=False, properties=expiry)
        sub.subscribe(f"{uid}/ids/#", qos=2, subscription_id=42)
        sub.subscribe(f"{uid}/local", qos=1, no_local=True)
        sub.subscribe(f"$share/g1/{uid}/shared", qos=1)
        sub.drop()  # gone without DISCONNECT; the session stays
        time.sleep(0.3)
    finally:
        kill9(broker)

    restarted = start_broker(flags=flags(tmp_path), shards=SHARDS)
    sub = paho5(restarted, client_id=f"{uid}-v5", clean_start=False,
                properties=props(1, SessionExpiryInterval=3600))
    pub = paho5(restarted)
    pub.publish(f"{uid}/ids/a", "with id", qos=2)
    pub.publish(f"{uid}/shared", "to the group", qos=1)
    got = {m.topic: m for m in sub.expect(2, timeout=10)}
    assert got[f"{uid}/ids/a"].qos == 2 and got[f"{uid}/ids/a"].payload == b"with id"
    assert sub.subscription_ids[0] == [42] or sub.subscription_ids[1] == [42]
    assert got[f"{uid}/shared"].payload == b"to the group"
    sub.publish(f"{uid}/local", "my own", qos=1)  # no-local kept: not echoed back
    sub.expect_none(0.5)


def test_session_expiry_keeps_counting_across_restart(start_broker, paho5, uid, tmp_path):
    broker = broker_process.start_broker(flags=flags(tmp_path), shards=SHARDS)
    try:
        for name in ("early", "late"):
            client = paho5(broker, client_id=f"{uid}-{name}", clean_start=False,
                           properties=props(1, SessionExpiryInterval=3))
            client.subscribe(f"{uid}/x", qos=1)
            client.disconnect()
        went_offline = time.monotonic()
        time.sleep(2.0)
    finally:
        assert broker.stop() == 0

    restarted = start_broker(flags=flags(tmp_path), shards=SHARDS)

    def reconnect(name: str) -> bool:
        client = Paho5Client(restarted.host, restarted.port, f"{uid}-{name}")
        present, reason, _ = client.connect(clean_start=False, properties=props(1, SessionExpiryInterval=3))
        assert reason == 0
        client.disconnect()
        return present

    # 2 s of its 3 s were spent before the stop: still there now, gone a second or two later.
    assert reconnect("early")
    assert time.monotonic() - went_offline < 3.0, "the restart took too long for this test"
    time.sleep(max(0.0, went_offline + 4.5 - time.monotonic()))
    assert not reconnect("late")


def test_graceful_stop_publishes_only_wills_of_sessions_that_end(start_broker, paho, uid, tmp_path):
    broker = broker_process.start_broker(flags=flags(tmp_path), shards=SHARDS)
    watcher = paho(broker)
    watcher.subscribe(f"{uid}/will/#", qos=1)
    kept = PahoClient(broker.host, broker.port, f"{uid}-kept", clean_session=False,
                      will=(f"{uid}/will/kept", b"kept went away", 1, False))
    assert kept.connect()[1] == 0
    clean = PahoClient(broker.host, broker.port, f"{uid}-clean", clean_session=True,
                       will=(f"{uid}/will/clean", b"clean went away", 1, False))
    assert clean.connect()[1] == 0
    assert broker.stop() == 0
    wills = [m.topic for m in watcher.drain()]
    assert wills == [f"{uid}/will/clean"]
    kept.drop()
    clean.drop()

    restarted = start_broker(flags=flags(tmp_path), shards=SHARDS)
    again, present = persistent(restarted, f"{uid}-kept")
    assert present
    again.disconnect()


def test_truncated_log_tail_keeps_committed_sessions(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path), shards=1)
    sub, _ = persistent(broker, f"{uid}-sub")
    sub.subscribe(f"{uid}/t", qos=1)
    sub.disconnect()
    pub = paho(broker)
    for i in range(10):
        pub.publish(f"{uid}/t", f"m{i}", qos=1)
    assert broker.stop() == 0
    log = tmp_path / "shard-0.log"
    os.truncate(log, log.stat().st_size - 5)  # a torn last record, as a crash mid-write leaves

    restarted = start_broker(flags=flags(tmp_path), shards=1)
    assert restarted.wait_for_log(rf"persistence: .*{log.name}: dropped an invalid tail of \d+ bytes")
    sub, present = persistent(restarted, f"{uid}-sub")
    assert present
    got = [m.payload.decode() for m in sub.expect(9, timeout=10)]
    # The torn record was the session's "offline since" record or the last message: whatever it
    # was, everything committed before it is there, in order.
    assert got[:9] == [f"m{i}" for i in range(9)]
    sub.disconnect()


def collect_until_quiet(client, quiet: float = 1.5, limit: float = 30.0) -> list:
    """Every message the client receives until none came for `quiet` seconds (bounded by `limit`)."""
    got = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        batch = client.drain()
        if batch:
            got.extend(batch)
            continue
        try:
            got.append(client.messages.get(timeout=quiet))
        except Exception:  # queue.Empty: quiet for long enough
            return got
    raise AssertionError(f"still receiving after {limit}s ({len(got)} messages)")


@pytest.mark.parametrize("qos", [1, 2])
def test_sync_every_acknowledged_message_survives_kill9_under_load(start_broker, uid, tmp_path, qos):
    """A publisher sends as fast as its acknowledgements allow (64 in flight) to a persistent session
    that is offline and one that is connected but reads nothing (its in-flight window fills, the rest
    queues); the broker is killed mid-stream. After the restart each session gets every message whose
    PUBACK (PUBCOMP) the publisher had, each exactly once for QoS 2 and at least once for QoS 1."""
    from raw_client import RawClient

    bounds = {"max_queued_messages": 1_000_000, "max_queued_bytes": 1 << 30}
    broker = broker_process.start_broker(flags={**flags(tmp_path), **bounds}, shards=SHARDS)
    acked: set[int] = set()
    try:
        offline, _ = persistent(broker, f"{uid}-offline")
        offline.subscribe(f"{uid}/load", qos=qos)
        offline.disconnect()
        stuck = RawClient(broker.host, broker.port)
        stuck.connect(f"{uid}-stuck", clean_session=False)
        assert stuck.subscribe([(f"{uid}/load", qos)]) == [qos]

        publisher = AckCountingPublisher(broker, f"{uid}-pub", f"{uid}/load", qos)
        publisher.stream_until_acked(300)
    finally:
        kill9(broker)
    acked = publisher.stop()
    assert len(acked) >= 300
    stuck.close()

    restarted = start_broker(flags={**flags(tmp_path), **bounds}, shards=SHARDS)
    for name in ("offline", "stuck"):
        client, present = persistent(restarted, f"{uid}-{name}")
        assert present, name
        got = [int(m.payload) for m in collect_until_quiet(client)]
        missing = acked - set(got)
        assert not missing, f"{name}: {len(missing)} of {len(acked)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
        if qos == 2:
            assert len(got) == len(set(got)), f"{name}: QoS 2 delivered a message twice"
        client.disconnect()


def test_sessions_move_with_a_shard_count_change(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path), shards=4)
    names = [f"{uid}-s{i}" for i in range(8)]  # client ids hash to every shard
    for name in names:
        client, _ = persistent(broker, name)
        client.subscribe(f"{uid}/all", qos=1)
        client.disconnect()
    paho(broker).publish(f"{uid}/all", "before", qos=1)
    assert broker.stop() == 0

    fewer = start_broker(flags=flags(tmp_path), shards=2)
    assert fewer.wait_for_log(r"persistence: moved \d+ records to their home shard's log \(2 shards now\)")
    paho(fewer).publish(f"{uid}/all", "after", qos=1)
    for name in names:
        client, present = persistent(fewer, name)
        assert present, name
        assert [m.payload for m in client.expect(2, timeout=10)] == [b"before", b"after"]
        client.disconnect()


def test_sync_acknowledged_group_messages_survive_kill9(start_broker, uid, tmp_path):
    """Shared subscriptions: two persistent members of a group, both offline, so each copy tours the
    group's shards before an offline member queues it. Every message the publisher had a PUBACK for
    is with one of them after a kill -9 and a restart."""
    bounds = {"max_queued_messages": 1_000_000, "max_queued_bytes": 1 << 30}
    broker = broker_process.start_broker(flags={**flags(tmp_path), **bounds}, shards=SHARDS)
    members = [f"{uid}-m{i}" for i in range(2)]
    try:
        for name in members:
            member, _ = persistent(broker, name)
            member.subscribe(f"$share/g/{uid}/load", qos=1)
            member.disconnect()
        publisher = AckCountingPublisher(broker, f"{uid}-pub", f"{uid}/load", 1)
        publisher.stream_until_acked(300)
    finally:
        kill9(broker)
    acked = publisher.stop()
    assert len(acked) >= 300

    restarted = start_broker(flags={**flags(tmp_path), **bounds}, shards=SHARDS)
    got: set[int] = set()
    for name in members:
        client, present = persistent(restarted, name)
        assert present, name
        got |= {int(m.payload) for m in collect_until_quiet(client)}
        client.disconnect()
    missing = acked - got
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
