"""CONNECT / CONNACK handling (MQTT 3.1.1 section 3.1 / 3.2) and listeners."""

import pytest

import mqtt_bytes as mb
from paho_client import PahoClient


def test_bad_protocol_level_gets_0x01_and_close(broker, raw):
    client = raw(broker)
    ack = client.connect("bad-level", protocol_level=99)
    assert ack.connack() == (False, 0x01)
    assert client.wait_closed()


def test_empty_client_id_without_clean_session_gets_0x02_and_close(broker, raw):
    client = raw(broker)
    ack = client.connect("", clean_session=False)
    assert ack.connack() == (False, 0x02)
    assert client.wait_closed()


def test_empty_client_id_with_clean_session_is_accepted(broker, raw, uid):
    client = raw(broker)
    ack = client.connect("", clean_session=True)
    assert ack.connack() == (False, 0x00)
    assert client.subscribe([(f"{uid}/t", 1)]) == [1]
    client.publish_qos1(f"{uid}/t", b"self")
    assert client.recv_publish_acked().payload() == b"self"


def test_clean_session_connack_has_session_present_zero(broker, raw, uid):
    client = raw(broker)
    assert client.connect(f"{uid}-c").connack() == (False, 0)


def test_second_connect_on_same_connection_closes_it(broker, raw, uid):
    client = raw(broker, f"{uid}-twice")
    assert client.is_closed_after(mb.connect(f"{uid}-twice"))


@pytest.mark.parametrize("first_packet", [
    mb.publish("t", b"x"),
    mb.subscribe(1, [("t", 0)]),
    mb.pingreq(),
    mb.disconnect(),
], ids=["publish", "subscribe", "pingreq", "disconnect"])
def test_first_packet_not_connect_closes(broker, raw, first_packet):
    client = raw(broker)
    assert client.is_closed_after(first_packet)


def test_unknown_protocol_name_closes(broker, raw):
    client = raw(broker)
    assert client.is_closed_after(mb.connect("bad-name", protocol_name=b"MQTX"))


def test_broker_serves_after_refused_connects(broker, raw, paho, uid):
    for _ in range(3):
        refused = raw(broker)
        assert refused.connect("x", protocol_level=99).connack()[1] == 0x01
    sub = paho(broker)
    sub.subscribe(f"{uid}/ok", 1)
    paho(broker).publish(f"{uid}/ok", b"still-serving", 1)
    assert sub.expect()[0].payload == b"still-serving"


def test_ipv4_and_ipv6_listeners_share_one_broker(start_broker, uid):
    dual = start_broker(listen=["127.0.0.1:0", "[::1]:0"])
    hosts = {host for host, _ in dual.listeners}
    assert hosts == {"127.0.0.1", "::1"}
    (v4_host, v4_port), = [l for l in dual.listeners if l[0] == "127.0.0.1"]
    (v6_host, v6_port), = [l for l in dual.listeners if l[0] == "::1"]
    v4 = PahoClient(v4_host, v4_port, f"{uid}-v4")
    v6 = PahoClient(v6_host, v6_port, f"{uid}-v6")
    try:
        assert v4.connect() == (False, 0)
        assert v6.connect() == (False, 0)
        v4.subscribe(f"{uid}/to-v4", 1)
        v6.subscribe(f"{uid}/to-v6", 1)
        v6.publish(f"{uid}/to-v4", b"from-v6", 1)
        v4.publish(f"{uid}/to-v6", b"from-v4", 1)
        assert v4.expect()[0].payload == b"from-v6"
        assert v6.expect()[0].payload == b"from-v4"
    finally:
        v4.disconnect()
        v6.disconnect()


@pytest.mark.ringmq_only
def test_only_requested_listeners_are_opened(start_broker, raw):
    dual = start_broker(listen=["127.0.0.1:0", "[::1]:0"])
    raw(dual, "probe").ping()
    expected = sorted([f"127.0.0.1:{dual.port}", f"[::1]:{dual.listeners[1][1]}"])
    assert sorted(dual.announced_listeners()) == expected, \
        "--listen must replace the default listener, not add to it"
