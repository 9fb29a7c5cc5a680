"""Will messages (MQTT 3.1.1 section 3.1.2.5): published on abnormal loss of
the connection (socket closed, protocol error), never after DISCONNECT."""

import pytest

import mqtt_bytes as mb
from shards import client_id_on_shard

SHARDS = 4


def will_client(broker, raw, client_id: str, topic: str, payload: bytes = b"gone",
                qos: int = 1, retain: bool = False):
    return raw(broker, client_id, will=mb.Will(topic, payload, qos, retain))


def test_will_published_when_socket_closes_without_disconnect(broker, raw, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/will", 2)
    client = will_client(broker, raw, f"{uid}-w", f"{uid}/will", b"lost", qos=1)
    client.close()
    got = sub.expect()[0]
    assert (got.topic, got.payload, got.qos, got.retain) == (f"{uid}/will", b"lost", 1, False)


def test_no_will_after_disconnect(broker, raw, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/will", 1)
    client = will_client(broker, raw, f"{uid}-w", f"{uid}/will")
    client.send(mb.disconnect())
    assert client.wait_closed(), "broker closes the connection after DISCONNECT"
    paho(broker).publish(f"{uid}/will", b"marker", 1)
    assert [m.payload for m in sub.expect_until(f"{uid}/will")] == [b"marker"]


def test_no_will_after_paho_clean_disconnect(broker, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/will", 1)
    leaving = paho(broker, will=(f"{uid}/will", b"gone", 1, False))
    leaving.disconnect()
    paho(broker).publish(f"{uid}/will", b"marker", 1)
    assert [m.payload for m in sub.expect_until(f"{uid}/will")] == [b"marker"]


@pytest.mark.parametrize("bad_packet", [
    mb.publish("x", b"", qos=3, packet_id=1),
    mb.publish("a/+", b"wild"),
    # mosquitto 2.0.11 drops the will when the protocol error is a second CONNECT.
    pytest.param(mb.connect("again"), marks=pytest.mark.ringmq_only),
], ids=["qos3", "wildcard-topic", "second-connect"])
def test_will_published_on_protocol_error(broker, raw, paho, uid, bad_packet):
    sub = paho(broker)
    sub.subscribe(f"{uid}/will", 1)
    client = will_client(broker, raw, f"{uid}-w", f"{uid}/will", b"violated")
    assert client.is_closed_after(bad_packet)
    assert sub.expect()[0].payload == b"violated"


def test_retained_will_is_kept_for_new_subscribers(broker, raw, paho, uid):
    client = will_client(broker, raw, f"{uid}-w", f"{uid}/status", b"offline", retain=True)
    client.close()
    watcher = paho(broker)
    watcher.subscribe(f"{uid}/status", 1)
    got = watcher.expect()[0]
    assert (got.payload, got.retain) == (b"offline", True)


def test_paho_dropped_connection_publishes_will(broker, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/will", 2)
    dying = paho(broker, will=(f"{uid}/will", b"paho-gone", 2, False))
    dying.drop()
    got = sub.expect()[0]
    assert (got.payload, got.qos) == (b"paho-gone", 2)


@pytest.mark.parametrize("will_shard,sub_shard", [(0, 3), (3, 0), (1, 2), (2, 2)])
def test_will_crosses_shards(broker, raw, paho, uid, will_shard, sub_shard):
    sub = paho(broker, client_id_on_shard(f"{uid}-sub", sub_shard, SHARDS))
    sub.subscribe(f"{uid}/will", 1)
    client = will_client(broker, raw, client_id_on_shard(f"{uid}-w", will_shard, SHARDS),
                         f"{uid}/will", f"from-{will_shard}".encode())
    client.close()
    assert sub.expect()[0].payload == f"from-{will_shard}".encode()
