"""PUBLISH / SUBSCRIBE end to end: QoS downgrade, wildcards, overlaps,
unsubscribe, payload shapes (MQTT 3.1.1 sections 3.3, 3.8, 4.7)."""

import pytest

import mqtt_bytes as mb


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Reference matcher for MQTT 3.1.1 section 4.7 (no $ topics here)."""
    f_levels, t_levels = topic_filter.split("/"), topic.split("/")
    for i, level in enumerate(f_levels):
        if level == "#":
            return True
        if i >= len(t_levels):
            return False
        if level != "+" and level != t_levels[i]:
            return False
    return len(f_levels) == len(t_levels)


@pytest.mark.parametrize("pub_qos", [0, 1, 2])
@pytest.mark.parametrize("sub_qos", [0, 1, 2])
def test_delivered_qos_is_min_of_publish_and_subscription(broker, paho, uid, pub_qos, sub_qos):
    sub = paho(broker)
    assert sub.subscribe(f"{uid}/q", sub_qos) == [sub_qos]
    pub = paho(broker)
    pub.publish(f"{uid}/q", b"payload", pub_qos)
    got = sub.expect()[0]
    assert (got.topic, got.payload, got.qos, got.retain) == (
        f"{uid}/q", b"payload", min(pub_qos, sub_qos), False)


@pytest.mark.parametrize("qos", [1, 2])
def test_raw_delivery_has_packet_id_and_clear_flags(broker, raw, paho, uid, qos):
    sub = raw(broker, f"{uid}-sub")
    assert sub.subscribe([(f"{uid}/raw", qos)]) == [qos]
    paho(broker).publish(f"{uid}/raw", b"abc", qos)
    got = sub.recv_publish_acked()
    assert (got.topic(), got.payload(), got.qos, got.dup, got.retain) == (
        f"{uid}/raw", b"abc", qos, False, False)
    assert got.packet_id() != 0


def test_suback_grants_each_requested_qos(broker, raw, uid):
    client = raw(broker, f"{uid}-s")
    codes = client.subscribe([(f"{uid}/a", 0), (f"{uid}/b", 1), (f"{uid}/c", 2)])
    assert codes == [0, 1, 2]


def test_subscribe_with_qos_3_closes_connection(broker, raw, uid):
    client = raw(broker, f"{uid}-q3")
    assert client.is_closed_after(mb.subscribe(1, [(f"{uid}/x", 3)]))


@pytest.mark.parametrize("bad_filter", ["a/#/b", "a/b#", "a+/b", "a/+b"])
def test_invalid_topic_filter_closes_connection(broker, raw, paho, uid, bad_filter):
    # MQTT 3.1.1 has no SUBACK failure code for a malformed filter: closing is required.
    client = raw(broker, f"{uid}-bad")
    assert client.is_closed_after(mb.subscribe(1, [(f"{uid}/{bad_filter}", 0)]))
    healthy = paho(broker)
    healthy.subscribe(f"{uid}/ok", 1)
    healthy.publish(f"{uid}/ok", b"alive", 1)
    assert healthy.expect()[0].payload == b"alive"


def test_subscribe_with_no_filters_closes_connection(broker, raw, uid):
    client = raw(broker, f"{uid}-empty")
    assert client.is_closed_after(mb.packet((mb.SUBSCRIBE << 4) | 0x02, b"\x00\x01"))


def test_wildcard_matching_end_to_end(broker, paho, uid):
    p = uid
    filters = [f"{p}/+/c", f"{p}/#", f"{p}/a/#", f"{p}/+", f"{p}/a/c", f"{p}/+/+/d",
               f"{p}/a/+", f"{p}/a/+/#", f"{p}/b"]
    topics = [f"{p}/a/c", f"{p}/b/c", f"{p}/a", f"{p}/a/b/d", f"{p}/a/c/d", p, f"{p}//c",
              f"{p}/a/", f"{p}/b", f"{p}/b/x/d/e"]
    marker = f"{uid}-end"
    subscribers = {}
    for topic_filter in filters:
        sub = paho(broker)
        sub.subscribe(topic_filter, 1)
        sub.subscribe(marker, 1)
        subscribers[topic_filter] = sub
    pub = paho(broker)
    for topic in topics:
        pub.publish(topic, topic.encode(), 1)
    pub.publish(marker, b"end", 1)
    for topic_filter, sub in subscribers.items():
        got = [m.topic for m in sub.expect_until(marker)][:-1]
        expected = [t for t in topics if topic_matches(topic_filter, t)]
        assert got == expected, f"filter {topic_filter!r}"


def receive_until_marker(sub, marker_topic: str) -> list[mb.Packet]:
    """PUBLISHes before the one on marker_topic (acked as they come)."""
    copies = []
    for _ in range(10):
        pkt = sub.recv_publish_acked()
        if pkt.topic() == marker_topic:
            return copies
        copies.append(pkt)
    raise AssertionError(f"marker never arrived; got {[c.topic() for c in copies]}")


def publish_to_overlapping_subscriptions(broker, raw, paho, uid, pub_qos) -> list[mb.Packet]:
    sub = raw(broker, f"{uid}-ovl")
    assert sub.subscribe([(f"{uid}/#", 0), (f"{uid}/+/x", 2), (f"{uid}/a/x", 1)]) == [0, 2, 1]
    pub = paho(broker)
    pub.publish(f"{uid}/a/x", b"overlap", pub_qos)
    pub.publish(f"{uid}/marker", b"m", 1)
    return receive_until_marker(sub, f"{uid}/marker")


@pytest.mark.parametrize("pub_qos", [0, 1, 2])
def test_overlapping_subscriptions_deliver_one_to_three_copies(broker, raw, paho, uid, pub_qos):
    copies = publish_to_overlapping_subscriptions(broker, raw, paho, uid, pub_qos)
    # 3.1.1 allows one copy, or one copy per matching subscription.
    assert 1 <= len(copies) <= 3
    assert all(c.payload() == b"overlap" and c.qos <= pub_qos for c in copies)


@pytest.mark.ringmq_only  # mosquitto 2.0.11 sends one copy at the QoS of one subscription
@pytest.mark.parametrize("pub_qos", [0, 1, 2])
def test_overlapping_subscriptions_deliver_at_max_qos(broker, raw, paho, uid, pub_qos):
    copies = publish_to_overlapping_subscriptions(broker, raw, paho, uid, pub_qos)
    # MQTT-3.3.5-1: respect the maximum QoS of all matching subscriptions.
    assert max(c.qos for c in copies) == min(pub_qos, 2)


def test_unsubscribe_stops_delivery(broker, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/keep", 1)
    sub.subscribe(f"{uid}/drop", 1)
    sub.unsubscribe(f"{uid}/drop")
    pub = paho(broker)
    pub.publish(f"{uid}/drop", b"gone", 1)
    pub.publish(f"{uid}/keep", b"kept", 1)
    assert [m.payload for m in sub.expect_until(f"{uid}/keep")] == [b"kept"]


def test_resubscribe_replaces_qos(broker, paho, uid):
    sub = paho(broker)
    assert sub.subscribe(f"{uid}/re", 2) == [2]
    assert sub.subscribe(f"{uid}/re", 0) == [0]
    paho(broker).publish(f"{uid}/re", b"once", 2)
    got = sub.expect_until(f"{uid}/re")
    assert [(m.payload, m.qos) for m in got] == [(b"once", 0)]


def test_client_receives_its_own_publish(broker, paho, uid):
    client = paho(broker)
    client.subscribe(f"{uid}/self", 1)
    client.publish(f"{uid}/self", b"echo", 1)
    assert client.expect()[0].payload == b"echo"


@pytest.mark.parametrize("payload", [b"", bytes(range(256)), b"\x00" * 300_000],
                         ids=["empty", "all-bytes", "300KB"])
def test_payload_delivered_byte_exact(broker, paho, uid, payload):
    sub = paho(broker)
    sub.subscribe(f"{uid}/p", 1)
    paho(broker).publish(f"{uid}/p", payload, 1)
    assert sub.expect()[0].payload == payload


def test_fan_out_to_many_subscribers(broker, paho, uid):
    subscribers = [paho(broker) for _ in range(20)]
    for sub in subscribers:
        sub.subscribe(f"{uid}/fan", 1)
    pub = paho(broker)
    for i in range(5):
        pub.publish(f"{uid}/fan", str(i).encode(), 1)
    for sub in subscribers:
        assert [m.payload for m in sub.expect(5)] == [b"0", b"1", b"2", b"3", b"4"]
