"""MQTT 5 session lifetime: session expiry interval (set at CONNECT, changed at
DISCONNECT, offline sessions ending on time), clean start, will delay
interval (published after the delay or at session end, cancelled by a
reconnect), message expiry (expired messages are not delivered; the remaining
interval is forwarded), and the server's DISCONNECT on session takeover."""

from __future__ import annotations

import time

import pytest
from paho.mqtt.packettypes import PacketTypes

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5, raw5  # noqa: F401
from paho5_client import props


def connect_props(expiry: int):
    return props(PacketTypes.CONNECT, SessionExpiryInterval=expiry)


def test_session_survives_within_its_expiry_and_ends_after(broker, paho5, uid):
    client = paho5(broker, f"{uid}-c", properties=connect_props(2))
    client.subscribe(f"{uid}/t", qos=1)
    client.drop()
    pub = paho5(broker)
    pub.publish(f"{uid}/t", b"queued", qos=1)
    back = paho5(broker, f"{uid}-c", clean_start=False, properties=connect_props(2))
    assert back.connack[0] is True
    assert back.expect()[0].payload == b"queued"
    back.drop()
    time.sleep(3.0)
    late = paho5(broker, f"{uid}-c", clean_start=False, properties=connect_props(2))
    assert late.connack[0] is False, "the session should have expired after 2 s offline"


def test_session_expiry_changed_at_disconnect(broker, paho5, uid):
    client = paho5(broker, f"{uid}-c", properties=connect_props(60))
    client.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))
    again = paho5(broker, f"{uid}-c", clean_start=False, properties=connect_props(60))
    assert again.connack[0] is False


def test_session_expiry_raised_from_zero_at_disconnect_is_0x82(broker, raw5, uid):
    client = raw5(broker, uid)
    client.send(m5.disconnect(0, [(m5.SESSION_EXPIRY_INTERVAL, 30)]))
    assert client.expect_disconnect()[0] == 0x82


def test_clean_start_discards_the_old_session(broker, paho5, uid):
    paho5(broker, f"{uid}-c", properties=connect_props(60)).drop()
    fresh = paho5(broker, f"{uid}-c", clean_start=True, properties=connect_props(60))
    assert fresh.connack[0] is False


def test_will_waits_for_its_delay(broker, paho5, raw5, uid):
    watcher = paho5(broker)
    watcher.subscribe(f"{uid}/will")
    will = m5.Will(f"{uid}/will", b"late", props=[(m5.WILL_DELAY_INTERVAL, 2)])
    dying = raw5(broker, uid, will=will, props=[(m5.SESSION_EXPIRY_INTERVAL, 60)])
    lost_at = time.monotonic()
    dying.close()
    got = watcher.expect(timeout=6)[0]
    assert got.payload == b"late"
    assert time.monotonic() - lost_at >= 1.5


def test_reconnect_within_will_delay_cancels_the_will(broker, paho5, raw5, uid):
    watcher = paho5(broker)
    watcher.subscribe(f"{uid}/will")
    will = m5.Will(f"{uid}/will", b"never", props=[(m5.WILL_DELAY_INTERVAL, 2)])
    raw5(broker, uid, will=will, props=[(m5.SESSION_EXPIRY_INTERVAL, 60)]).close()
    time.sleep(0.3)
    back = raw5(broker, uid, clean_start=False, props=[(m5.SESSION_EXPIRY_INTERVAL, 60)])
    assert back.session_present
    watcher.expect_none(wait=3.0)


def test_will_goes_out_when_the_session_ends_first(broker, paho5, raw5, uid):
    watcher = paho5(broker)
    watcher.subscribe(f"{uid}/will")
    will = m5.Will(f"{uid}/will", b"session over", props=[(m5.WILL_DELAY_INTERVAL, 60)])
    lost_at = time.monotonic()
    raw5(broker, uid, will=will, props=[(m5.SESSION_EXPIRY_INTERVAL, 1)]).close()
    assert watcher.expect(timeout=5)[0].payload == b"session over"
    assert time.monotonic() - lost_at < 5


def test_normal_disconnect_sends_no_will_but_0x04_does(broker, paho5, raw5, uid):
    watcher = paho5(broker)
    watcher.subscribe(f"{uid}/will/#")
    quiet = raw5(broker, f"{uid}-q", will=m5.Will(f"{uid}/will/q", b"no"))
    quiet.send(m5.disconnect(0))
    assert quiet.client.wait_closed()
    loud = raw5(broker, f"{uid}-l", will=m5.Will(f"{uid}/will/l", b"yes"))
    loud.send(m5.disconnect(0x04))
    assert loud.client.wait_closed()
    assert [m.payload for m in watcher.expect()] == [b"yes"]
    watcher.expect_none()


def test_expired_messages_are_not_delivered(broker, paho5, uid):
    client = paho5(broker, f"{uid}-c", properties=connect_props(60))
    client.subscribe(f"{uid}/t", qos=1)
    client.drop()
    pub = paho5(broker)
    pub.publish(f"{uid}/t", b"short", qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
    pub.publish(f"{uid}/t", b"long", qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=100))
    time.sleep(2.2)
    back = paho5(broker, f"{uid}-c", clean_start=False, properties=connect_props(60))
    got = back.expect()[0]
    assert got.payload == b"long"
    assert 95 <= got.prop("MessageExpiryInterval") <= 98  # the remaining interval
    back.expect_none()


def test_takeover_sends_0x8e_to_the_old_connection(broker, raw5, uid):
    old = raw5(broker, uid)
    raw5(broker, uid)
    assert old.expect_disconnect()[0] == 0x8E


@pytest.mark.ringmq_only
def test_shutdown_sends_0x8b(start_broker, raw5, uid):
    broker = start_broker()
    client = raw5(broker, uid)
    broker.proc.terminate()
    assert client.expect_disconnect()[0] == 0x8B
