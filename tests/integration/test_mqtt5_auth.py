"""MQTT 5 enhanced authentication over the wire: with no method configured a
CONNECT naming one gets CONNACK 0x8C; with --auth_challenge_secret the
RINGMQ-CHALLENGE exchange runs CONNECT -> AUTH 0x18 -> AUTH 0x18 -> CONNACK,
wrong answers get 0x87, and a connected client can re-authenticate (AUTH 0x19)."""

from __future__ import annotations

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import raw5  # noqa: F401
from raw_client import RawClient
from shards import client_id_on_shard, fnv1a_64

pytestmark = pytest.mark.ringmq_only

METHOD = "RINGMQ-CHALLENGE"
SECRET = "open-sesame"


def answer(nonce: bytes, secret: str = SECRET) -> bytes:
    return f"{fnv1a_64(nonce + secret.encode()):016x}".encode()


def auth_reason(packet: mb.Packet) -> tuple[int, dict]:
    assert packet.kind == m5.AUTH, f"expected AUTH, got packet type {packet.kind}"
    return m5.parse_reason(packet)


def challenge(client: RawClient, method: str = METHOD) -> bytes:
    """Reads the broker's AUTH 0x18 and returns its nonce."""
    reason, props = auth_reason(client.recv_packet())
    assert reason == 0x18
    assert props[m5.AUTHENTICATION_METHOD] == method
    nonce = props[m5.AUTHENTICATION_DATA]
    assert len(nonce) == 32
    return nonce


@pytest.fixture
def auth_broker(start_broker):
    return start_broker(flags={"auth_challenge_secret": SECRET})


@pytest.fixture
def exchange():
    """Factory: exchange(broker, client_id) -> (raw client, nonce) after a
    CONNECT naming the method; every client is closed at teardown."""
    made: list[RawClient] = []

    def open_exchange(broker, client_id: str) -> tuple[RawClient, bytes]:
        client = RawClient(broker.host, broker.port)
        made.append(client)
        client.send(m5.connect(client_id, props=[(m5.AUTHENTICATION_METHOD, METHOD)]))
        return client, challenge(client)

    yield open_exchange
    for client in made:
        client.close()


def respond(client: RawClient, data: bytes, method: str = METHOD) -> None:
    """AUTH 0x18 (continue authentication) carrying method and data."""
    client.send(m5.auth(0x18, [(m5.AUTHENTICATION_METHOD, method), (m5.AUTHENTICATION_DATA, data)]))


def test_method_without_authenticator_is_0x8c(broker, raw5, uid):
    client = raw5(broker, uid, expect_reason=0x8C, props=[(m5.AUTHENTICATION_METHOD, METHOD)])
    assert client.client.wait_closed()


def test_unknown_method_is_0x8c(auth_broker, raw5, uid):
    client = raw5(auth_broker, uid, expect_reason=None,
                  props=[(m5.AUTHENTICATION_METHOD, "SCRAM-SHA-256")])
    assert client.reason == 0x8C


def test_challenge_exchange_succeeds_on_every_shard(auth_broker, exchange, uid):
    for shard in range(auth_broker.shards):
        client, nonce = exchange(auth_broker, client_id_on_shard(uid, shard, auth_broker.shards))
        respond(client, answer(nonce))
        present, reason, props = m5.parse_connack(client.expect(mb.CONNACK))
        assert (present, reason) == (False, 0)
        assert props[m5.AUTHENTICATION_METHOD] == METHOD
        client.ping()


def test_wrong_answer_is_0x87(auth_broker, exchange, uid):
    client, nonce = exchange(auth_broker, uid)
    respond(client, answer(nonce, "guess"))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x87
    assert client.wait_closed()


def test_other_packets_during_the_exchange_close_the_connection(auth_broker, exchange, uid):
    client, _ = exchange(auth_broker, uid)
    assert client.is_closed_after(m5.publish(f"{uid}/t", b"too early"))


def test_auth_with_another_method_is_refused(auth_broker, exchange, uid):
    client, nonce = exchange(auth_broker, uid)
    respond(client, answer(nonce), method="OTHER")
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x82


def test_reauthentication(auth_broker, exchange, uid):
    client, nonce = exchange(auth_broker, uid)
    respond(client, answer(nonce))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0
    client.send(m5.auth(0x19, [(m5.AUTHENTICATION_METHOD, METHOD)]))
    respond(client, answer(challenge(client)))
    reason, props = auth_reason(client.recv_packet())
    assert reason == 0x00
    assert props[m5.AUTHENTICATION_METHOD] == METHOD
    client.ping()
    # A failed re-authentication ends the connection with the reason code.
    client.send(m5.auth(0x19, [(m5.AUTHENTICATION_METHOD, METHOD)]))
    challenge(client)
    respond(client, b"0000000000000000")
    disconnect = client.recv_packet()
    assert disconnect.kind == mb.DISCONNECT
    assert m5.parse_reason(disconnect)[0] == 0x87


def test_auth_from_a_client_that_did_not_authenticate_is_0x82(auth_broker, raw5, uid):
    client = raw5(auth_broker, uid)
    assert client.refusal_of(m5.auth(0x19, [(m5.AUTHENTICATION_METHOD, METHOD)])) == 0x82
