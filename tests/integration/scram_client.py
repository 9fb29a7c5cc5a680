"""The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for the MQTT 5
enhanced-authentication tests, written from the RFC with the standard library
only (hashlib, hmac, base64, secrets): it computes the proof from the password
and checks the broker's server signature, so a broker that merely echoes
something plausible fails. Owned by the test thread that made it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pathlib
import secrets
import subprocess

import mqtt5_bytes as m5
import mqtt_bytes as mb
from raw_client import RawClient

METHOD = "SCRAM-SHA-256"
REPO = pathlib.Path(__file__).resolve().parents[2]


def passwd_binary() -> pathlib.Path:
    """ringmq-scram-passwd: $RINGMQ_SCRAM_PASSWD_BIN, else beside the broker
    binary's build tree, else <repo>/build/tools."""
    if "RINGMQ_SCRAM_PASSWD_BIN" in os.environ:
        return pathlib.Path(os.environ["RINGMQ_SCRAM_PASSWD_BIN"])
    if "RINGMQ_BIN" in os.environ:
        return pathlib.Path(os.environ["RINGMQ_BIN"]).resolve().parents[1] / "tools" / "ringmq-scram-passwd"
    return REPO / "build" / "tools" / "ringmq-scram-passwd"


def scram_passwd(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(passwd_binary()), *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


def _saslname(user: str) -> str:
    return user.replace("=", "=3D").replace(",", "=2C")


def _attributes(message: bytes) -> dict[str, str]:
    return dict(part.split("=", 1) for part in message.decode().split(","))


class ScramClient:
    """One exchange: client_first() -> client_final(server_first) -> verify(server_final)."""

    def __init__(self, user: str, password: str, gs2_header: str = "n,,"):
        self.user = user
        self.password = password
        self.gs2_header = gs2_header
        self.client_nonce = secrets.token_urlsafe(18)
        self.bare = f"n={_saslname(user)},r={self.client_nonce}"
        self.server_signature: bytes | None = None
        self.salt: bytes | None = None
        self.iterations: int | None = None

    def client_first(self) -> bytes:
        return (self.gs2_header + self.bare).encode()

    def client_final(self, server_first: bytes, tamper_nonce: bool = False) -> bytes:
        attrs = _attributes(server_first)
        nonce = attrs["r"]
        assert nonce.startswith(self.client_nonce) and len(nonce) > len(self.client_nonce), \
            f"server nonce {nonce!r} does not extend ours"
        self.salt = base64.b64decode(attrs["s"], validate=True)
        self.iterations = int(attrs["i"])
        if tamper_nonce:
            nonce = self.client_nonce
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), self.salt, self.iterations)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        channel_binding = base64.b64encode(self.gs2_header.encode()).decode()
        without_proof = f"c={channel_binding},r={nonce}"
        auth_message = f"{self.bare},{server_first.decode()},{without_proof}".encode()
        client_signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature))
        self.server_signature = hmac.new(server_key, auth_message, "sha256").digest()
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final: bytes) -> bool:
        """True when the broker proved it knows this user's ServerKey."""
        expected = b"v=" + base64.b64encode(self.server_signature)
        return hmac.compare_digest(server_final, expected)


def auth_packet(reason: int, data: bytes | None, method: str = METHOD) -> bytes:
    props: list[tuple[int, object]] = [(m5.AUTHENTICATION_METHOD, method)]
    if data is not None:
        props.append((m5.AUTHENTICATION_DATA, data))
    return m5.auth(reason, props)


def expect_auth(client: RawClient, reason: int, method: str = METHOD) -> bytes:
    """Reads the broker's AUTH, checks its reason and method, returns its data."""
    packet = client.recv_packet()
    assert packet is not None, "connection closed instead of AUTH"
    assert packet.kind == m5.AUTH, f"expected AUTH, got packet type {packet.kind}"
    got_reason, props = m5.parse_reason(packet)
    assert got_reason == reason, f"AUTH reason {got_reason:#x}, expected {reason:#x}"
    assert props[m5.AUTHENTICATION_METHOD] == method
    return props.get(m5.AUTHENTICATION_DATA, b"")


def begin(client: RawClient, client_id: str, scram: ScramClient, **connect_args) -> bytes:
    """Sends CONNECT with the client-first-message; returns the server-first-message."""
    client.send(m5.connect(client_id, props=[(m5.AUTHENTICATION_METHOD, METHOD),
                                             (m5.AUTHENTICATION_DATA, scram.client_first())],
                           **connect_args))
    return expect_auth(client, 0x18)


def finish(client: RawClient, scram: ScramClient, server_first: bytes) -> tuple[int, dict]:
    """Sends the client-final-message; returns the CONNACK's (reason, properties)."""
    client.send(auth_packet(0x18, scram.client_final(server_first)))
    _, reason, props = m5.parse_connack(client.expect(mb.CONNACK))
    return reason, props
