"""MQTT 5 topic aliases both ways: client-to-server aliases honoured up to
--max_topic_alias (beyond: 0x94; unknown alias with empty topic: 0x82), and
server-to-client aliases when the client's Topic Alias Maximum allows them."""

from __future__ import annotations

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5, raw5  # noqa: F401

pytestmark = pytest.mark.ringmq_only


def test_client_aliases_are_resolved(broker, paho5, raw5, uid):
    sub = paho5(broker)
    sub.subscribe(f"{uid}/#", qos=1)
    pub = raw5(broker, uid)
    assert pub.props[m5.TOPIC_ALIAS_MAXIMUM] == 64
    pub.send(m5.publish(f"{uid}/telemetry", b"first", qos=1, packet_id=1, props=[(m5.TOPIC_ALIAS, 64)]))
    pub.send(m5.publish("", b"second", qos=1, packet_id=2, props=[(m5.TOPIC_ALIAS, 64)]))
    pub.send(m5.publish(f"{uid}/other", b"third", qos=1, packet_id=3, props=[(m5.TOPIC_ALIAS, 64)]))
    pub.send(m5.publish("", b"fourth", qos=1, packet_id=4, props=[(m5.TOPIC_ALIAS, 64)]))
    for packet_id in (1, 2, 3, 4):
        assert pub.expect(mb.PUBACK).packet_id() == packet_id
    got = [(m.topic, m.payload) for m in sub.expect(4)]
    assert got == [(f"{uid}/telemetry", b"first"), (f"{uid}/telemetry", b"second"),
                   (f"{uid}/other", b"third"), (f"{uid}/other", b"fourth")]


def test_alias_above_maximum_is_0x94(start_broker, raw5, uid):
    broker = start_broker(flags={"max_topic_alias": 2})
    client = raw5(broker, uid)
    assert client.props[m5.TOPIC_ALIAS_MAXIMUM] == 2
    client.send(m5.publish(f"{uid}/t", b"x", props=[(m5.TOPIC_ALIAS, 3)]))
    reason, props = client.expect_disconnect()
    assert reason == 0x94
    assert "alias" in props.get(m5.REASON_STRING, "")


@pytest.mark.parametrize("topic, props, reason", [
    pytest.param("{uid}/t", [(m5.TOPIC_ALIAS, 0)], 0x94, id="alias_zero_is_0x94"),
    pytest.param("", [(m5.TOPIC_ALIAS, 5)], 0x82, id="unknown_alias_with_empty_topic_is_0x82"),
    pytest.param("", None, 0x82, id="empty_topic_without_alias_is_0x82"),
])
def test_publish_with_wrong_alias_is_refused(broker, raw5, uid, topic, props, reason):
    client = raw5(broker, uid)
    assert client.refusal_of(m5.publish(topic.format(uid=uid), b"x", props=props)) == reason


def test_aliases_belong_to_one_connection(broker, raw5, uid):
    first = raw5(broker, f"{uid}-a")
    first.send(m5.publish(f"{uid}/t", b"x", qos=1, packet_id=1, props=[(m5.TOPIC_ALIAS, 1)]))
    first.expect(mb.PUBACK)
    second = raw5(broker, f"{uid}-b")
    assert second.refusal_of(m5.publish("", b"x", props=[(m5.TOPIC_ALIAS, 1)])) == 0x82


def test_server_assigns_aliases_when_the_client_allows(broker, paho5, raw5, uid):
    sub = raw5(broker, uid, props=[(m5.TOPIC_ALIAS_MAXIMUM, 1)])
    assert sub.subscribe([(f"{uid}/#", 0)]) == [0]
    pub = paho5(broker)
    for topic, payload in ((f"{uid}/engine/rpm", b"1"), (f"{uid}/engine/rpm", b"2"),
                           (f"{uid}/engine/temp", b"3"), (f"{uid}/engine/rpm", b"4")):
        pub.publish(topic, payload)
    got = [sub.expect_publish() for _ in range(4)]
    # First use: topic and alias; later: empty topic and the alias. Beyond the
    # client's maximum (1), topics travel in full without an alias.
    assert (got[0].topic, got[0].props.get(m5.TOPIC_ALIAS)) == (f"{uid}/engine/rpm", 1)
    assert (got[1].topic, got[1].props.get(m5.TOPIC_ALIAS)) == ("", 1)
    assert (got[2].topic, got[2].props.get(m5.TOPIC_ALIAS)) == (f"{uid}/engine/temp", None)
    assert (got[3].topic, got[3].props.get(m5.TOPIC_ALIAS)) == ("", 1)
    assert [m.payload for m in got] == [b"1", b"2", b"3", b"4"]


def test_no_server_aliases_without_client_maximum(broker, paho5, raw5, uid):
    sub = raw5(broker, uid)
    sub.subscribe([(f"{uid}/#", 0)])
    pub = paho5(broker)
    pub.publish(f"{uid}/a/long/topic", b"1")
    pub.publish(f"{uid}/a/long/topic", b"2")
    for _ in range(2):
        got = sub.expect_publish()
        assert got.topic == f"{uid}/a/long/topic"
        assert m5.TOPIC_ALIAS not in got.props
