#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer targets: tests/fuzz/corpus/<target>/<sha1 of the input>.

The seeds are the byte vectors the tests already use:
  - every whole packet the codec unit tests build (tests/core/codec_test_util.h writes them when
    RINGMQ_DUMP_PACKETS_TO is set; this script runs the gcc-built unit tests of BUILD_DIR, default
    build/, so build them first: ninja -C build tests/decoder_test tests/decode_connect_test ...),
  - the packets of the integration helpers (tests/integration/mqtt_bytes.py, mqtt5_bytes.py) and the
    malformed packets of tests/integration/test_malformed.py, alone and as whole sessions,
  - the string literals of tests/core/topic_test.cc and utf8_test.cc,
  - PROXY protocol headers: the v1 lines of tests/core/proxy_protocol_test.cc and v2 headers of every
    family, alone and followed by a CONNECT.
  - WebSocket frames and upgrade requests from tests/integration/websocket_bytes.py (RFC 6455's
    examples, fragmented messages with control frames between, each violation), carrying MQTT packets.
Each corpus directory is rewritten from scratch, so the output depends only on those sources.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [BUILD_DIR]

A new target gets its seeds by adding an entry to SEEDS below (its name as in tests/fuzz/meson.build).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import mqtt_bytes as mb  # noqa: E402
import mqtt5_bytes as m5  # noqa: E402
import test_malformed  # noqa: E402
import websocket_bytes as wsb  # noqa: E402

CORPUS = ROOT / "tests" / "fuzz" / "corpus"
# libFuzzer's default -max_len; larger seeds would only be cut.
MAX_SEED_BYTES = 4096
# The codec unit tests whose packets go through ParseWhole (tests/core/codec_test_util.h).
CODEC_TESTS = ["decoder", "decode_connect", "decode_publish", "encoder", "passthrough_properties",
               "properties_codec"]


def unit_test_packets(build_dir: pathlib.Path) -> list[bytes]:
    """Every distinct packet the codec unit tests build, as they build it."""
    with tempfile.TemporaryDirectory() as dump:
        for name in CODEC_TESTS:
            binary = build_dir / "tests" / f"{name}_test"
            if not binary.exists():
                sys.exit(f"{binary} is missing: ninja -C {build_dir} "
                         + " ".join(f"tests/{n}_test" for n in CODEC_TESTS))
            env = dict(os.environ, RINGMQ_DUMP_PACKETS_TO=dump)
            # DecoderRobustness re-encodes thousands of random mutations: fuzzer material, not seeds.
            subprocess.run([str(binary), "--gtest_filter=-DecoderRobustness.*"], env=env, check=True,
                           stdout=subprocess.DEVNULL, timeout=120)
        return [path.read_bytes() for path in sorted(pathlib.Path(dump).iterdir())]


def pid(packet_id: int) -> bytes:
    return packet_id.to_bytes(2, "big")


def packets_311() -> list[bytes]:
    """One of every packet type a 3.1.1 connection carries, both directions, from mqtt_bytes.py."""
    will = mb.Will("will/t", b"gone", qos=1, retain=True)
    return [
        mb.connect("c1"),
        mb.connect("c2", clean_session=False, keepalive=0, will=will),
        mb.connect("legacy", protocol_level=3, protocol_name=b"MQIsdp"),
        mb.connect("c3", protocol_level=6),
        mb.publish("sensors/kitchen/temperature", b"21.5"),
        mb.publish("a/b", b"payload", qos=1, packet_id=7, retain=True),
        mb.publish("a/b", b"", qos=2, packet_id=65535, dup=True),
        mb.puback(7), mb.pubrec(8), mb.pubrel(8), mb.pubcomp(8),
        mb.subscribe(1, [("a/+/c", 0), ("#", 1), ("$SYS/#", 2), ("$share/g/t/+", 1)]),
        mb.unsubscribe(2, ["a/+/c", "#"]),
        mb.pingreq(), mb.disconnect(),
        mb.packet(mb.CONNACK << 4, b"\x01\x00"),
        mb.packet(mb.CONNACK << 4, b"\x00\x05"),
        mb.packet(mb.SUBACK << 4, pid(1) + b"\x00\x01\x02\x80"),
        mb.packet(mb.UNSUBACK << 4, pid(2)),
        mb.packet(mb.PINGRESP << 4, b""),
    ]


def packets_5() -> list[bytes]:
    """One of every packet type a 5.0 connection carries, with their properties, from mqtt5_bytes.py."""
    will = m5.Will("will/t", b"gone", qos=2, props=[
        (m5.WILL_DELAY_INTERVAL, 30), (m5.PAYLOAD_FORMAT_INDICATOR, 1), (m5.CONTENT_TYPE, "text/plain"),
        (m5.RESPONSE_TOPIC, "reply/here"), (m5.CORRELATION_DATA, b"\x01\x02"), (m5.MESSAGE_EXPIRY_INTERVAL, 60),
        (m5.USER_PROPERTY, ("k", "v"))])
    message_props = [(m5.PAYLOAD_FORMAT_INDICATOR, 1), (m5.MESSAGE_EXPIRY_INTERVAL, 3600),
                     (m5.CONTENT_TYPE, "application/json"), (m5.RESPONSE_TOPIC, "reply/t"),
                     (m5.CORRELATION_DATA, b"\xff\x00"), (m5.USER_PROPERTY, ("a", "1")),
                     (m5.USER_PROPERTY, ("a", "2"))]
    reason = [(m5.REASON_STRING, "why"), (m5.USER_PROPERTY, ("k", "v"))]
    return [
        m5.connect("c5", props=[(m5.SESSION_EXPIRY_INTERVAL, 120), (m5.RECEIVE_MAXIMUM, 10),
                                (m5.MAXIMUM_PACKET_SIZE, 4096), (m5.TOPIC_ALIAS_MAXIMUM, 5),
                                (m5.REQUEST_RESPONSE_INFORMATION, 1), (m5.REQUEST_PROBLEM_INFORMATION, 0),
                                (m5.USER_PROPERTY, ("k", "v"))], will=will, username="user"),
        m5.connect("auth", props=[(m5.AUTHENTICATION_METHOD, "SCRAM-SHA-1"),
                                  (m5.AUTHENTICATION_DATA, b"client-first")]),
        m5.connect("", clean_start=False),
        m5.publish("a/b", b"{}", qos=1, packet_id=3, retain=True, props=message_props),
        m5.publish("a/b", b"x", props=[(m5.TOPIC_ALIAS, 1)]),
        m5.publish("", b"x", qos=2, packet_id=4, props=[(m5.TOPIC_ALIAS, 1)]),
        m5.publish("a/b", b"x", props=[(m5.SUBSCRIPTION_IDENTIFIER, 1), (m5.SUBSCRIPTION_IDENTIFIER, 268435455)]),
        m5.publish("a/b", b"\xff", props=[(m5.PAYLOAD_FORMAT_INDICATOR, 1)]),
        m5.subscribe(5, [("a/+", 0x01), ("b/#", 0x02 | 0x04 | 0x08 | 0x20), ("$share/g/c", 0x11)],
                     props=[(m5.SUBSCRIPTION_IDENTIFIER, 42), (m5.USER_PROPERTY, ("k", "v"))]),
        mb.packet((mb.UNSUBSCRIBE << 4) | 0x02, pid(6) + m5.properties([(m5.USER_PROPERTY, ("k", "v"))])
                  + mb.utf8("a/+") + mb.utf8("$share/g/c")),
        m5.ack(mb.PUBACK, 3, 0x10), m5.ack(mb.PUBREC, 4, 0x80), m5.ack(mb.PUBREL, 4, 0x92), m5.ack(mb.PUBCOMP, 4),
        mb.packet(mb.PUBACK << 4, pid(3)),
        mb.packet(mb.PUBACK << 4, pid(3) + b"\x97" + m5.properties(reason)),
        m5.auth(0x18, [(m5.AUTHENTICATION_METHOD, "SCRAM-SHA-1"), (m5.AUTHENTICATION_DATA, b"client-final")]),
        m5.auth(0x19, [(m5.AUTHENTICATION_METHOD, "SCRAM-SHA-1")]),
        mb.packet(m5.AUTH << 4, b"\x18"),
        m5.disconnect(0x04, [(m5.SESSION_EXPIRY_INTERVAL, 0), (m5.REASON_STRING, "bye")]),
        # Server Reference (0x1C), which mqtt5_bytes.py does not name.
        mb.packet(mb.DISCONNECT << 4, b"\x9c" + mb.remaining_length(11) + b"\x1c" + mb.utf8("other") + b"\x1f" + mb.utf8("")),
        mb.pingreq(),
        mb.packet(mb.CONNACK << 4, b"\x00\x00" + m5.properties([
            (m5.ASSIGNED_CLIENT_IDENTIFIER, "auto-1"), (m5.SERVER_KEEP_ALIVE, 30), (m5.RECEIVE_MAXIMUM, 20),
            (m5.MAXIMUM_QOS, 1), (m5.RETAIN_AVAILABLE, 0), (m5.MAXIMUM_PACKET_SIZE, 65536),
            (m5.TOPIC_ALIAS_MAXIMUM, 10), (m5.WILDCARD_SUBSCRIPTION_AVAILABLE, 1),
            (m5.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1), (m5.SHARED_SUBSCRIPTION_AVAILABLE, 1),
            (m5.RESPONSE_INFORMATION, "resp/"), (m5.SESSION_EXPIRY_INTERVAL, 60)])),
        mb.packet(mb.CONNACK << 4, b"\x00\x87" + m5.properties(reason)),
        mb.packet(mb.SUBACK << 4, pid(5) + m5.properties(reason) + b"\x00\x01\x02\x80\x8f\x9e\xa1\xa2"),
        mb.packet(mb.UNSUBACK << 4, pid(6) + m5.properties([]) + b"\x00\x11\x87"),
    ]


def sessions(packets: list[bytes]) -> list[bytes]:
    """Whole streams: the packets in order, and CONNECT followed by each other packet."""
    streams = [b"".join(packets)]
    streams += [packets[0] + packet for packet in packets[1:]]
    return streams


def decoder_seeds(version_packets: list[bytes], unit_packets: list[bytes]) -> list[bytes]:
    malformed = list(test_malformed.AFTER_CONNECT.values())
    return version_packets + sessions(version_packets) + malformed + unit_packets


def c_string_literals(path: pathlib.Path) -> list[bytes]:
    """The string literals of a C++ source (outside #include lines), their escapes resolved."""
    literals = []
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"', line):
            literals.append(unescape_c(match.group(1)))
    return literals


def unescape_c(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] != "\\":
            out += text[i].encode("utf-8")
            i += 1
            continue
        escape = text[i + 1]
        if escape == "x":
            digits = re.match(r"[0-9A-Fa-f]+", text[i + 2:]).group(0)
            out.append(int(digits, 16) & 0xFF)
            i += 2 + len(digits)
        elif escape in "01234567":
            digits = re.match(r"[0-7]{1,3}", text[i + 1:]).group(0)
            out.append(int(digits, 8) & 0xFF)
            i += 1 + len(digits)
        else:
            out += {"n": b"\n", "t": b"\t", "r": b"\r", "f": b"\f", "v": b"\v", "a": b"\a", "b": b"\b",
                    "?": b"?", "\\": b"\\", '"': b'"', "'": b"'"}[escape]
            i += 2
    return bytes(out)


def integration_topics() -> list[bytes]:
    """Topics and filters the integration helpers send, valid and not."""
    return [b"a/+/b", b"a/#", b"+", b"", b"a/\xff", b"a/\xc0\xaf", b"a/\xed\xa0\x80", b"a\x00b",
            b"sensors/kitchen/temperature", b"$SYS/#", b"$share/g/t/+", b"$share/g/c", b"will/t"]


def text_seeds(*sources: str) -> list[bytes]:
    literals = []
    for source in sources:
        literals += c_string_literals(ROOT / "tests" / "core" / source)
    return literals + integration_topics()


def file_seeds(*sources: str) -> list[bytes]:
    """The literals of the parser's unit tests, one by one and all joined as one file (a line each)."""
    literals = []
    for source in sources:
        literals += c_string_literals(ROOT / "tests" / "core" / source)
    return literals + [b"\n".join(literals)]


def integration_acl() -> bytes:
    """The ACL the integration tests use (users, anonymous section, patterns, denies, $ rules)."""
    import test_access_control  # noqa: E402 - tests/integration is on sys.path
    return test_access_control.ACL.encode("utf-8")


def websocket_frame_seeds() -> list[bytes]:
    """Client frame streams, each after the selector byte the target reads first (message size limit
    and cut point): 0x00 = no limit, 0x01 = 64 bytes."""
    connect, ping = mb.connect("ws-client"), mb.pingreq()
    f = wsb.client_frame
    streams = [
        bytes([0x82, 0x85]) + wsb.RFC_MASK + bytes([0x7f, 0x9f, 0x4d, 0x51, 0x58]),  # RFC 5.7 Hello, binary
        bytes([0x81, 0x85]) + wsb.RFC_MASK + bytes([0x7f, 0x9f, 0x4d, 0x51, 0x58]),  # ... as text
        bytes([0x81, 0x05]) + b"Hello",  # RFC 5.7 unmasked
        f(wsb.PONG, b"Hello"),
        f(wsb.BINARY, connect) + f(wsb.BINARY, ping + ping),
        f(wsb.BINARY, connect[:3], fin=False) + f(wsb.PING, b"p") + f(wsb.CONTINUATION, connect[3:9], fin=False)
        + f(wsb.PONG, b"") + f(wsb.CONTINUATION, connect[9:]) + f(wsb.CLOSE, wsb.close_payload(1000, b"bye")),
        f(wsb.BINARY, bytes(range(256)) * 2) + f(wsb.BINARY, b"x" * 70000)[:300],
        f(wsb.BINARY, b"ab", length_form=16) + f(wsb.BINARY, b"cd", length_form=64),
        f(wsb.BINARY, b"", fin=False) + f(wsb.CONTINUATION, b"") + f(wsb.PING, b""),
        f(wsb.CLOSE, b""), f(wsb.CLOSE, b"\x03"), f(wsb.CLOSE, wsb.close_payload(1005)),
        f(wsb.PING, b"a" * 126), f(wsb.PING, b"x", fin=False), f(wsb.BINARY, b"x", rsv=4),
        f(0x3, b"x"), f(wsb.CONTINUATION, b"x"), f(wsb.BINARY, b"a", fin=False) + f(wsb.BINARY, b"b"),
        bytes([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]) + wsb.RFC_MASK,
        f(wsb.BINARY, b"y" * 65, fin=True),
    ]
    return [bytes([selector]) + stream for stream in streams for selector in (0x00, 0x01)]


def http_upgrade_seeds() -> list[bytes]:
    """Upgrade requests after the target's selector byte (cut point; odd = an Origin allow-list)."""
    requests = [
        wsb.upgrade_request(), wsb.upgrade_request(protocols="mqttv3.1"), wsb.upgrade_request(protocols=None),
        wsb.upgrade_request(protocols="chat, superchat"), wsb.upgrade_request(path="/other"),
        wsb.upgrade_request(version="8"), wsb.upgrade_request(origin="http://example.com"),
        wsb.upgrade_request(origin="http://evil.example"), wsb.upgrade_request(key="c2hvcnQ="),
        wsb.upgrade_request(extra=["Connection: keep-alive", "X-Forwarded-For: 10.0.0.1"]),
        wsb.upgrade_request().replace(b"\r\n", b"\n"),
        wsb.upgrade_request() + wsb.client_frame(wsb.BINARY, mb.connect("early")),
    ]
    literals = c_string_literals(ROOT / "tests" / "core" / "http_upgrade_test.cc")
    return [bytes([selector]) + request for request in requests + literals for selector in (0x10, 0x11)]


def write_corpus(target: str, seeds: list[bytes]) -> int:
    directory = CORPUS / target
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    names = set()
    for seed in seeds:
        if len(seed) > MAX_SEED_BYTES:
            continue
        name = hashlib.sha1(seed).hexdigest()
        names.add(name)
        (directory / name).write_bytes(seed)
    return len(names)


def proxy_v2(command: int, family_transport: int, payload: bytes) -> bytes:
    signature = b"\r\n\r\n\x00\r\nQUIT\n"
    return signature + bytes([0x20 | command, family_transport]) + len(payload).to_bytes(2, "big") + payload


def proxy_seeds() -> list[bytes]:
    """PROXY protocol headers: the unit tests' v1 lines, and v2 headers of each family, with TLVs."""
    v1 = [line for line in c_string_literals(ROOT / "tests" / "core" / "proxy_protocol_test.cc")
          if line.startswith(b"PROXY")]
    ports = (51234).to_bytes(2, "big") + (1883).to_bytes(2, "big")
    tlvs = b"\x01\x00\x02h2" + b"\x04\x00\x03\x00\x00\x00" + b"\xea\x00\x04vpce"
    v2 = [
        proxy_v2(1, 0x11, bytes([203, 0, 113, 7, 10, 0, 0, 2]) + ports),
        proxy_v2(1, 0x11, bytes([203, 0, 113, 7, 10, 0, 0, 2]) + ports + tlvs),
        proxy_v2(1, 0x21, bytes(15) + b"\x01" + bytes(15) + b"\x02" + ports),
        proxy_v2(1, 0x21, bytes(15) + b"\x01" + bytes(15) + b"\x02" + ports + tlvs),
        proxy_v2(1, 0x31, b"/run/client".ljust(108, b"\x00") + b"/run/ringmq".ljust(108, b"\x00")),
        proxy_v2(1, 0x00, b""),
        proxy_v2(0, 0x00, b""),
        proxy_v2(0, 0x11, bytes(12)),
        # HAProxy 2.6 send-proxy-v2 with proxy-v2-options ssl,unique-id,authority,crc32c.
        bytes.fromhex("0d0a0d0a000d0a515549540a211100477f0000017f000001a3fa9f2f03000425f4f15305002937463030"
                      "303030313a413346415f37463030303030313a394632465f36423135323634365f3030303020000500"
                      "00000000"),
    ]
    return v1 + v2 + [header + mb.connect("p") for header in v1[:2] + v2]


def main() -> None:
    build_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
    unit_packets = unit_test_packets(build_dir)
    seeds = {
        "mqtt311_decoder": decoder_seeds(packets_311(), unit_packets),
        "mqtt5_decoder": decoder_seeds(packets_5(), unit_packets),
        "topic": text_seeds("topic_test.cc", "utf8_test.cc"),
        "utf8": text_seeds("utf8_test.cc", "topic_test.cc"),
        "password_file": file_seeds("password_file_test.cc", "credential_cache_test.cc"),
        "acl": file_seeds("acl_test.cc") + [integration_acl()],
        "scram_credentials": file_seeds("scram_credentials_test.cc"),
        "proxy_protocol": proxy_seeds(),
        "websocket_frame": websocket_frame_seeds(),
        "http_upgrade": http_upgrade_seeds(),
    }
    for target, target_seeds in seeds.items():
        count = write_corpus(target, target_seeds)
        print(f"corpus {target}: {count} seeds in {(CORPUS / target).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
