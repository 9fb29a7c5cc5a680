"""MQTT 5 message properties: user properties, content type, payload format
indicator, response topic and correlation data pass through untouched, across
shards, on PUBLISH and on wills; a 3.1.1 subscriber gets none; a payload that
claims UTF-8 but is not is refused (0x99)."""

from __future__ import annotations

import pytest
from paho.mqtt.packettypes import PacketTypes

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5, raw5  # noqa: F401
from paho5_client import props
from shards import client_id_on_shard

USER = [("fleet", "eu-1"), ("fleet", "eu-2"), ("unicode", "zürich")]


def test_publish_properties_pass_through_across_shards(broker, paho5, uid):
    for sub_shard, pub_shard in ((0, 1), (2, 2)):
        sub = paho5(broker, client_id_on_shard(f"{uid}-s", sub_shard, broker.shards))
        pub = paho5(broker, client_id_on_shard(f"{uid}-p", pub_shard, broker.shards))
        topic = f"{uid}/{sub_shard}/{pub_shard}"
        sub.subscribe(topic, qos=1)
        sent = props(PacketTypes.PUBLISH, PayloadFormatIndicator=1, ContentType="application/json",
                     ResponseTopic=f"{uid}/reply", CorrelationData=b"\x00\x01req-7", UserProperty=USER)
        pub.publish(topic, b'{"t": 21.5}', qos=1, properties=sent)
        got = sub.expect()[0]
        assert got.payload == b'{"t": 21.5}'
        assert got.prop("PayloadFormatIndicator") == 1
        assert got.prop("ContentType") == "application/json"
        assert got.prop("ResponseTopic") == f"{uid}/reply"
        assert got.prop("CorrelationData") == b"\x00\x01req-7"
        assert got.prop("UserProperty") == USER  # order and duplicates kept


def test_will_properties_pass_through(broker, paho5, raw5, uid):
    watcher = paho5(broker)
    watcher.subscribe(f"{uid}/will")
    will_props = [(m5.CONTENT_TYPE, "text/plain"), (m5.USER_PROPERTY, ("reason", "lost")),
                  (m5.PAYLOAD_FORMAT_INDICATOR, 1)]
    dying = raw5(broker, uid, will=m5.Will(f"{uid}/will", b"gone", props=will_props))
    dying.close()
    got = watcher.expect()[0]
    assert got.payload == b"gone"
    assert got.prop("ContentType") == "text/plain"
    assert got.prop("UserProperty") == [("reason", "lost")]
    assert got.prop("PayloadFormatIndicator") == 1


def test_311_subscriber_receives_no_properties(broker, raw, paho5, uid):
    sub = raw(broker, f"{uid}-311")
    assert sub.subscribe([(f"{uid}/t", 0)]) == [0]
    pub = paho5(broker)
    pub.publish(f"{uid}/t", b"plain", properties=props(PacketTypes.PUBLISH, ContentType="x",
                                                          UserProperty=[("k", "v")]))
    got = sub.expect(mb.PUBLISH)
    # 3.1.1 PUBLISH: topic then payload, nothing in between.
    assert got.body == mb.utf8(f"{uid}/t") + b"plain"


@pytest.mark.parametrize("payload, props, reason", [
    pytest.param(b"\xff\xfe", [(m5.PAYLOAD_FORMAT_INDICATOR, 1)], 0x99,
                 id="invalid_utf8_payload_with_format_indicator"),
    pytest.param(b"x", [(m5.CONTENT_TYPE, "a"), (m5.CONTENT_TYPE, "b")], 0x82, id="duplicate_property"),
    pytest.param(b"x", [(m5.SESSION_EXPIRY_INTERVAL, 5)], 0x82, id="property_of_another_packet_type"),
])
def test_publish_with_wrong_properties_is_refused(broker, raw5, uid, payload, props, reason):
    client = raw5(broker, uid)
    assert client.refusal_of(m5.publish(f"{uid}/t", payload, props=props)) == reason
