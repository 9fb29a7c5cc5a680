"""Hand-built MQTT 5.0 packet bytes and decoding of the properties the broker sends.

Complements mqtt_bytes.py (3.1.1) for raw-socket tests of MQTT 5 behaviour that
Paho cannot express: topic aliases, the AUTH exchange, receive maximum abuse,
exact reason codes and properties. Pure functions, no I/O; any thread.
"""

from __future__ import annotations

import dataclasses
import struct

import mqtt_bytes as mb

AUTH = 15
PROTOCOL_LEVEL_5 = 5

# Property identifiers (MQTT 5.0 section 2.2.2.2).
PAYLOAD_FORMAT_INDICATOR = 0x01
MESSAGE_EXPIRY_INTERVAL = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_IDENTIFIER = 0x0B
SESSION_EXPIRY_INTERVAL = 0x11
ASSIGNED_CLIENT_IDENTIFIER = 0x12
SERVER_KEEP_ALIVE = 0x13
AUTHENTICATION_METHOD = 0x15
AUTHENTICATION_DATA = 0x16
REQUEST_PROBLEM_INFORMATION = 0x17
WILL_DELAY_INTERVAL = 0x18
REQUEST_RESPONSE_INFORMATION = 0x19
RESPONSE_INFORMATION = 0x1A
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28
SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29
SHARED_SUBSCRIPTION_AVAILABLE = 0x2A

_BYTE = {PAYLOAD_FORMAT_INDICATOR, REQUEST_PROBLEM_INFORMATION, REQUEST_RESPONSE_INFORMATION,
         MAXIMUM_QOS, RETAIN_AVAILABLE, WILDCARD_SUBSCRIPTION_AVAILABLE,
         SUBSCRIPTION_IDENTIFIER_AVAILABLE, SHARED_SUBSCRIPTION_AVAILABLE}
_U16 = {SERVER_KEEP_ALIVE, RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS}
_U32 = {MESSAGE_EXPIRY_INTERVAL, SESSION_EXPIRY_INTERVAL, WILL_DELAY_INTERVAL, MAXIMUM_PACKET_SIZE}
_VARINT = {SUBSCRIPTION_IDENTIFIER}
_BINARY = {CORRELATION_DATA, AUTHENTICATION_DATA}
_STRING = {CONTENT_TYPE, RESPONSE_TOPIC, ASSIGNED_CLIENT_IDENTIFIER, AUTHENTICATION_METHOD,
           RESPONSE_INFORMATION, REASON_STRING}
_REPEATABLE = {SUBSCRIPTION_IDENTIFIER, USER_PROPERTY}


def _binary(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def properties(props: list[tuple[int, object]] | None = None) -> bytes:
    """A property block with its length. Values: int for numeric properties,
    str for strings, bytes for binary data, (key, value) for user properties."""
    body = b""
    for ident, value in props or []:
        body += mb.remaining_length(ident)
        if ident in _BYTE:
            body += bytes([value])
        elif ident in _U16:
            body += struct.pack("!H", value)
        elif ident in _U32:
            body += struct.pack("!I", value)
        elif ident in _VARINT:
            body += mb.remaining_length(value)
        elif ident in _BINARY:
            body += _binary(value)
        elif ident in _STRING:
            body += mb.utf8(value)
        elif ident == USER_PROPERTY:
            body += mb.utf8(value[0]) + mb.utf8(value[1])
        else:
            raise ValueError(f"unknown property {ident:#x}")
    return mb.remaining_length(len(body)) + body


@dataclasses.dataclass
class Will(mb.Will):
    """A 3.1.1 will plus its MQTT 5 will properties."""
    props: list[tuple[int, object]] | None = None


def connect(client_id: str, clean_start: bool = True, keepalive: int = 60,
            props: list[tuple[int, object]] | None = None, will: Will | None = None,
            username: str | None = None, password: bytes | str | None = None) -> bytes:
    flags = 0x02 if clean_start else 0
    payload = mb.utf8(client_id)
    if will is not None:
        flags |= will.connect_flags()
        payload += properties(will.props) + mb.utf8(will.topic) + _binary(will.payload)
    if username is not None:
        flags |= 0x80
        payload += mb.utf8(username)
    if password is not None:
        flags |= 0x40
        payload += mb.utf8(password)
    header = mb.utf8("MQTT") + bytes([PROTOCOL_LEVEL_5, flags]) + struct.pack("!H", keepalive)
    return mb.packet(mb.CONNECT << 4, header + properties(props) + payload)


def publish(topic: str, payload: bytes, qos: int = 0, packet_id: int = 0, retain: bool = False,
            props: list[tuple[int, object]] | None = None) -> bytes:
    first = (mb.PUBLISH << 4) | (qos << 1) | (0x01 if retain else 0)
    body = mb.utf8(topic)
    if qos:
        body += struct.pack("!H", packet_id)
    return mb.packet(first, body + properties(props) + payload)


def subscribe(packet_id: int, filters: list[tuple[str, int]],
              props: list[tuple[int, object]] | None = None) -> bytes:
    """filters: (filter, options byte: QoS | 0x04 no local | 0x08 retain as
    published | retain handling << 4)."""
    body = struct.pack("!H", packet_id) + properties(props)
    for topic_filter, options in filters:
        body += mb.utf8(topic_filter) + bytes([options])
    return mb.packet((mb.SUBSCRIBE << 4) | 0x02, body)


def ack(kind: int, packet_id: int, reason: int = 0) -> bytes:
    flags = 0x02 if kind == mb.PUBREL else 0
    return mb.packet((kind << 4) | flags, struct.pack("!HB", packet_id, reason) + b"\x00")


def auth(reason: int, props: list[tuple[int, object]] | None = None) -> bytes:
    return mb.packet(AUTH << 4, bytes([reason]) + properties(props))


def disconnect(reason: int = 0, props: list[tuple[int, object]] | None = None) -> bytes:
    return mb.packet(mb.DISCONNECT << 4, bytes([reason]) + properties(props))


def parse_properties(data: bytes, pos: int) -> tuple[dict[int, object], int]:
    """Decode a property block at pos: ({id: value, repeatable id: [values]}, end)."""
    length, pos = _varint(data, pos)
    end = pos + length
    props: dict[int, object] = {}
    while pos < end:
        ident, pos = _varint(data, pos)
        if ident in _BYTE:
            value, pos = data[pos], pos + 1
        elif ident in _U16:
            value, pos = struct.unpack_from("!H", data, pos)[0], pos + 2
        elif ident in _U32:
            value, pos = struct.unpack_from("!I", data, pos)[0], pos + 4
        elif ident in _VARINT:
            value, pos = _varint(data, pos)
        elif ident in _BINARY or ident in _STRING:
            size = struct.unpack_from("!H", data, pos)[0]
            raw = data[pos + 2:pos + 2 + size]
            value, pos = (raw if ident in _BINARY else raw.decode("utf-8")), pos + 2 + size
        elif ident == USER_PROPERTY:
            key, pos = _string(data, pos)
            val, pos = _string(data, pos)
            value = (key, val)
        else:
            raise ValueError(f"unknown property {ident:#x}")
        if ident in _REPEATABLE:
            props.setdefault(ident, []).append(value)
        else:
            assert ident not in props, f"property {ident:#x} twice"
            props[ident] = value
    return props, end


@dataclasses.dataclass
class Publish:
    topic: str
    packet_id: int
    props: dict[int, object]
    payload: bytes
    qos: int
    retain: bool
    dup: bool


def parse_publish(pkt: mb.Packet) -> Publish:
    topic, pos = _string(pkt.body, 0)
    packet_id = 0
    if pkt.qos:
        packet_id = struct.unpack_from("!H", pkt.body, pos)[0]
        pos += 2
    props, pos = parse_properties(pkt.body, pos)
    return Publish(topic, packet_id, props, pkt.body[pos:], pkt.qos, pkt.retain, pkt.dup)


def parse_connack(pkt: mb.Packet) -> tuple[bool, int, dict[int, object]]:
    """(session present, reason code, properties)."""
    props, _ = parse_properties(pkt.body, 2) if len(pkt.body) > 2 else ({}, 2)
    return bool(pkt.body[0] & 1), pkt.body[1], props


def parse_reason(pkt: mb.Packet, offset: int = 0) -> tuple[int, dict[int, object]]:
    """Reason code and properties of DISCONNECT / AUTH (offset 0) or an ack
    (offset 2, after the packet id); success with no properties may be omitted."""
    if len(pkt.body) <= offset:
        return 0, {}
    reason = pkt.body[offset]
    if len(pkt.body) == offset + 1:
        return reason, {}
    props, _ = parse_properties(pkt.body, offset + 1)
    return reason, props


def parse_suback(pkt: mb.Packet) -> list[int]:
    _, pos = parse_properties(pkt.body, 2)
    return list(pkt.body[pos:])


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _string(data: bytes, pos: int) -> tuple[str, int]:
    size = struct.unpack_from("!H", data, pos)[0]
    return data[pos + 2:pos + 2 + size].decode("utf-8"), pos + 2 + size
