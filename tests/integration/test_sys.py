"""$SYS/broker/... statistics, published retained every --sys_interval
seconds, and their exclusion from wildcards starting at the first level
(MQTT-4.7.2-1)."""

import queue
import re
import time

import pytest

BROKER_FLAGS = {"sys_interval": 1}

NUMERIC_TOPICS = [
    "$SYS/broker/uptime",
    "$SYS/broker/clients/connected",
    "$SYS/broker/messages/received",
    "$SYS/broker/messages/sent",
    "$SYS/broker/bytes/received",
    "$SYS/broker/bytes/sent",
    "$SYS/broker/messages/dropped",
    "$SYS/broker/messages/dropped/qos0_offline",
    "$SYS/broker/messages/dropped/qos0_output_full",
    "$SYS/broker/messages/dropped/offline_queue",
    "$SYS/broker/messages/dropped/slow_subscriber",
    "$SYS/broker/messages/dropped/too_large_for_client",
    "$SYS/broker/messages/dropped/queue_full",
    "$SYS/broker/backpressure/publisher_holds",
    "$SYS/broker/backpressure/slow_subscriber_disconnects",
    "$SYS/broker/subscriptions/count",
    "$SYS/broker/retained messages/count",
    "$SYS/broker/connections/refused/max_connections",
    "$SYS/broker/connections/refused/per_ip",
    "$SYS/broker/connections/refused/rate",
    "$SYS/broker/sessions/offline",
    "$SYS/broker/sessions/refused",
    "$SYS/broker/limits/incomplete_packet_timeouts",
    "$SYS/broker/limits/keep_alive_refused",
    "$SYS/broker/limits/awaiting_rel_exceeded",
    "$SYS/broker/limits/publish_rate_pauses",
    "$SYS/broker/limits/memory_pauses",
    "$SYS/broker/limits/memory_refused_connections",
    "$SYS/broker/clients/refused",
    "$SYS/broker/publish/denied",
    "$SYS/broker/subscribe/denied",
]


class SysWatcher:
    """Latest value of each $SYS/broker topic, fed by a Paho subscriber.
    Retained copies are skipped: they may predate the test and so make a
    misleading baseline; live updates follow every --sys_interval."""

    def __init__(self, client):
        self.client = client
        self.latest: dict[str, str] = {}
        client.subscribe("$SYS/broker/#", 0)

    def wait_for(self, topic: str, predicate, timeout: float = 10.0) -> str:
        """Process updates until topic's value satisfies predicate."""
        deadline = time.monotonic() + timeout
        value = self.latest.get(topic)
        for _ in range(100_000):
            if value is not None and predicate(value):
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                msg = self.client.messages.get(timeout=remaining)
            except queue.Empty:
                break
            if not msg.retain:
                self.latest[msg.topic] = msg.payload.decode("utf-8", errors="replace")
                value = self.latest.get(topic)
        raise AssertionError(f"{topic} never satisfied the condition; last value {value!r}")

    def number(self, topic: str) -> int:
        return int(self.wait_for(topic, lambda v: v.isdigit()))


@pytest.mark.ringmq_only
def test_every_sys_topic_is_published_as_decimal_ascii(broker, paho):
    watcher = SysWatcher(paho(broker))
    for topic in NUMERIC_TOPICS:
        value = watcher.wait_for(topic, lambda v: True)
        assert re.fullmatch(r"\d+", value), f"{topic} = {value!r} is not decimal ASCII"
    assert watcher.wait_for("$SYS/broker/version", lambda v: True).strip()


def test_sys_version_is_retained_for_new_subscribers(broker, paho):
    client = paho(broker)
    client.subscribe("$SYS/broker/version", 0)
    got = client.expect()[0]
    assert got.retain and got.payload


def test_wildcards_at_first_level_do_not_match_sys_topics(broker, paho):
    hash_sub = paho(broker)
    hash_sub.subscribe("#", 0)
    plus_sub = paho(broker)
    plus_sub.subscribe("+/broker/#", 0)
    watcher = SysWatcher(paho(broker))
    # Two uptime updates after the wildcard subscriptions: at least one full
    # publishing round has happened while they were in place.
    first = watcher.wait_for("$SYS/broker/uptime", lambda v: True)
    watcher.wait_for("$SYS/broker/uptime", lambda v: v != first)
    leaked = [m.topic for m in hash_sub.drain() + plus_sub.drain() if m.topic.startswith("$")]
    assert leaked == []


@pytest.mark.ringmq_only
def test_uptime_increases(broker, paho):
    watcher = SysWatcher(paho(broker))
    first = watcher.number("$SYS/broker/uptime")
    watcher.wait_for("$SYS/broker/uptime", lambda v: v.isdigit() and int(v) > first)


@pytest.mark.ringmq_only
def test_clients_connected_counts_new_clients(broker, paho):
    watcher = SysWatcher(paho(broker))
    # The first value may be a retained one from before the watcher connected.
    before = int(watcher.wait_for("$SYS/broker/clients/connected", lambda v: int(v) >= 1))
    extra = [paho(broker) for _ in range(3)]
    peak = int(watcher.wait_for("$SYS/broker/clients/connected",
                                lambda v: int(v) >= before + 3))
    for client in extra:
        client.disconnect()
    watcher.wait_for("$SYS/broker/clients/connected", lambda v: int(v) <= peak - 3)


@pytest.mark.ringmq_only
def test_message_and_byte_counters_grow_with_traffic(broker, paho, uid):
    watcher = SysWatcher(paho(broker))
    counters = ["$SYS/broker/messages/received", "$SYS/broker/messages/sent",
                "$SYS/broker/bytes/received", "$SYS/broker/bytes/sent"]
    before = {topic: watcher.number(topic) for topic in counters}
    sub = paho(broker)
    sub.subscribe(f"{uid}/t", 1)
    pub = paho(broker)
    for i in range(10):
        pub.publish(f"{uid}/t", b"x" * 1000, 1)
    sub.expect(10)
    for topic in counters:
        minimum = before[topic] + (10 if "messages" in topic else 10_000)
        watcher.wait_for(topic, lambda v, m=minimum: int(v) >= m)


@pytest.mark.ringmq_only
def test_subscription_and_retained_counts(broker, paho, uid):
    watcher = SysWatcher(paho(broker))
    subs_before = watcher.number("$SYS/broker/subscriptions/count")
    retained_before = watcher.number("$SYS/broker/retained messages/count")
    client = paho(broker)
    for n in range(3):
        client.subscribe(f"{uid}/s{n}", 0)
        client.publish(f"{uid}/r{n}", b"kept", 1, retain=True)
    watcher.wait_for("$SYS/broker/subscriptions/count", lambda v: int(v) >= subs_before + 3)
    watcher.wait_for("$SYS/broker/retained messages/count",
                     lambda v: int(v) >= retained_before + 3)
    for n in range(3):
        client.publish(f"{uid}/r{n}", b"", 1, retain=True)
    watcher.wait_for("$SYS/broker/retained messages/count", lambda v: int(v) <= retained_before)
