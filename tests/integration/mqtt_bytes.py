"""Hand-built MQTT 3.1.1 packet bytes and a tiny incremental parser.

Used by raw-socket tests that need byte-exact control (malformed input,
DUP retransmission, precise flag checks) that Paho will not produce.
Pure functions, no I/O; owned by whichever test thread calls them.
"""

from __future__ import annotations

import dataclasses
import struct

CONNECT = 1
CONNACK = 2
PUBLISH = 3
PUBACK = 4
PUBREC = 5
PUBREL = 6
PUBCOMP = 7
SUBSCRIBE = 8
SUBACK = 9
UNSUBSCRIBE = 10
UNSUBACK = 11
PINGREQ = 12
PINGRESP = 13
DISCONNECT = 14

PROTOCOL_LEVEL_311 = 4


def remaining_length(n: int) -> bytes:
    """Variable byte integer encoding of the remaining length."""
    out = bytearray()
    while True:
        digit = n % 128
        n //= 128
        if n:
            digit |= 0x80
        out.append(digit)
        if not n:
            return bytes(out)


def utf8(s: str | bytes) -> bytes:
    """Two-byte length prefixed string; bytes are passed through unchecked
    so tests can send invalid UTF-8 on purpose."""
    raw = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("!H", len(raw)) + raw


def packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + remaining_length(len(body)) + body


@dataclasses.dataclass
class Will:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False

    def connect_flags(self) -> int:
        """The CONNECT flag bits announcing this will: will flag, QoS, retain."""
        return 0x04 | (self.qos << 3) | (0x20 if self.retain else 0)


def connect(client_id: str | bytes, clean_session: bool = True, keepalive: int = 60,
            will: Will | None = None, protocol_level: int = PROTOCOL_LEVEL_311,
            protocol_name: bytes = b"MQTT", reserved_flag: bool = False,
            username: str | None = None, password: bytes | str | None = None) -> bytes:
    flags = 0x02 if clean_session else 0
    if reserved_flag:
        flags |= 0x01
    payload = utf8(client_id)
    if will is not None:
        flags |= will.connect_flags()
        payload += utf8(will.topic) + utf8(will.payload)
    if username is not None:
        flags |= 0x80
        payload += utf8(username)
    if password is not None:
        flags |= 0x40
        payload += utf8(password)
    header = utf8(protocol_name) + bytes([protocol_level, flags]) + struct.pack("!H", keepalive)
    return packet(CONNECT << 4, header + payload)


def publish(topic: str | bytes, payload: bytes, qos: int = 0, packet_id: int = 0,
            retain: bool = False, dup: bool = False) -> bytes:
    first = (PUBLISH << 4) | (qos << 1) | (0x08 if dup else 0) | (0x01 if retain else 0)
    body = utf8(topic)
    if qos:
        body += struct.pack("!H", packet_id)
    return packet(first, body + payload)


def _ack(kind: int, packet_id: int, flags: int = 0) -> bytes:
    return packet((kind << 4) | flags, struct.pack("!H", packet_id))


def puback(packet_id: int) -> bytes:
    return _ack(PUBACK, packet_id)


def pubrec(packet_id: int) -> bytes:
    return _ack(PUBREC, packet_id)


def pubrel(packet_id: int) -> bytes:
    return _ack(PUBREL, packet_id, flags=0x02)


def pubcomp(packet_id: int) -> bytes:
    return _ack(PUBCOMP, packet_id)


def subscribe(packet_id: int, filters: list[tuple[str | bytes, int]], flags: int = 0x02) -> bytes:
    body = struct.pack("!H", packet_id)
    for topic_filter, qos in filters:
        body += utf8(topic_filter) + bytes([qos])
    return packet((SUBSCRIBE << 4) | flags, body)


def unsubscribe(packet_id: int, filters: list[str]) -> bytes:
    body = struct.pack("!H", packet_id) + b"".join(utf8(f) for f in filters)
    return packet((UNSUBSCRIBE << 4) | 0x02, body)


def pingreq() -> bytes:
    return packet(PINGREQ << 4, b"")


def disconnect() -> bytes:
    return packet(DISCONNECT << 4, b"")


@dataclasses.dataclass
class Packet:
    kind: int
    flags: int
    body: bytes

    @property
    def qos(self) -> int:
        return (self.flags >> 1) & 0x03

    @property
    def retain(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def dup(self) -> bool:
        return bool(self.flags & 0x08)

    def packet_id(self) -> int:
        """Packet id of an ack, SUBACK, UNSUBACK or QoS>0 PUBLISH."""
        if self.kind == PUBLISH:
            topic_len = struct.unpack_from("!H", self.body)[0]
            return struct.unpack_from("!H", self.body, 2 + topic_len)[0]
        return struct.unpack_from("!H", self.body)[0]

    def topic(self) -> str:
        topic_len = struct.unpack_from("!H", self.body)[0]
        return self.body[2:2 + topic_len].decode("utf-8")

    def payload(self) -> bytes:
        topic_len = struct.unpack_from("!H", self.body)[0]
        start = 2 + topic_len + (2 if self.qos else 0)
        return self.body[start:]

    def connack(self) -> tuple[bool, int]:
        """(session present, return code)."""
        return bool(self.body[0] & 0x01), self.body[1]

    def suback_codes(self) -> list[int]:
        return list(self.body[2:])


def parse(buf: bytes | bytearray) -> tuple[Packet | None, int]:
    """Parse one packet from the front of buf: (packet, bytes consumed),
    or (None, 0) when buf does not yet hold a complete packet."""
    if len(buf) < 2:
        return None, 0
    length, multiplier, pos = 0, 1, 1
    while True:
        if pos >= len(buf):
            return None, 0
        digit = buf[pos]
        length += (digit & 0x7F) * multiplier
        multiplier *= 128
        pos += 1
        if not digit & 0x80:
            break
        if pos > 4:
            raise ValueError("remaining length longer than 4 bytes")
    end = pos + length
    if len(buf) < end:
        return None, 0
    first = buf[0]
    return Packet(first >> 4, first & 0x0F, bytes(buf[pos:end])), end
