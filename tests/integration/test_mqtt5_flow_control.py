"""MQTT 5 flow control and size limits: the broker's Receive Maximum enforced
on incoming QoS 2 (0x93), the client's Receive Maximum honoured outbound, the
client's Maximum Packet Size honoured outbound (too-large messages dropped for
that client only; reason strings left out of acks that would not fit), and
Request Problem Information 0."""

from __future__ import annotations

import pytest
from paho.mqtt.packettypes import PacketTypes

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5, raw5  # noqa: F401
from paho5_client import props

pytestmark = pytest.mark.ringmq_only


def test_inbound_qos2_beyond_receive_maximum_is_0x93(start_broker, raw5, uid):
    broker = start_broker(flags={"max_inflight": 3})
    client = raw5(broker, uid)
    assert client.props[m5.RECEIVE_MAXIMUM] == 3
    for packet_id in (1, 2, 3):
        client.send(m5.publish(f"{uid}/t", b"x", qos=2, packet_id=packet_id))
        assert client.expect(mb.PUBREC).packet_id() == packet_id
    # A retransmission of a pending id does not count twice.
    client.send(m5.publish(f"{uid}/t", b"x", qos=2, packet_id=3))
    assert client.expect(mb.PUBREC).packet_id() == 3
    # Releasing one makes room for one more.
    client.send(m5.ack(mb.PUBREL, 1))
    assert client.expect(mb.PUBCOMP).packet_id() == 1
    client.send(m5.publish(f"{uid}/t", b"x", qos=2, packet_id=4))
    assert client.expect(mb.PUBREC).packet_id() == 4
    client.send(m5.publish(f"{uid}/t", b"x", qos=2, packet_id=5))
    assert client.expect_disconnect()[0] == 0x93


def test_outbound_respects_client_receive_maximum(broker, paho5, raw5, uid):
    sub = raw5(broker, uid, props=[(m5.RECEIVE_MAXIMUM, 2)])
    sub.subscribe([(f"{uid}/t", 1)])
    pub = paho5(broker)
    for n in range(5):
        pub.publish(f"{uid}/t", str(n), qos=1)
    first = [sub.expect_publish() for _ in range(2)]
    with pytest.raises(TimeoutError):
        sub.client.recv_packet(timeout=0.5)
    got = [m.payload for m in first]
    for _ in range(3):
        sub.send(mb.puback(first.pop(0).packet_id))
        first.append(sub.expect_publish())
        got.append(first[-1].payload)
    assert got == [b"0", b"1", b"2", b"3", b"4"]


def test_message_too_large_for_client_is_dropped_for_it_only(broker, paho5, raw5, uid):
    small = raw5(broker, f"{uid}-small", props=[(m5.MAXIMUM_PACKET_SIZE, 200)])
    small.subscribe([(f"{uid}/t", 1)])
    big = paho5(broker)
    big.subscribe(f"{uid}/t", qos=1)
    pub = paho5(broker)
    pub.publish(f"{uid}/t", b"L" * 500, qos=1)
    pub.publish(f"{uid}/t", b"s" * 10, qos=1)
    assert [m.payload for m in big.expect(2)] == [b"L" * 500, b"s" * 10]
    got = small.expect_publish()
    assert got.payload == b"s" * 10  # the large one never came, and took no in-flight slot
    small.send(mb.puback(got.packet_id))


def test_properties_count_towards_the_client_maximum(broker, paho5, raw5, uid):
    small = raw5(broker, f"{uid}-small", props=[(m5.MAXIMUM_PACKET_SIZE, 120)])
    small.subscribe([(f"{uid}/t", 0)])
    pub = paho5(broker)
    heavy = props(PacketTypes.PUBLISH, UserProperty=[("k" * 40, "v" * 40)])
    pub.publish(f"{uid}/t", b"with-props", properties=heavy)
    pub.publish(f"{uid}/t", b"bare")
    assert small.expect_publish().payload == b"bare"


def test_reason_string_left_out_when_ack_would_exceed_maximum(broker, raw5, uid):
    roomy = raw5(broker, f"{uid}-roomy")
    roomy.send(m5.ack(mb.PUBREL, 77))
    reason, properties = m5.parse_reason(roomy.expect(mb.PUBCOMP), offset=2)
    assert reason == 0x92
    assert properties[m5.REASON_STRING] == "packet identifier not found"
    tight = raw5(broker, f"{uid}-tight", props=[(m5.MAXIMUM_PACKET_SIZE, 16)])
    tight.send(m5.ack(mb.PUBREL, 77))
    pubcomp = tight.expect(mb.PUBCOMP)
    assert m5.parse_reason(pubcomp, offset=2) == (0x92, {})
    assert len(pubcomp.body) + 2 <= 16


def test_no_problem_information_when_not_requested(broker, raw5, uid):
    client = raw5(broker, uid, props=[(m5.REQUEST_PROBLEM_INFORMATION, 0)])
    client.send(m5.ack(mb.PUBREL, 5))
    assert m5.parse_reason(client.expect(mb.PUBCOMP), offset=2) == (0x92, {})
    # DISCONNECT may still say why.
    client.send(m5.publish("", b"x"))
    reason, properties = client.expect_disconnect()
    assert reason == 0x82
    assert m5.REASON_STRING in properties


def test_inbound_packet_too_large_is_0x95(start_broker, raw5, uid):
    broker = start_broker(flags={"max_packet_size": 256})
    client = raw5(broker, uid)
    client.send(m5.publish(f"{uid}/t", b"x" * 300))
    assert client.expect_disconnect()[0] == 0x95


def test_new_topic_alias_never_pushes_a_packet_over_the_client_maximum(broker, paho5, raw5, uid):
    topic, payload = f"{uid}/sensor/temperature", b"p" * 20
    exact = len(m5.publish(topic, payload))  # fits only without the 3 bytes of an alias property
    sub = raw5(broker, f"{uid}-sub", props=[(m5.TOPIC_ALIAS_MAXIMUM, 5), (m5.MAXIMUM_PACKET_SIZE, exact)])
    sub.subscribe([(topic, 0)])
    pub = paho5(broker)
    for _ in range(2):
        pub.publish(topic, payload)
    for _ in range(2):
        packet = sub.client.expect(mb.PUBLISH)
        assert len(packet.body) + 2 <= exact
        got = m5.parse_publish(packet)
        assert (got.topic, got.payload) == (topic, payload)
        assert m5.TOPIC_ALIAS not in got.props


def test_known_topic_alias_lets_a_message_fit_the_client_maximum(broker, paho5, raw5, uid):
    topic = f"{uid}/a/rather/long/topic/name/for/aliasing"
    big = b"B" * 60
    limit = len(m5.publish(topic, big)) - 1  # too large with the topic, fits with a known alias
    sub = raw5(broker, f"{uid}-sub", props=[(m5.TOPIC_ALIAS_MAXIMUM, 5), (m5.MAXIMUM_PACKET_SIZE, limit)])
    sub.subscribe([(topic, 0)])
    pub = paho5(broker)
    pub.publish(topic, b"small")
    first = sub.expect_publish()
    assert (first.topic, first.payload) == (topic, b"small")
    alias = first.props[m5.TOPIC_ALIAS]
    pub.publish(topic, big)
    packet = sub.client.expect(mb.PUBLISH)
    assert len(packet.body) + 2 <= limit
    second = m5.parse_publish(packet)
    assert (second.topic, second.props[m5.TOPIC_ALIAS], second.payload) == ("", alias, big)


def test_inflight_message_too_large_for_the_resumed_client_is_not_resent(broker, paho5, raw5, uid):
    topic = f"{uid}/t"
    session = [(m5.SESSION_EXPIRY_INTERVAL, 60)]
    sub = raw5(broker, f"{uid}-sub", props=session)
    sub.subscribe([(topic, 1)])
    pub = paho5(broker)
    pub.publish(topic, b"L" * 500, qos=1)
    pub.publish(topic, b"small", qos=1)
    assert [sub.expect_publish().payload for _ in range(2)] == [b"L" * 500, b"small"]
    sub.close()  # neither acknowledged: both stay in flight for the session
    resumed = raw5(broker, f"{uid}-sub", clean_start=False, props=session + [(m5.MAXIMUM_PACKET_SIZE, 200)])
    assert resumed.session_present
    again = resumed.expect_publish()
    assert (again.payload, again.dup) == (b"small", True)
    resumed.send(mb.puback(again.packet_id))
    pub.publish(topic, b"next", qos=1)
    assert resumed.expect_publish().payload == b"next"  # the dropped one took no in-flight slot
