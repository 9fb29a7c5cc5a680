"""A blocking raw-socket MQTT client for byte-exact protocol checks.

Every read is bounded by a deadline. Owned by the test thread that made it.
"""

from __future__ import annotations

import errno
import socket
import time

import mqtt_bytes as mb

DEFAULT_TIMEOUT = 10.0


class RawClient:
    def __init__(self, host: str, port: int, rcvbuf: int | None = None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Must be set before connect() so the advertised window is small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(DEFAULT_TIMEOUT)
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self._next_id = 0
        # PUBLISHes that arrived while an ack was awaited (e.g. our own
        # message echoed back before its PUBACK); expect(PUBLISH) takes them first.
        self._stashed_publishes: list[mb.Packet] = []

    @classmethod
    def connected(cls, broker, client_id: str, **connect_args) -> "RawClient":
        """Open, send CONNECT and require CONNACK return code 0."""
        client = cls(broker.host, broker.port)
        ack = client.connect(client_id, **connect_args)
        assert ack.connack()[1] == 0, f"CONNACK refused: {ack.connack()}"
        return client

    def next_packet_id(self) -> int:
        self._next_id = self._next_id % 65535 + 1
        return self._next_id

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def connect(self, client_id: str | bytes, **connect_args) -> mb.Packet:
        self.send(mb.connect(client_id, **connect_args))
        ack = self.expect(mb.CONNACK)
        return ack

    def subscribe(self, filters: list[tuple[str, int]]) -> list[int]:
        packet_id = self.next_packet_id()
        self.send(mb.subscribe(packet_id, filters))
        ack = self.expect(mb.SUBACK)
        assert ack.packet_id() == packet_id
        return ack.suback_codes()

    def recv_packet(self, timeout: float = DEFAULT_TIMEOUT) -> mb.Packet | None:
        """Next packet, or None if the connection closed. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            pkt, used = mb.parse(self._buf)
            if pkt is not None:
                del self._buf[:used]
                return pkt
            chunk = self._recv_some(deadline)
            if not chunk:
                return None
            self._buf += chunk

    def expect(self, kind: int, timeout: float = DEFAULT_TIMEOUT) -> mb.Packet:
        if kind == mb.PUBLISH and self._stashed_publishes:
            return self._stashed_publishes.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            pkt = self.recv_packet(max(deadline - time.monotonic(), 0.001))
            assert pkt is not None, f"connection closed while waiting for packet type {kind}"
            if pkt.kind == mb.PUBLISH and kind != mb.PUBLISH:
                self._stashed_publishes.append(pkt)
                continue
            assert pkt.kind == kind, f"expected packet type {kind}, got {pkt.kind}"
            return pkt

    def recv_publish_acked(self, timeout: float = DEFAULT_TIMEOUT) -> mb.Packet:
        """Next PUBLISH, completing its QoS 1/2 handshake from our side."""
        pkt = self.expect(mb.PUBLISH, timeout)
        if pkt.qos == 1:
            self.send(mb.puback(pkt.packet_id()))
        elif pkt.qos == 2:
            self.send(mb.pubrec(pkt.packet_id()))
            rel = self.expect(mb.PUBREL, timeout)
            assert rel.flags == 0x02
            self.send(mb.pubcomp(rel.packet_id()))
        return pkt

    def publish_qos1(self, topic: str, payload: bytes, retain: bool = False) -> None:
        packet_id = self.next_packet_id()
        self.send(mb.publish(topic, payload, qos=1, packet_id=packet_id, retain=retain))
        assert self.expect(mb.PUBACK).packet_id() == packet_id

    def publish_qos2(self, topic: str, payload: bytes, retain: bool = False) -> None:
        packet_id = self.next_packet_id()
        self.send(mb.publish(topic, payload, qos=2, packet_id=packet_id, retain=retain))
        assert self.expect(mb.PUBREC).packet_id() == packet_id
        self.send(mb.pubrel(packet_id))
        assert self.expect(mb.PUBCOMP).packet_id() == packet_id

    def disconnect(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Clean DISCONNECT; the broker must then close the connection."""
        self.send(mb.disconnect())
        assert self.wait_closed(timeout), "connection still open after DISCONNECT"

    def assert_not_subscribed(self, topic: str, publisher, marker: str) -> None:
        """Checks that no subscription of this client matches topic: subscribes
        to marker, has publisher (a PahoClient) send QoS 1 to topic and then to
        marker, and requires the marker to be the first message to arrive."""
        self.subscribe([(marker, 1)])
        publisher.publish(topic, b"must-not-arrive", 1)
        publisher.publish(marker, b"marker", 1)
        assert self.recv_publish_acked().topic() == marker

    def ping(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.send(mb.pingreq())
        self.expect(mb.PINGRESP, timeout)

    def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """True once the peer closes, discarding anything it still sends;
        False if the connection is still open after timeout."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                if not self._recv_some(deadline):
                    return True
        except TimeoutError:
            return False

    def is_closed_after(self, data: bytes, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """Send data (tolerating a close racing with the send) and report
        whether the broker closes the connection."""
        try:
            self.send(data)
        except (BrokenPipeError, ConnectionResetError):
            return True
        return self.wait_closed(timeout)

    def close(self) -> None:
        self.sock.close()

    def _recv_some(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("raw client read timed out")
        self.sock.settimeout(remaining)
        try:
            return self.sock.recv(65536)
        except socket.timeout as exc:
            raise TimeoutError("raw client read timed out") from exc
        except ConnectionResetError:
            return b""
        except OSError as exc:
            if exc.errno in (errno.ECONNRESET, errno.EPIPE):
                return b""
            raise
