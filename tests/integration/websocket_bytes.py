"""Hand-built WebSocket bytes (RFC 6455): a client's upgrade request and masked frames, and a reader
of the server's unmasked frames.

Used by the raw WebSocket client of test_websocket.py and by tests/fuzz/make_corpus.py for seeds.
Pure functions, no I/O; owned by whichever thread calls them.
"""

from __future__ import annotations

import base64
import hashlib
import struct

CONTINUATION = 0x0
TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8
PING = 0x9
PONG = 0xA

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
RFC_MASK = b"\x37\xfa\x21\x3d"  # RFC 6455 section 5.7's examples


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def upgrade_request(path: str = "/mqtt", host: str = "127.0.0.1", key: str = RFC_KEY,
                    protocols: str | None = "mqtt", version: str | None = "13", origin: str | None = None,
                    extra: list[str] | None = None) -> bytes:
    """A browser-like upgrade request; a None field leaves its header out."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}"]
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if protocols is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocols}")
    if origin is not None:
        lines.append(f"Origin: {origin}")
    lines += extra or []
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def client_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = RFC_MASK,
                 length_form: int | None = None, rsv: int = 0) -> bytes:
    """A client frame; mask=None sends it unmasked (a violation). length_form 7, 16 or 64 forces the
    length's encoding (default: the shortest)."""
    size = len(payload)
    if length_form is None:
        length_form = 7 if size < 126 else 16 if size <= 0xFFFF else 64
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if mask is not None else 0
    if length_form == 7:
        header = bytes([first, mask_bit | size])
    elif length_form == 16:
        header = bytes([first, mask_bit | 126]) + struct.pack(">H", size)
    else:
        header = bytes([first, mask_bit | 127]) + struct.pack(">Q", size)
    if mask is None:
        return header + payload
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack(">H", code) + reason


def parse_server_frames(data: bytes) -> tuple[list[tuple[bool, int, bytes]], bytes]:
    """The whole server frames at the start of data as (fin, opcode, payload), and the bytes left.
    Server frames must be unmasked with no reserved bits (asserted)."""
    frames = []
    pos = 0
    while len(data) - pos >= 2:
        first, second = data[pos], data[pos + 1]
        assert first & 0x70 == 0, f"reserved bits in server frame {data[pos:pos + 2].hex()}"
        assert second & 0x80 == 0, "server frames must not be masked"
        length = second & 0x7F
        header = 2
        if length == 126:
            if len(data) - pos < 4:
                break
            length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
            header = 4
        elif length == 127:
            if len(data) - pos < 10:
                break
            length = struct.unpack(">Q", data[pos + 2:pos + 10])[0]
            header = 10
        if len(data) - pos < header + length:
            break
        frames.append((bool(first & 0x80), first & 0x0F, data[pos + header:pos + header + length]))
        pos += header + length
    return frames, data[pos:]
