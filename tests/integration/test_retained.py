"""Retained messages (MQTT 3.1.1 section 3.3.1.3): set, replace, clear, and
delivery of the latest retained message per topic to new subscriptions on
every shard."""

import pytest

from shards import client_id_on_shard

SHARDS = 4


def retained_then_live(broker, paho, sub, topic_filter: str, live_topic: str, qos: int = 1):
    """Subscribe, then publish one live message on live_topic (which must
    match topic_filter); return what arrived before it."""
    sub.subscribe(topic_filter, qos)
    paho(broker).publish(live_topic, b"live", 1)
    return sub.expect_until(live_topic)[:-1]


def test_new_subscriber_gets_retained_with_retain_flag(broker, paho, uid):
    paho(broker).publish(f"{uid}/r", b"kept", 1, retain=True)
    sub = paho(broker)
    sub.subscribe(f"{uid}/r", 1)
    got = sub.expect()[0]
    assert (got.topic, got.payload, got.retain, got.qos) == (f"{uid}/r", b"kept", True, 1)


def test_live_delivery_to_existing_subscriber_clears_retain_flag(broker, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/r", 1)
    paho(broker).publish(f"{uid}/r", b"live", 1, retain=True)
    got = sub.expect()[0]
    assert (got.payload, got.retain) == (b"live", False)


def test_replaced_retained_message_only_latest_is_delivered(broker, paho, uid):
    pub = paho(broker)
    for version in (b"v1", b"v2", b"v3"):
        pub.publish(f"{uid}/r", version, 1, retain=True)
    got = retained_then_live(broker, paho, paho(broker), f"{uid}/#", f"{uid}/live")
    assert [(m.topic, m.payload, m.retain) for m in got] == [(f"{uid}/r", b"v3", True)]


def test_empty_retained_payload_clears_and_is_forwarded(broker, paho, uid):
    existing = paho(broker)
    existing.subscribe(f"{uid}/r", 1)
    pub = paho(broker)
    pub.publish(f"{uid}/r", b"soon-gone", 1, retain=True)
    pub.publish(f"{uid}/r", b"", 1, retain=True)
    assert [m.payload for m in existing.expect(2)] == [b"soon-gone", b""]
    got = retained_then_live(broker, paho, paho(broker), f"{uid}/#", f"{uid}/live")
    assert got == [], "a cleared retained message must not be delivered"


def test_non_retained_publish_does_not_replace_retained(broker, paho, uid):
    pub = paho(broker)
    pub.publish(f"{uid}/r", b"retained", 1, retain=True)
    pub.publish(f"{uid}/r", b"transient", 1, retain=False)
    got = retained_then_live(broker, paho, paho(broker), f"{uid}/#", f"{uid}/live")
    assert [m.payload for m in got] == [b"retained"]


@pytest.mark.parametrize("stored_qos,sub_qos", [(2, 1), (0, 2), (1, 0), (2, 2)])
def test_retained_delivered_at_min_of_stored_and_subscription_qos(broker, paho, uid,
                                                                  stored_qos, sub_qos):
    paho(broker).publish(f"{uid}/r", b"q", stored_qos, retain=True)
    sub = paho(broker)
    sub.subscribe(f"{uid}/r", sub_qos)
    got = sub.expect()[0]
    assert (got.qos, got.retain) == (min(stored_qos, sub_qos), True)


@pytest.mark.parametrize("sub_shard", range(SHARDS))
def test_new_subscription_on_any_shard_gets_every_matching_retained(broker, paho, uid, sub_shard):
    topics = [f"{uid}/s{shard}/t" for shard in range(SHARDS)] + [f"{uid}/deep/a/b"]
    for n, topic in enumerate(topics):
        pub = paho(broker, client_id_on_shard(f"{uid}-p{n}", n % SHARDS, SHARDS))
        pub.publish(topic, b"old", 1, retain=True)
        pub.publish(topic, f"latest-{n}", 1, retain=True)
    sub = paho(broker, client_id_on_shard(f"{uid}-sub", sub_shard, SHARDS))
    got = retained_then_live(broker, paho, sub, f"{uid}/#", f"{uid}/live")
    assert sorted((m.topic, m.payload, m.retain) for m in got) == sorted(
        (topic, f"latest-{n}".encode(), True) for n, topic in enumerate(topics))


def test_wildcard_subscription_selects_matching_retained(broker, paho, uid):
    pub = paho(broker)
    for topic in (f"{uid}/a/x", f"{uid}/b/x", f"{uid}/a/y", f"{uid}/a/x/z"):
        pub.publish(topic, topic, 1, retain=True)
    got = retained_then_live(broker, paho, paho(broker), f"{uid}/+/x", f"{uid}/live/x")
    assert sorted(m.topic for m in got) == [f"{uid}/a/x", f"{uid}/b/x"]


def test_retained_survives_publisher_disconnect(broker, paho, uid):
    pub = paho(broker)
    pub.publish(f"{uid}/r", b"after-leave", 1, retain=True)
    pub.disconnect()
    sub = paho(broker)
    sub.subscribe(f"{uid}/r", 1)
    assert sub.expect()[0].payload == b"after-leave"
