"""Delivery between clients whose home shards differ, for every ordered pair
of the broker's 4 shards (ids picked with the fnv1a_64 % shards rule), with
Paho and the mosquitto command-line clients on either side."""

import itertools

import pytest

import mqtt_bytes as mb
from cli_tools import MosquittoSub, mosquitto_pub
from shards import client_id_on_shard, home_shard

SHARDS = 4
SHARD_PAIRS = list(itertools.product(range(SHARDS), repeat=2))


def pair_id(pair):
    return f"{pair[0]}to{pair[1]}"


def test_client_id_picker_follows_fnv1a_rule():
    # Reference values of FNV-1a 64: "" -> offset basis, "a" -> 0xaf63dc4c8601ec8c.
    assert home_shard("", 4) == 14695981039346656037 % 4
    assert home_shard("a", 7) == 0xAF63DC4C8601EC8C % 7
    for shard in range(SHARDS):
        assert home_shard(client_id_on_shard("x", shard, SHARDS), SHARDS) == shard


@pytest.mark.parametrize("pair", SHARD_PAIRS, ids=pair_id)
def test_paho_publisher_to_mosquitto_sub(broker, paho, uid, pair):
    pub_shard, sub_shard = pair
    topic = f"{uid}/x"
    sub = MosquittoSub(broker, client_id_on_shard(f"{uid}-sub", sub_shard, SHARDS), topic, qos=1)
    sub.wait_subscribed()
    pub = paho(broker, client_id_on_shard(f"{uid}-pub", pub_shard, SHARDS))
    pub.publish(topic, f"from-{pub_shard}", 1)
    assert sub.wait_done() == [f"{topic} from-{pub_shard}"]


@pytest.mark.parametrize("pair", SHARD_PAIRS, ids=pair_id)
def test_mosquitto_pub_to_paho_subscriber(broker, paho, uid, pair):
    pub_shard, sub_shard = pair
    topic = f"{uid}/y"
    sub = paho(broker, client_id_on_shard(f"{uid}-sub", sub_shard, SHARDS))
    sub.subscribe(topic, 2)
    for qos in (0, 1, 2):
        mosquitto_pub(broker, client_id_on_shard(f"{uid}-pub", pub_shard, SHARDS), topic,
                      f"q{qos}", qos=qos)
    got = sub.expect(3)
    assert [(m.payload, m.qos) for m in got] == [(b"q0", 0), (b"q1", 1), (b"q2", 2)]


def test_many_clients_on_all_shards_at_once(broker, paho, uid):
    per_shard, per_publisher = 12, 10
    topic = f"{uid}/all"
    subscribers = []
    for shard in range(SHARDS):
        for n in range(per_shard):
            sub = paho(broker, client_id_on_shard(f"{uid}-s{n}", shard, SHARDS))
            sub.subscribe(topic, 1)
            subscribers.append(sub)
    publishers = [paho(broker, client_id_on_shard(f"{uid}-p", shard, SHARDS))
                  for shard in range(SHARDS)]
    pending = []
    for i in range(per_publisher):
        for shard, pub in enumerate(publishers):
            pending.append(pub.publish_nowait(topic, f"{shard}:{i}", 1))
    for info in pending:
        info.wait_for_publish(10)
        assert info.is_published()
    for sub in subscribers:
        got = [m.payload.decode() for m in sub.expect(SHARDS * per_publisher, timeout=15)]
        for shard in range(SHARDS):
            from_shard = [p for p in got if p.startswith(f"{shard}:")]
            assert from_shard == [f"{shard}:{i}" for i in range(per_publisher)], \
                "each publisher's messages arrive once and in order"


@pytest.mark.parametrize("sub_shard", range(SHARDS))
def test_wildcard_subscriber_hears_publishers_on_every_shard(broker, paho, uid, sub_shard):
    sub = paho(broker, client_id_on_shard(f"{uid}-w", sub_shard, SHARDS))
    sub.subscribe(f"{uid}/+/data", 1)
    for shard in range(SHARDS):
        pub = paho(broker, client_id_on_shard(f"{uid}-p", shard, SHARDS))
        pub.publish(f"{uid}/{shard}/data", str(shard), 1)
    got = sorted(m.payload for m in sub.expect(SHARDS))
    assert got == [str(s).encode() for s in range(SHARDS)]


@pytest.mark.ringmq_only
@pytest.mark.parametrize("pair", [(0, 1), (1, 0), (2, 3), (3, 2)], ids=pair_id)
def test_publish_right_after_suback_reaches_new_subscription(broker, raw, uid, pair):
    """The SUBACK waits until every shard routes the new filter, so a publish sent the moment the
    SUBACK arrives, from a client on another shard, is delivered - every time, not just usually."""
    pub_shard, sub_shard = pair
    publisher = raw(broker, client_id_on_shard(f"{uid}-pub", pub_shard, SHARDS))
    for attempt in range(30):
        topic = f"{uid}/fresh/{attempt}"  # a filter no shard has seen: its route is new every time
        subscriber = raw(broker, client_id_on_shard(f"{uid}-sub{attempt}", sub_shard, SHARDS))
        assert subscriber.subscribe([(topic, 1)]) == [1]
        publisher.publish_qos1(topic, b"now")
        got = subscriber.recv_publish_acked()
        assert got.payload() == b"now", f"attempt {attempt}"
        subscriber.close()


@pytest.mark.ringmq_only
def test_packets_pipelined_after_subscribe_are_answered_after_suback(broker, raw, uid):
    """SUBSCRIBE and PINGREQ sent back to back: the PINGRESP may not overtake the SUBACK."""
    client = raw(broker, client_id_on_shard(f"{uid}-pipe", 1, SHARDS))
    client.send(mb.subscribe(7, [(f"{uid}/pipelined/new", 0)]) + mb.pingreq())
    assert client.expect(mb.SUBACK).packet_id() == 7
    client.expect(mb.PINGRESP)
