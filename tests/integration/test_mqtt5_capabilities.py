"""MQTT 5 CONNACK capability properties, set from the flags and enforced:
Maximum QoS, Retain Available, Wildcard / Subscription Identifier / Shared
Subscription Available, Maximum Packet Size, Topic Alias Maximum, Receive
Maximum; assigned client identifier. Raw sockets, so every property is seen."""

from __future__ import annotations

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import raw5  # noqa: F401

pytestmark = pytest.mark.ringmq_only

# Boolean flags are turned off with Abseil's --noNAME form: the fixture passes
# "--name value" and a bool flag does not take a separate value (the empty
# string is left over as an ignored positional argument).
LIMITED = {"max_qos": 1, "noretain_available": "", "nowildcard_subscriptions": "",
           "nosubscription_identifiers": "", "max_topic_alias": 0, "max_inflight": 7,
           "max_packet_size": 5000}


def test_default_connack_announces_every_capability(broker, raw5, uid):
    client = raw5(broker, uid)
    props = client.props
    assert props[m5.RECEIVE_MAXIMUM] == 256
    assert m5.MAXIMUM_QOS not in props  # absent = QoS 2
    assert props[m5.RETAIN_AVAILABLE] == 1
    assert props[m5.MAXIMUM_PACKET_SIZE] == 1048576
    assert props[m5.TOPIC_ALIAS_MAXIMUM] == 64
    assert props[m5.WILDCARD_SUBSCRIPTION_AVAILABLE] == 1
    assert props[m5.SUBSCRIPTION_IDENTIFIER_AVAILABLE] == 1
    assert props[m5.SHARED_SUBSCRIPTION_AVAILABLE] in (0, 1)
    assert m5.ASSIGNED_CLIENT_IDENTIFIER not in props


def test_empty_client_id_gets_an_assigned_identifier(broker, raw5):
    client = raw5(broker, "")
    assigned = client.props[m5.ASSIGNED_CLIENT_IDENTIFIER]
    assert assigned.startswith("ringmq-")
    client.send(mb.pingreq())
    client.expect(mb.PINGRESP)


def test_limited_connack_tells_the_truth(start_broker, raw5, uid):
    broker = start_broker(flags=LIMITED)
    props = raw5(broker, uid).props
    assert props[m5.MAXIMUM_QOS] == 1
    assert props[m5.RETAIN_AVAILABLE] == 0
    assert props[m5.WILDCARD_SUBSCRIPTION_AVAILABLE] == 0
    assert props[m5.SUBSCRIPTION_IDENTIFIER_AVAILABLE] == 0
    assert props[m5.RECEIVE_MAXIMUM] == 7
    assert props[m5.MAXIMUM_PACKET_SIZE] == 5000
    assert m5.TOPIC_ALIAS_MAXIMUM not in props


def test_limits_are_enforced(start_broker, raw5, uid):
    broker = start_broker(flags=LIMITED)
    # SUBSCRIBE: QoS granted at most --max_qos, wildcards refused per filter.
    sub = raw5(broker, f"{uid}-s")
    assert sub.subscribe([(f"{uid}/a", 2), (f"{uid}/+", 1)]) == [1, 0xA2]
    # PUBLISH above Maximum QoS -> DISCONNECT 0x9B.
    qos2 = raw5(broker, f"{uid}-q")
    qos2.send(m5.publish(f"{uid}/a", b"x", qos=2, packet_id=1))
    assert qos2.expect_disconnect()[0] == 0x9B
    # Retained PUBLISH without Retain Available -> DISCONNECT 0x9A.
    retained = raw5(broker, f"{uid}-r")
    retained.send(m5.publish(f"{uid}/a", b"x", retain=True))
    assert retained.expect_disconnect()[0] == 0x9A
    # SUBSCRIBE with a subscription identifier -> DISCONNECT 0xA1.
    ids = raw5(broker, f"{uid}-i")
    ids.send(m5.subscribe(1, [(f"{uid}/a", 0)], [(m5.SUBSCRIPTION_IDENTIFIER, 5)]))
    assert ids.expect_disconnect()[0] == 0xA1
    # The broker still serves within the limits.
    ok = raw5(broker, f"{uid}-ok")
    ok.send(m5.publish(f"{uid}/a", b"fine", qos=1, packet_id=9))
    assert ok.expect(mb.PUBACK).packet_id() == 9
    assert sub.expect_publish().payload == b"fine"


def test_will_beyond_capabilities_is_refused_in_connack(start_broker, raw5, uid):
    broker = start_broker(flags=LIMITED)
    refused = raw5(broker, f"{uid}-w2", expect_reason=0x9B, will=m5.Will(f"{uid}/w", b"x", qos=2))
    assert refused.client.wait_closed()
    refused = raw5(broker, f"{uid}-wr", expect_reason=0x9A, will=m5.Will(f"{uid}/w", b"x", retain=True))
    assert refused.client.wait_closed()


def test_311_client_publishing_above_max_qos_is_closed(start_broker, raw, uid):
    broker = start_broker(flags=LIMITED)
    client = raw(broker, uid)
    assert client.is_closed_after(mb.publish(f"{uid}/t", b"x", qos=2, packet_id=1))
