"""QoS 2 exactly-once delivery (MQTT 3.1.1 section 4.3.3), including
publisher retransmissions with the DUP flag."""

import mqtt_bytes as mb
from shards import client_id_on_shard

SHARDS = 4


def test_500_qos2_messages_exactly_once_in_order(broker, paho, uid):
    count = 500
    topic = f"{uid}/q2"
    sub = paho(broker, client_id_on_shard(f"{uid}-sub", 3, SHARDS))
    assert sub.subscribe(topic, 2) == [2]
    pub = paho(broker, client_id_on_shard(f"{uid}-pub", 0, SHARDS))
    pending = [pub.publish_nowait(topic, str(i), 2) for i in range(count)]
    for info in pending:
        info.wait_for_publish(15)
        assert info.is_published()
    got = sub.expect(count, timeout=15)
    assert [m.payload for m in got] == [str(i).encode() for i in range(count)]
    assert all(m.qos == 2 for m in got)
    pub.publish(f"{topic}/end", b"", 0)
    sub.subscribe(f"{topic}/end", 0)
    pub.publish(f"{topic}/end", b"end", 0)
    assert [m.topic for m in sub.expect_until(f"{topic}/end")] == [f"{topic}/end"], \
        "no extra copies after the 500"


def start_qos2(publisher, topic: str, payload: bytes, packet_id: int) -> bytes:
    message = mb.publish(topic, payload, qos=2, packet_id=packet_id)
    publisher.send(message)
    assert publisher.expect(mb.PUBREC).packet_id() == packet_id
    return message


def finish_qos2(publisher, packet_id: int) -> None:
    publisher.send(mb.pubrel(packet_id))
    assert publisher.expect(mb.PUBCOMP).packet_id() == packet_id


def test_dup_publish_before_pubrel_is_delivered_once(broker, raw, paho, uid):
    topic = f"{uid}/dup"
    sub = paho(broker)
    sub.subscribe(topic, 2)
    pub = raw(broker, f"{uid}-raw")
    start_qos2(pub, topic, b"once", 10)
    pub.send(mb.publish(topic, b"once", qos=2, packet_id=10, dup=True))
    assert pub.expect(mb.PUBREC).packet_id() == 10, "a re-sent PUBLISH is acknowledged again"
    finish_qos2(pub, 10)
    pub.publish_qos2(topic, b"marker")
    assert [m.payload for m in sub.expect_until(topic, timeout=10)] == [b"once"]
    assert [m.payload for m in sub.expect(1)] == [b"marker"]


def test_back_to_back_retransmissions_are_delivered_once(broker, raw, paho, uid):
    topic = f"{uid}/burst"
    sub = paho(broker)
    sub.subscribe(topic, 2)
    pub = raw(broker, f"{uid}-raw")
    pub.send(mb.publish(topic, b"once", qos=2, packet_id=77)
             + mb.publish(topic, b"once", qos=2, packet_id=77, dup=True))
    for _ in range(2):
        assert pub.expect(mb.PUBREC).packet_id() == 77
    finish_qos2(pub, 77)
    pub.publish_qos2(topic, b"marker")
    assert [m.payload for m in sub.expect(2)] == [b"once", b"marker"]


def test_repeated_pubrel_gets_pubcomp(broker, raw, uid):
    pub = raw(broker, f"{uid}-raw")
    start_qos2(pub, f"{uid}/rel", b"x", 5)
    finish_qos2(pub, 5)
    finish_qos2(pub, 5)


def test_packet_id_reused_after_pubcomp_is_a_new_message(broker, raw, paho, uid):
    topic = f"{uid}/reuse"
    sub = paho(broker)
    sub.subscribe(topic, 2)
    pub = raw(broker, f"{uid}-raw")
    for payload in (b"first", b"second"):
        start_qos2(pub, topic, payload, 42)
        finish_qos2(pub, 42)
    assert [m.payload for m in sub.expect(2)] == [b"first", b"second"]


def test_raw_subscriber_completes_outbound_qos2_handshake(broker, raw, paho, uid):
    topic = f"{uid}/out"
    sub = raw(broker, f"{uid}-sub")
    assert sub.subscribe([(topic, 2)]) == [2]
    pub = paho(broker)
    for payload in (b"a", b"b", b"c"):
        pub.publish(topic, payload, 2)
    got = [sub.recv_publish_acked() for _ in range(3)]
    assert [(p.payload(), p.qos, p.dup) for p in got] == [(b"a", 2, False), (b"b", 2, False),
                                                          (b"c", 2, False)]
    assert len({p.packet_id() for p in got}) == 3, "in-flight messages use distinct packet ids"
