"""MQTT 5 subscription options and identifiers, across shards: no local,
retain as published, retain handling 0/1/2, subscription identifiers (several
when several subscriptions match), and 3.1.1 and 5.0 clients exchanging
messages both ways on one broker."""

from __future__ import annotations

from paho.mqtt.packettypes import PacketTypes

from mqtt5_fixtures import paho5  # noqa: F401
from paho5_client import props
from shards import client_id_on_shard


def test_subscription_identifiers_one_per_matching_subscription(broker, paho5, uid):
    sub = paho5(broker, client_id_on_shard(f"{uid}-s", 1, broker.shards))
    sub.subscribe(f"{uid}/room/+/temp", subscription_id=11)
    sub.subscribe(f"{uid}/room/#", subscription_id=2000)
    sub.subscribe(f"{uid}/room/kitchen/temp")  # no identifier
    pub = paho5(broker, client_id_on_shard(f"{uid}-p", 3, broker.shards))
    pub.publish(f"{uid}/room/kitchen/temp", b"19")
    pub.publish(f"{uid}/room/kitchen/humidity", b"40")
    first, second = sub.expect(2)
    assert first.payload == b"19"
    assert sorted(first.prop("SubscriptionIdentifier")) == [11, 2000]
    assert second.prop("SubscriptionIdentifier") == [2000]
    sub.expect_none()  # one copy per message, however many filters matched


def test_no_local(broker, paho5, uid):
    client = paho5(broker)
    client.subscribe(f"{uid}/chat", no_local=True)
    other = paho5(broker)
    other.subscribe(f"{uid}/chat")
    client.publish(f"{uid}/chat", b"mine")
    assert other.expect()[0].payload == b"mine"
    client.expect_none()


def test_retain_as_published(broker, paho5, uid):
    keeps = paho5(broker)
    keeps.subscribe(f"{uid}/t", retain_as_published=True)
    clears = paho5(broker)
    clears.subscribe(f"{uid}/t")
    pub = paho5(broker)
    pub.publish(f"{uid}/t", b"r", retain=True)
    assert keeps.expect()[0].retain is True
    assert clears.expect()[0].retain is False
    pub.publish(f"{uid}/t", b"", retain=True)  # clear the retained message


def test_retain_handling(broker, paho5, uid):
    pub = paho5(broker)
    pub.publish(f"{uid}/state", b"on", retain=True, qos=1)
    always = paho5(broker)
    always.subscribe(f"{uid}/state", retain_handling=0)
    assert always.expect()[0].payload == b"on"
    always.subscribe(f"{uid}/state", retain_handling=0)  # again on resubscribe
    assert always.expect()[0].payload == b"on"
    if_new = paho5(broker)
    if_new.subscribe(f"{uid}/state", retain_handling=1)
    assert if_new.expect()[0].payload == b"on"
    if_new.subscribe(f"{uid}/state", retain_handling=1)  # existing subscription: nothing
    never = paho5(broker)
    never.subscribe(f"{uid}/state", retain_handling=2)
    if_new.expect_none()
    never.expect_none(wait=0.1)
    pub.publish(f"{uid}/state", b"", retain=True, qos=1)


def test_311_and_5_clients_exchange_both_ways(broker, paho, paho5, uid):
    old = paho(broker, client_id_on_shard(f"{uid}-311", 0, broker.shards))
    new = paho5(broker, client_id_on_shard(f"{uid}-5", 2, broker.shards))
    old.subscribe(f"{uid}/to311", qos=2)
    new.subscribe(f"{uid}/to5", qos=2)
    for qos in (0, 1, 2):
        new.publish(f"{uid}/to311", f"from5-{qos}", qos=qos,
                    properties=props(PacketTypes.PUBLISH, UserProperty=[("k", "v")]))
        old.publish(f"{uid}/to5", f"from311-{qos}", qos=qos)
    assert [(m.payload, m.qos) for m in old.expect(3)] == [(b"from5-0", 0), (b"from5-1", 1), (b"from5-2", 2)]
    got = new.expect(3)
    assert [(m.payload, m.qos) for m in got] == [(b"from311-0", 0), (b"from311-1", 1), (b"from311-2", 2)]
    assert all(m.prop("UserProperty") is None for m in got)
