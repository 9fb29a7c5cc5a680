"""Malformed and forbidden input: the broker closes only the offending
connection (MQTT-4.8.0-1) and keeps serving everyone else."""

import pytest

import mqtt_bytes as mb

MAX_PACKET_SIZE = 4096
BROKER_FLAGS = {"max_packet_size": MAX_PACKET_SIZE}

AFTER_CONNECT = {
    "remaining-length-5-bytes": b"\x30\xff\xff\xff\xff\x01",
    "subscribe-reserved-flags-0": mb.subscribe(1, [("t", 0)], flags=0x00),
    "unsubscribe-reserved-flags-0": mb.packet(mb.UNSUBSCRIBE << 4, b"\x00\x01" + mb.utf8("t")),
    "pubrel-reserved-flags-0": mb.packet(mb.PUBREL << 4, b"\x00\x01"),
    "pingreq-reserved-flag-set": mb.packet((mb.PINGREQ << 4) | 0x01, b""),
    "publish-topic-plus": mb.publish("a/+/b", b"x"),
    "publish-topic-hash": mb.publish("a/#", b"x"),
    "publish-topic-only-plus": mb.publish("+", b"x"),
    "publish-topic-empty": mb.publish("", b"x"),
    "topic-invalid-utf8": mb.publish(b"a/\xff", b"x"),
    "topic-overlong-utf8": mb.publish(b"a/\xc0\xaf", b"x"),
    "topic-surrogate": mb.publish(b"a/\xed\xa0\x80", b"x"),
    "topic-nul-character": mb.publish(b"a\x00b", b"x"),
    "publish-qos3": mb.publish("t", b"x", qos=3, packet_id=1),
    "publish-qos1-packet-id-0": mb.publish("t", b"x", qos=1, packet_id=0),
    "topic-length-past-packet-end": mb.packet(mb.PUBLISH << 4, b"\x00\x10ab"),
    "oversized-publish": mb.publish("t", b"x" * (2 * MAX_PACKET_SIZE)),
    "packet-type-0": mb.packet(0x00, b""),
    "packet-type-15": mb.packet(0xF0, b""),
    "connack-from-client": mb.packet(mb.CONNACK << 4, b"\x00\x00"),
    "subscribe-bad-requested-qos": mb.subscribe(1, [("t", 0x83)]),
}
# MQTT-2.2.2-2 requires a close, but mosquitto 2.0.11 tolerates these.
MOSQUITTO_TOLERATES = {"pingreq-reserved-flag-set"}
AFTER_CONNECT_CASES = [
    pytest.param(data, id=name,
                 marks=[pytest.mark.ringmq_only] if name in MOSQUITTO_TOLERATES else [])
    for name, data in AFTER_CONNECT.items()
]


def assert_broker_still_serves(broker, paho, uid):
    healthy = paho(broker)
    healthy.subscribe(f"{uid}/healthy", 1)
    paho(broker).publish(f"{uid}/healthy", b"ok", 1)
    assert healthy.expect()[0].payload == b"ok"


@pytest.mark.parametrize("bad", AFTER_CONNECT_CASES)
def test_malformed_packet_closes_only_that_connection(broker, raw, paho, uid, bad):
    bystander = raw(broker, f"{uid}-bystander")
    offender = raw(broker, f"{uid}-offender")
    assert offender.is_closed_after(bad), "malformed packet did not close the connection"
    bystander.ping()
    assert_broker_still_serves(broker, paho, uid)


@pytest.mark.parametrize("bad", [
    mb.connect("reserved", reserved_flag=True),
    mb.publish("t", b"before-connect"),
    b"\x10\xff\xff\xff\xff\x01",
    mb.connect("x" * (2 * MAX_PACKET_SIZE)),
], ids=["connect-reserved-flag", "publish-before-connect", "connect-bad-length",
        "oversized-connect"])
def test_malformed_first_packet_closes_connection(broker, raw, paho, uid, bad):
    client = raw(broker)
    assert client.is_closed_after(bad)
    assert_broker_still_serves(broker, paho, uid)


def test_packet_split_across_many_writes_is_accepted(broker, raw, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/split", 1)
    client = raw(broker, f"{uid}-split")
    data = mb.publish(f"{uid}/split", b"byte-by-byte", qos=1, packet_id=9)
    for i in range(len(data)):
        client.send(data[i:i + 1])
    assert client.expect(mb.PUBACK).packet_id() == 9
    assert sub.expect()[0].payload == b"byte-by-byte"


def test_publish_at_max_packet_size_is_accepted(broker, raw, paho, uid):
    topic = f"{uid}/big"
    sub = paho(broker)
    sub.subscribe(topic, 0)
    client = raw(broker, f"{uid}-big")
    # Measured with a payload long enough to need the same 2-byte remaining length.
    overhead = len(mb.publish(topic, b"y" * 200)) - 200
    packet = mb.publish(topic, b"y" * (MAX_PACKET_SIZE - overhead))
    assert len(packet) == MAX_PACKET_SIZE
    client.send(packet)
    client.ping()
    assert len(sub.expect()[0].payload) == MAX_PACKET_SIZE - overhead


@pytest.mark.ringmq_only
@pytest.mark.parametrize("bad", [AFTER_CONNECT["publish-qos3"], AFTER_CONNECT["topic-invalid-utf8"]],
                         ids=["qos3", "invalid-utf8"])
def test_malformed_packet_is_logged(broker, raw, uid, bad):
    offender = raw(broker, f"{uid}-logged")
    lines_before = broker.log_line_count()
    assert offender.is_closed_after(bad)
    assert broker.wait_for_log(r"\S", timeout=10, from_line=lines_before), \
        "no log line about the malformed packet"
