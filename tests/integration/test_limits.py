"""Resource limits: --max_connections, --max_inflight, and the per-client
outbound queue bound that keeps a never-reading subscriber from growing
the broker's memory."""

import concurrent.futures
import threading
import time

import pytest

import mqtt_bytes as mb
from raw_client import RawClient
from shards import client_id_on_shard
from waiting import wait_until

FLOOD_MESSAGES = 20_000
FLOOD_PAYLOAD = 10 * 1024
FLOOD_SECONDS = 15.0
RSS_LIMIT_KIB = 150 * 1024


def connection_is_refused(broker, client_id: str) -> bool:
    """True if the broker refuses the TCP connection, closes it, or answers
    CONNECT with a non-zero CONNACK."""
    try:
        client = RawClient(broker.host, broker.port)
    except ConnectionRefusedError:
        return True
    try:
        client.send(mb.connect(client_id))
        pkt = client.recv_packet()
        if pkt is None:
            return True
        return pkt.kind == mb.CONNACK and pkt.connack()[1] != 0
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        client.close()


@pytest.mark.ringmq_only  # mosquitto 2.0.11 admitted a 4th client with max_connections 3
def test_connection_beyond_max_connections_is_refused(start_broker, raw, uid):
    limit = 8
    broker = start_broker(flags={"max_connections": limit})
    admitted = [raw(broker, f"{uid}-{n}") for n in range(limit)]
    assert connection_is_refused(broker, f"{uid}-extra")
    for client in admitted:
        client.ping()
    admitted[0].send(mb.disconnect())
    assert admitted[0].wait_closed()
    # The freed slot becomes usable once the broker has processed the close.
    assert wait_until(lambda: not connection_is_refused(broker, f"{uid}-later"), timeout=10)


@pytest.mark.ringmq_only  # mosquitto counts a silent socket against max_connections
def test_silent_sockets_do_not_take_connection_slots(start_broker, raw, uid):
    """A socket that never sends CONNECT stays in the kernel (TCP_DEFER_ACCEPT):
    a port scan or a stuck device cannot fill --max_connections."""
    limit = 2
    broker = start_broker(flags={"max_connections": limit})
    silent = [raw(broker) for _ in range(2 * limit)]
    admitted = [raw(broker, f"{uid}-{n}") for n in range(limit)]
    for client in admitted:
        client.ping()
    assert connection_is_refused(broker, f"{uid}-extra")
    assert len(silent) == 2 * limit


def test_max_inflight_bounds_unacknowledged_deliveries(start_broker, raw, paho, uid):
    inflight, total = 5, 20
    broker = start_broker(flags={"max_inflight": inflight})
    sub = raw(broker, f"{uid}-sub")
    sub.subscribe([(f"{uid}/t", 1)])
    pub = paho(broker)
    for i in range(total):
        pub.publish(f"{uid}/t", str(i), 1)
    window = [sub.expect(mb.PUBLISH) for _ in range(inflight)]
    with pytest.raises(TimeoutError):
        sub.recv_packet(timeout=1.0)  # a sixth unacknowledged message would break the bound
    received = [int(p.payload()) for p in window]
    for _ in range(total):
        if len(received) == total:
            break
        sub.send(mb.puback(window.pop(0).packet_id()))
        window.append(sub.expect(mb.PUBLISH))
        received.append(int(window[-1].payload()))
    assert received == list(range(total))


class RssSampler:
    """Samples the broker's VmRSS on a background thread until stopped."""

    def __init__(self, broker):
        self.broker = broker
        self.peak_kib = broker.rss_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(5)
        return self.peak_kib

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak_kib = max(self.peak_kib, self.broker.rss_kib())


def flood(broker, client_id: str, topic: str, messages: int, seconds: float) -> int:
    """Publish QoS 0 messages as fast as the broker takes them; returns how
    many were sent before the count or the time budget ran out."""
    publisher = RawClient.connected(broker, client_id)
    batch = mb.publish(topic, b"f" * FLOOD_PAYLOAD) * 50
    deadline = time.monotonic() + seconds
    sent = 0
    while sent < messages and time.monotonic() < deadline:
        publisher.send(batch)
        sent += 50
    publisher.ping(timeout=15)
    publisher.close()
    return sent


def test_never_reading_subscriber_does_not_grow_broker_memory(start_broker, raw, paho, uid):
    broker = start_broker(flags={"max_queued_bytes": 1_048_576})
    stuck = raw(broker, rcvbuf=4096)
    stuck.connect(f"{uid}-stuck")
    stuck.subscribe([(f"{uid}/flood", 0)])
    healthy = paho(broker)
    healthy.subscribe(f"{uid}/healthy", 1)
    sampler = RssSampler(broker)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        flooding = pool.submit(flood, broker, f"{uid}-flood", f"{uid}/flood",
                               FLOOD_MESSAGES, FLOOD_SECONDS)
        try:
            side = paho(broker)
            for i in range(5):
                side.publish(f"{uid}/healthy", str(i), 1, timeout=15)
            got = [m.payload for m in healthy.expect(5, timeout=15)]
            assert got == [b"0", b"1", b"2", b"3", b"4"]
        finally:
            sent = flooding.result(timeout=FLOOD_SECONDS + 20)
            peak = sampler.stop()
    assert sent > 0
    assert peak < RSS_LIMIT_KIB, f"broker VmRSS peaked at {peak // 1024} MiB after {sent} messages"


@pytest.mark.ringmq_only
def test_dropped_messages_are_counted_in_sys(start_broker, raw, paho, uid):
    broker = start_broker(flags={"max_queued_bytes": 65_536, "sys_interval": 1})
    stuck = raw(broker, rcvbuf=4096)
    stuck.connect(f"{uid}-stuck")
    stuck.subscribe([(f"{uid}/flood", 0)])
    flood(broker, f"{uid}-flood", f"{uid}/flood", 2_000, FLOOD_SECONDS)
    watcher = paho(broker)
    watcher.subscribe("$SYS/broker/messages/dropped", 0)
    for _ in range(20):
        value = int(watcher.expect(timeout=10)[0].payload)
        if value > 0:
            return
    raise AssertionError("$SYS/broker/messages/dropped stayed 0 after overflowing a queue")


@pytest.mark.ringmq_only
def test_topics_deeper_than_max_topic_levels_are_refused(start_broker, raw, paho, uid):
    broker = start_broker({"max_topic_levels": 8})
    deep = "/".join([uid] + ["l"] * 8)  # 9 levels
    ok = "/".join([uid] + ["l"] * 7)    # 8 levels

    subscriber = raw(broker, f"{uid}-sub")
    assert subscriber.subscribe([(deep, 1), (ok, 1)]) == [0x80, 1]

    deep_publisher = raw(broker, f"{uid}-deep")
    assert deep_publisher.is_closed_after(mb.publish(deep, b"x", qos=1, packet_id=1))

    healthy = raw(broker, f"{uid}-healthy")
    healthy.publish_qos1(ok, b"fine")
    assert subscriber.recv_publish_acked().payload() == b"fine"


@pytest.mark.ringmq_only
def test_full_cross_shard_queue_slows_publishers_without_losing_qos1(start_broker, raw, uid):
    """With 4-slot shard-to-shard queues every burst overflows them: the publishing shard backs
    off (backlog, then it stops reading) instead of dropping, and QoS 1 from publishers on two
    shards reaches a subscriber on a third complete and, per publisher, in order."""
    broker = start_broker({"cross_shard_queue_size": 4})
    topic = f"{uid}/congested"
    subscriber = raw(broker, client_id_on_shard(f"{uid}-sub", 2, 4))
    assert subscriber.subscribe([(topic, 1)]) == [1]
    publishers = [raw(broker, client_id_on_shard(f"{uid}-pub{shard}", shard, 4)) for shard in (0, 1)]
    per_publisher, batch = 2000, 200
    next_expected = {"0": 0, "1": 0}
    for start in range(0, per_publisher, batch):
        for index, publisher in enumerate(publishers):
            publisher.send(b"".join(
                mb.publish(topic, f"{index}:{n}".encode(), qos=1, packet_id=1 + n)
                for n in range(start, start + batch)))
        for publisher in publishers:
            for _ in range(batch):
                publisher.expect(mb.PUBACK)
        # Take this round's messages before the next, so the subscriber's own queue never overflows.
        for _ in range(batch * len(publishers)):
            index, n = subscriber.recv_publish_acked().payload().decode().split(":")
            assert int(n) == next_expected[index], f"publisher {index}"
            next_expected[index] += 1
    assert next_expected == {"0": per_publisher, "1": per_publisher}
