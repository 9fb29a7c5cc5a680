"""Large payloads: sent to each subscriber from the one stored message
(--shared_payload_threshold), optionally with zero-copy sends
(--zerocopy_send_threshold), and with both off. Every byte must arrive intact
and in order, to MQTT 3.1.1 and 5 subscribers on every shard, at every QoS,
to a subscriber that stops reading for a while (partial sends), and to the
others when one subscriber vanishes in the middle of a transfer."""

from __future__ import annotations

import random
import time

import pytest

from mqtt5_fixtures import paho5  # noqa: F401  (fixture)
from shards import client_id_on_shard

pytestmark = pytest.mark.ringmq_only

SHARDS = 4
# Room for every test's burst in each subscriber's output, so QoS 0 is never dropped for being slow.
QUEUED_BYTES = 32 * 1024 * 1024
MODES = {
    "borrowed-zerocopy": {"shared_payload_threshold": 1024, "zerocopy_send_threshold": 16384},
    "borrowed": {"shared_payload_threshold": 1024, "zerocopy_send_threshold": 0},
    "copied": {"shared_payload_threshold": 0, "zerocopy_send_threshold": 0},
}
# Small ones in between: owned bytes and borrowed payloads alternate in one output stream.
SIZES = [3 * 1024, 100, 64 * 1024, 1_000_000, 5, 3 * 1024, 64 * 1024 + 7, 1_000_000 - 1]


def payloads(seed: str, sizes: list[int]) -> list[bytes]:
    """Distinct pseudo-random payloads: a byte out of place shows."""
    rng = random.Random(seed)
    return [rng.randbytes(size) for size in sizes]


def start(start_broker, mode: str):
    return start_broker(flags={**MODES[mode], "max_queued_bytes": QUEUED_BYTES}, shards=SHARDS)


def assert_same(got: list[bytes], expected: list[bytes], who: str) -> None:
    assert [len(p) for p in got] == [len(p) for p in expected], f"{who}: sizes differ"
    for i, (a, b) in enumerate(zip(got, expected)):
        assert a == b, f"{who}: payload {i} ({len(b)} bytes) differs from byte {first_difference(a, b)}"


def first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def read_publishes(client, count: int, timeout: float) -> list[bytes]:
    """Payloads of the next count PUBLISHes on a raw 3.1.1 connection, acking QoS 1/2."""
    deadline = time.monotonic() + timeout
    return [client.recv_publish_acked(max(deadline - time.monotonic(), 0.001)).payload()
            for _ in range(count)]


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("mode", list(MODES))
def test_large_payloads_reach_every_subscriber_intact(start_broker, paho, paho5, uid, mode, qos):
    broker = start(start_broker, mode)
    topic = f"{uid}/big"
    subscribers = {
        "3.1.1 same shard": paho(broker, client_id_on_shard(f"{uid}-a", 0, SHARDS)),
        "3.1.1 other shard": paho(broker, client_id_on_shard(f"{uid}-b", 2, SHARDS)),
        "5 other shard": paho5(broker, client_id_on_shard(f"{uid}-c", 1, SHARDS)),
        "5 last shard": paho5(broker, client_id_on_shard(f"{uid}-d", 3, SHARDS)),
    }
    for client in subscribers.values():
        client.subscribe(topic, qos)
    publisher = paho(broker, client_id_on_shard(f"{uid}-pub", 0, SHARDS))
    expected = payloads(uid, SIZES)
    for payload in expected:
        publisher.publish(topic, payload, qos, timeout=30)
    for who, client in subscribers.items():
        received = client.expect(len(expected), timeout=30)
        assert [m.qos for m in received] == [qos] * len(expected), who
        assert_same([m.payload for m in received], expected, who)
        client.expect_none(wait=0.2)


@pytest.mark.parametrize("mode", list(MODES))
def test_subscriber_that_stops_reading_gets_everything_after_partial_sends(start_broker, raw, paho, uid,
                                                                           mode):
    broker = start(start_broker, mode)
    topic = f"{uid}/slow"
    # A small window, and more output than the broker's socket buffer takes (4 MiB at most by
    # default): the broker's sends stop part-way. (Not 4 KiB: on loopback, Linux trickles a run of
    # zero-copy sends into so small a receive buffer at a few KiB/s.)
    slow = raw(broker, rcvbuf=16384)
    slow.connect(f"{uid}-slow")
    assert slow.subscribe([(topic, 1)]) == [1]
    fast = paho(broker)
    fast.subscribe(topic, 0)
    publisher = raw(broker, client_id_on_shard(f"{uid}-pub", 1, SHARDS))
    expected = payloads(uid, [64 * 1024 + i for i in range(80)] + [3 * 1024, 10, 1_000_000])
    for payload in expected:
        publisher.publish_qos1(topic, payload)
    # The fast subscriber is not held up by the stuck one.
    assert_same([m.payload for m in fast.expect(len(expected), timeout=30)], expected, "fast")
    time.sleep(1.0)  # the slow one still has not read: its output waits in the broker
    assert_same(read_publishes(slow, len(expected), timeout=60), expected, "slow")


@pytest.mark.parametrize("mode", list(MODES))
def test_subscriber_vanishing_mid_transfer_disturbs_no_one(start_broker, raw, paho, paho5, uid, mode):
    broker = start(start_broker, mode)
    topic = f"{uid}/gone"
    leavers = []
    for shard in range(SHARDS):
        leaver = raw(broker, rcvbuf=4096)
        leaver.connect(client_id_on_shard(f"{uid}-leaver{shard}", shard, SHARDS))
        assert leaver.subscribe([(topic, 0)]) == [0]
        leavers.append(leaver)
    stayers = {"3.1.1": paho(broker), "5": paho5(broker)}
    for client in stayers.values():
        client.subscribe(topic, 1)
    publisher = paho(broker, client_id_on_shard(f"{uid}-pub", 2, SHARDS))
    expected = payloads(uid, [1_000_000 - i for i in range(6)] + [64 * 1024, 3 * 1024])
    for payload in expected[:3]:
        publisher.publish(topic, payload, 1, timeout=30)
    # Each leaver has read part of the first message (or none at all), then is gone; the rest of
    # the burst goes out while the broker is still tearing their connections down.
    for i, leaver in enumerate(leavers):
        if i % 2 == 0:
            leaver.sock.recv(1000)
        leaver.close()
    for payload in expected[3:]:
        publisher.publish(topic, payload, 1, timeout=30)
    for who, client in stayers.items():
        assert_same([m.payload for m in client.expect(len(expected), timeout=30)], expected, who)
    # The broker still serves: a new subscriber gets a fresh large message whole.
    late = raw(broker, f"{uid}-late")
    assert late.subscribe([(topic, 1)]) == [1]
    final = payloads(f"{uid}-final", [200_000])
    publisher.publish(topic, final[0], 1, timeout=30)
    assert_same(read_publishes(late, 1, timeout=30), final, "late")
    late.ping()
