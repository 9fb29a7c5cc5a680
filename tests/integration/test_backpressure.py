"""QoS 1/2 backpressure instead of drops (issue 12, section 1): a connected
subscriber's full queue holds its publishers back, across shards, instead of
dropping messages the broker already acknowledged.

- unlimited QoS 1 and QoS 2 publishers (pairs and fan-in, default queue limits,
  right after a QoS 0 run on the same broker as in the issue) lose nothing, and
  $SYS/broker/messages/dropped stays 0;
- a subscriber that never reads holds its publisher (on another shard) back, and
  with it a healthy subscriber of the same messages, with bounded broker memory,
  until --slow_subscriber_timeout: then it is disconnected (default), or kept
  with its further messages dropped and counted (--slow_subscriber_action=drop);
  an MQTT 5 subscriber is told why: DISCONNECT 0x97 Quota exceeded.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

import mqtt5_bytes as mb5
import mqtt_bytes as mb
from raw_client import RawClient
from shards import client_id_on_shard, home_shard
from test_attacks_input import sys_value
from test_bench_tool import result_of, run_bench

pytestmark = pytest.mark.ringmq_only

SHARDS = 2
RSS_GROWTH_BOUND_KIB = 64 * 1024
DROP_REASONS = ["qos0_offline", "qos0_output_full", "offline_queue", "slow_subscriber", "too_large_for_client",
                "queue_full"]


def bench(broker, uid: str, *args: str) -> dict:
    proc = run_bench("--host", broker.host, "--port", str(broker.port), "--topic_prefix", uid,
                     "--client_id_prefix", f"{uid}-", "--progress=false", *args, timeout=90)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    return result_of(proc)


@pytest.mark.parametrize("scenario,qos,clients", [("pairs", 1, 100), ("pairs", 2, 100),
                                                  ("fanin", 1, 50), ("fanin", 2, 50)])
def test_unlimited_publishers_lose_nothing_with_default_limits(start_broker, uid, scenario, qos, clients):
    broker = start_broker(flags={"sys_interval": 1}, shards=SHARDS)
    # As in the issue: a QoS 0 run on the same broker first makes the loss likelier.
    bench(broker, f"{uid}-q0", "--scenario", "pairs", "--clients", "100", "--qos", "0", "--size", "64",
          "--duration", "2", "--warmup", "0", "--drain", "1")
    if scenario == "fanin":
        # Connection index `clients` is the fan-in subscriber: some publishers live on the other shard.
        prefix = f"{uid}-q{qos}-"
        sub_shard = home_shard(f"{prefix}{clients}", SHARDS)
        assert any(home_shard(f"{prefix}{i}", SHARDS) != sub_shard for i in range(clients))
    result = bench(broker, f"{uid}-q{qos}", "--scenario", scenario, "--clients", str(clients), "--qos", str(qos),
                   "--size", "64", "--inflight", "64", "--e2e_window", "0", "--duration", "3", "--warmup", "0.5",
                   "--drain", "10", "--expect_no_loss")
    print(f"{scenario} QoS {qos}: {result['sent_per_s']:.0f} msg/s sent, {result['received_per_s']:.0f} received")
    receivers = 1
    assert result["sent"] > 0 and result["received"] == result["sent"] * receivers, result
    assert result["lost"] == 0 and result["dup"] == 0 and result["errors"] == 0, result
    # The QoS 0 run before may drop by its policy (--max_queued_bytes) on a busy machine; nothing else may.
    qos12_reasons = [r for r in DROP_REASONS if not r.startswith("qos0")]
    by_reason = {r: sys_value(broker, f"$SYS/broker/messages/dropped/{r}", lambda v: True) for r in qos12_reasons}
    assert all(count == 0 for count in by_reason.values()), by_reason


class FloodingPublisher:
    """A raw MQTT 3.1.1 client sending 1 KiB QoS 1 PUBLISHes (numbered payloads) as fast as its
    socket takes them, on one thread, and counting PUBACKs on another."""

    def __init__(self, broker, client_id: str, topic: str, messages: int = 200_000):
        self.client = RawClient.connected(broker, client_id)
        self.client.sock.settimeout(None)
        self.topic = topic
        self.messages = messages
        self.acked = 0
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._send, daemon=True),
                        threading.Thread(target=self._count_acks, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _send(self) -> None:
        batch = 50
        try:
            for start in range(1, self.messages, batch):
                if self.stopped.is_set():
                    return
                ids = range(start, min(start + batch, self.messages))
                self.client.sock.sendall(b"".join(
                    mb.publish(self.topic, str(n).encode().ljust(1024, b"."), qos=1, packet_id=n % 65535 + 1)
                    for n in ids))
        except OSError:
            pass

    def _count_acks(self) -> None:
        buf = bytearray()
        try:
            while not self.stopped.is_set():
                data = self.client.sock.recv(65536)
                if not data:
                    return
                buf += data
                while True:
                    pkt, used = mb.parse(buf)
                    if pkt is None:
                        break
                    del buf[:used]
                    if pkt.kind == mb.PUBACK:
                        self.acked += 1
        except OSError:
            pass

    def acked_after(self, seconds: float) -> int:
        time.sleep(seconds)
        return self.acked

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.client.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for thread in self.threads:
            thread.join(5)
        self.client.close()


class ReadingSubscriber:
    """A raw QoS 1 subscriber that reads and acknowledges everything, keeping the payload numbers."""

    def __init__(self, broker, client_id: str, topic: str):
        self.client = RawClient.connected(broker, client_id)
        self.client.subscribe([(topic, 1)])
        self.received: list[int] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stopped.is_set():
            try:
                pkt = self.client.recv_publish_acked(timeout=0.5)
            except (AssertionError, OSError):
                continue
            self.received.append(int(pkt.payload().rstrip(b".")))

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.client.close()


def assert_in_order_without_gaps(numbers: list[int]) -> None:
    assert numbers, "nothing received"
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "gap or reordering"


def start_stuck_subscriber(broker, raw, client_id: str, topic: str) -> RawClient:
    stuck = raw(broker, rcvbuf=4096)  # never read: its socket fills, then its queue
    stuck.connect(client_id)
    stuck.subscribe([(topic, 1)])
    return stuck


def test_stuck_subscriber_holds_its_publishers_then_is_disconnected(start_broker, raw, uid):
    timeout_s = 6
    broker = start_broker(flags={"sys_interval": 1, "slow_subscriber_timeout": timeout_s}, shards=SHARDS)
    topic = f"{uid}/flood"
    stuck_id = client_id_on_shard(f"{uid}-stuck", 1, SHARDS)
    healthy_id = client_id_on_shard(f"{uid}-healthy", 1, SHARDS)
    publisher_id = client_id_on_shard(f"{uid}-pub", 0, SHARDS)  # on the other shard than the subscribers
    stuck = start_stuck_subscriber(broker, raw, stuck_id, topic)
    healthy = ReadingSubscriber(broker, healthy_id, topic)
    rss_before = broker.rss_kib()
    started = time.monotonic()
    publisher = FloodingPublisher(broker, publisher_id, topic)
    try:
        assert sys_value(broker, "$SYS/broker/backpressure/publisher_holds", lambda v: v >= 1) >= 1
        # Held: the broker stops reading the publisher, so no more PUBACKs while the subscriber is stuck.
        held_at = publisher.acked_after(0.5)
        still = publisher.acked_after(1.0)
        rss_held = broker.rss_kib()
        assert still == held_at, f"publisher still acknowledged while held: {held_at} -> {still}"
        assert time.monotonic() - started < timeout_s, "too slow to observe the hold before the timeout"
        # Then the stuck subscriber is disconnected, and the publisher goes on.
        assert stuck.wait_closed(timeout=timeout_s + 10), "stuck subscriber never disconnected"
        assert time.monotonic() - started >= timeout_s - 1
        deadline = time.monotonic() + 10
        while publisher.acked < held_at + 2000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert publisher.acked >= held_at + 2000, f"publisher not released: {publisher.acked} acked"
    finally:
        publisher.stop()
    deadline = time.monotonic() + 20  # the healthy subscriber catches up with what was acknowledged
    while len(healthy.received) < publisher.acked and time.monotonic() < deadline:
        time.sleep(0.1)
    healthy.stop()
    print(f"held at {held_at} PUBACKs; RSS {rss_before >> 10} -> {rss_held >> 10} MiB while held; "
          f"healthy subscriber got {len(healthy.received)}")
    assert rss_held - rss_before < RSS_GROWTH_BOUND_KIB, f"RSS grew {rss_held - rss_before} KiB while held"
    # A publisher feeding a stuck and a healthy subscriber is slowed for both, and loses nothing.
    assert_in_order_without_gaps(healthy.received)
    assert len(healthy.received) >= publisher.acked, (len(healthy.received), publisher.acked)
    assert sys_value(broker, "$SYS/broker/backpressure/slow_subscriber_disconnects", lambda v: v >= 1) == 1
    assert sys_value(broker, "$SYS/broker/messages/dropped", lambda v: True) == 0
    assert f"acknowledged nothing for {timeout_s} s with a full queue" in broker.log


def test_stuck_subscriber_with_drop_action_keeps_connection_and_counts_drops(start_broker, raw, uid):
    timeout_s = 5
    broker = start_broker(flags={"sys_interval": 1, "slow_subscriber_timeout": timeout_s,
                                 "slow_subscriber_action": "drop", "max_queued_messages": 200}, shards=SHARDS)
    topic = f"{uid}/flood"
    stuck_id = client_id_on_shard(f"{uid}-stuck", 0, SHARDS)
    publisher_id = client_id_on_shard(f"{uid}-pub", 1, SHARDS)
    stuck = start_stuck_subscriber(broker, raw, stuck_id, topic)
    publisher = FloodingPublisher(broker, publisher_id, topic)
    try:
        assert sys_value(broker, "$SYS/broker/backpressure/publisher_holds", lambda v: v >= 1) >= 1
        held_at = publisher.acked_after(0.5)
        assert publisher.acked_after(1.0) == held_at, "publisher still acknowledged while held"
        # Past the timeout the publisher is released and the stuck subscriber's messages are dropped.
        deadline = time.monotonic() + timeout_s + 10
        while publisher.acked < held_at + 2000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert publisher.acked >= held_at + 2000, f"publisher not released: {publisher.acked} acked"
        slow = sys_value(broker, "$SYS/broker/messages/dropped/slow_subscriber", lambda v: v > 0)
    finally:
        publisher.stop()
    total = sys_value(broker, "$SYS/broker/messages/dropped", lambda v: v >= slow)
    by_reason = {r: sys_value(broker, f"$SYS/broker/messages/dropped/{r}", lambda v: True) for r in DROP_REASONS}
    assert total == sum(by_reason.values()), (total, by_reason)
    assert by_reason["slow_subscriber"] == total, by_reason
    # Still connected: it gets its queued messages, in order, once it reads.
    stuck.ping(timeout=10)
    first = [int(stuck.recv_publish_acked().payload().rstrip(b".")) for _ in range(100)]
    assert_in_order_without_gaps(first)
    assert sys_value(broker, "$SYS/broker/backpressure/slow_subscriber_disconnects", lambda v: True) == 0


def test_stuck_mqtt5_subscriber_is_told_quota_exceeded(start_broker, uid):
    timeout_s = 2
    broker = start_broker(flags={"sys_interval": 1, "slow_subscriber_timeout": timeout_s}, shards=SHARDS)
    topic = f"{uid}/flood"
    stuck = RawClient(broker.host, broker.port, rcvbuf=4096)
    stuck.send(mb5.connect(client_id_on_shard(f"{uid}-stuck", 0, SHARDS)))
    assert mb5.parse_connack(stuck.expect(mb.CONNACK))[1] == 0
    stuck.send(mb5.subscribe(1, [(topic, 1)]))
    assert mb5.parse_suback(stuck.expect(mb.SUBACK)) == [1]
    publisher = FloodingPublisher(broker, client_id_on_shard(f"{uid}-pub", 1, SHARDS), topic)
    try:
        assert broker.wait_for_log(r"acknowledged nothing for 2 s with a full queue.*disconnecting", timeout=20)
        # Read what the broker still sends within its close grace: the unacknowledged PUBLISHes, then
        # DISCONNECT 0x97 Quota exceeded, then the end of the stream.
        stuck.sock.settimeout(10)
        data = bytearray()
        for _ in range(100_000):
            chunk = stuck.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        kinds = []
        last = None
        while True:
            pkt, used = mb.parse(data)
            if pkt is None:
                break
            del data[:used]
            kinds.append(pkt.kind)
            last = pkt
        assert last is not None and last.kind == mb.DISCONNECT, kinds[-5:]
        assert mb5.parse_reason(last)[0] == 0x97
        assert set(kinds[:-1]) == {mb.PUBLISH}
    finally:
        publisher.stop()
        stuck.close()
