"""MQTT 5 CONNECT options the broker answers in CONNACK: Server Keep Alive
(--max_keep_alive, enforced with DISCONNECT 0x8D), request response
information (--response_information_prefix)."""

from __future__ import annotations

import time

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import raw5  # noqa: F401

pytestmark = pytest.mark.ringmq_only


def test_keep_alive_above_the_cap_is_lowered_and_enforced(start_broker, raw5, uid):
    broker = start_broker(flags={"max_keep_alive": 1})
    client = raw5(broker, uid, keepalive=600)
    assert client.props[m5.SERVER_KEEP_ALIVE] == 1
    silent_since = time.monotonic()
    assert client.expect_disconnect(timeout=5)[0] == 0x8D
    assert time.monotonic() - silent_since < 4


def test_keep_alive_zero_gets_the_cap(start_broker, raw5, uid):
    broker = start_broker(flags={"max_keep_alive": 30})
    assert raw5(broker, uid, keepalive=0).props[m5.SERVER_KEEP_ALIVE] == 30


def test_keep_alive_within_the_cap_is_kept(start_broker, raw5, uid):
    broker = start_broker(flags={"max_keep_alive": 30})
    client = raw5(broker, uid, keepalive=10)
    assert m5.SERVER_KEEP_ALIVE not in client.props
    client.send(mb.pingreq())
    client.expect(mb.PINGRESP)


def test_no_server_keep_alive_by_default(broker, raw5, uid):
    assert m5.SERVER_KEEP_ALIVE not in raw5(broker, uid, keepalive=0).props


def test_response_information_when_requested_and_configured(start_broker, raw5, uid):
    broker = start_broker(flags={"response_information_prefix": "replies/"})
    asked = raw5(broker, f"{uid}-a", props=[(m5.REQUEST_RESPONSE_INFORMATION, 1)])
    assert asked.props[m5.RESPONSE_INFORMATION] == f"replies/{uid}-a"
    not_asked = raw5(broker, f"{uid}-b")
    assert m5.RESPONSE_INFORMATION not in not_asked.props


def test_no_response_information_without_prefix(broker, raw5, uid):
    client = raw5(broker, uid, props=[(m5.REQUEST_RESPONSE_INFORMATION, 1)])
    assert m5.RESPONSE_INFORMATION not in client.props
