"""pytest fixtures and helpers for the MQTT 5 integration tests.

Test modules import the fixtures they use (`from mqtt5_fixtures import paho5,
raw5`); the broker fixtures come from conftest.py. Every wait is bounded.
"""

from __future__ import annotations

import itertools
import uuid

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from paho5_client import Paho5Client
from raw_client import RawClient


@pytest.fixture
def paho5():
    """Factory: paho5(broker, client_id=None, expect_reason=0, clean_start=True,
    properties=None, will=None, keepalive=60) -> connected Paho5Client."""
    made: list[Paho5Client] = []
    counter = itertools.count()

    def make(broker, client_id: str | None = None, expect_reason: int = 0, clean_start: bool = True,
             properties=None, will: tuple | None = None, keepalive: int = 60,
             username: str | None = None, password: str | None = None) -> Paho5Client:
        if client_id is None:
            client_id = f"paho5-{uuid.uuid4().hex[:10]}-{next(counter)}"
        client = Paho5Client(broker.host, broker.port, client_id, keepalive=keepalive,
                             username=username, password=password)
        if will is not None:
            client.will_set(*will)
        made.append(client)
        _, reason, _ = client.connect(clean_start=clean_start, properties=properties)
        assert reason == expect_reason, f"CONNACK {reason:#x} for {client_id!r}, expected {expect_reason:#x}"
        return client

    yield make
    for client in made:
        client.disconnect(timeout=2)


class Raw5:
    """A raw-socket MQTT 5 client: RawClient plus the CONNACK it got."""

    def __init__(self, client: RawClient, connack: tuple[bool, int, dict]):
        self.client = client
        self.session_present, self.reason, self.props = connack

    def send(self, data: bytes) -> None:
        self.client.send(data)

    def expect(self, kind: int, timeout: float = 10.0) -> mb.Packet:
        return self.client.expect(kind, timeout)

    def expect_publish(self, timeout: float = 10.0) -> m5.Publish:
        return m5.parse_publish(self.client.expect(mb.PUBLISH, timeout))

    def subscribe(self, filters: list[tuple[str, int]], props=None) -> list[int]:
        packet_id = self.client.next_packet_id()
        self.send(m5.subscribe(packet_id, filters, props))
        suback = self.expect(mb.SUBACK)
        assert suback.packet_id() == packet_id
        return m5.parse_suback(suback)

    def expect_disconnect(self, timeout: float = 10.0) -> tuple[int, dict]:
        """The broker's DISCONNECT (reason, properties); then the socket must close."""
        packet = self.client.recv_packet(timeout)
        while packet is not None and packet.kind == mb.PUBLISH:
            packet = self.client.recv_packet(timeout)
        assert packet is not None, "connection closed without DISCONNECT"
        assert packet.kind == mb.DISCONNECT, f"expected DISCONNECT, got packet type {packet.kind}"
        assert self.client.wait_closed(timeout), "connection still open after DISCONNECT"
        return m5.parse_reason(packet)

    def refusal_of(self, data: bytes, timeout: float = 10.0) -> int:
        """Sends data the broker must refuse; the reason code of its DISCONNECT."""
        self.send(data)
        return self.expect_disconnect(timeout)[0]

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def raw5():
    """Factory: raw5(broker, client_id, expect_reason=0, **connect_args) -> Raw5
    (connect_args go to mqtt5_bytes.connect)."""
    made: list[RawClient] = []

    def make(broker, client_id: str, expect_reason: int | None = 0, **connect_args) -> Raw5:
        client = RawClient(broker.host, broker.port)
        made.append(client)
        client.send(m5.connect(client_id, **connect_args))
        connack = m5.parse_connack(client.expect(mb.CONNACK))
        if expect_reason is not None:
            assert connack[1] == expect_reason, f"CONNACK {connack[1]:#x} for {client_id!r}"
        return Raw5(client, connack)

    yield make
    for client in made:
        client.close()
