#!/usr/bin/env python3
"""Restart time of ringmq with many durable retained messages, and disk bytes per message.

Starts the broker with --data_dir, loads --messages retained messages (distinct topics, --size byte
payloads, QoS 0 pipelined over one connection, then one QoS 1 round trip per shard's topic so every
update has been applied), stops it with SIGTERM (which saves what is pending), and restarts it
--restarts times, reporting for each: the broker's own restore time (its "retained messages
restored in N ms" line), the time from exec to its listener, and to a new subscriber getting one of
the restored messages. Loopback only; the data directory is a fresh temporary one.

  /usr/bin/python3 bench/net/retained_restart_bench.py --messages 1000000 --shards 2
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

LISTEN_RE = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")
RESTORED_RE = re.compile(rb"(\d+) retained messages restored in (\d+) ms")


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def connect_packet(client_id: str) -> bytes:
    body = utf8("MQTT") + bytes([4, 0x02]) + (60).to_bytes(2, "big") + utf8(client_id)
    return bytes([0x10]) + varint(len(body)) + body


def publish_packet(topic: str, payload: bytes, qos: int = 0, packet_id: int = 1) -> bytes:
    body = utf8(topic) + (packet_id.to_bytes(2, "big") if qos else b"") + payload
    return bytes([0x30 | (qos << 1) | 1]) + varint(len(body)) + body


def subscribe_packet(topic: str) -> bytes:
    body = (1).to_bytes(2, "big") + utf8(topic) + bytes([1])
    return bytes([0x82]) + varint(len(body)) + body


def read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise RuntimeError("broker closed the connection")
        data += chunk
    return data


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    first = read_exactly(sock, 1)[0]
    length, shift = 0, 0
    while True:
        byte = read_exactly(sock, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return first >> 4, read_exactly(sock, length)


def open_client(port: int, client_id: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(connect_packet(client_id))
    kind, _ = read_packet(sock)
    assert kind == 2, f"expected CONNACK, got {kind}"
    return sock


class Broker:
    def __init__(self, binary: str, data_dir: str, shards: int):
        self.started = time.monotonic()
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--shards", str(shards), "--data_dir",
                                      data_dir, "--sys_interval", "0"], stderr=subprocess.PIPE)
        self.lines: list[bytes] = []
        self.port = 0
        self.listening_s = 0.0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError(b"".join(self.lines).decode(errors="replace"))
            self.lines.append(line)
            match = LISTEN_RE.search(line)
            if match:
                self.port = int(match.group(1))
                self.listening_s = time.monotonic() - self.started
                return
        raise RuntimeError("broker did not listen within 300 s")

    def restored(self) -> tuple[int, int]:
        for line in self.lines:
            match = RESTORED_RE.search(line)
            if match:
                return int(match.group(1)), int(match.group(2))
        return 0, 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=120)


def topic(i: int) -> str:
    return f"fleet/region-{i % 50:02d}/vehicle-{i:07d}/state"


def load(port: int, messages: int, size: int) -> float:
    start = time.monotonic()
    sock = open_client(port, "loader")
    payload = b"s" * size
    chunk = bytearray()
    for i in range(messages):
        chunk += publish_packet(topic(i), payload)
        if len(chunk) >= 1 << 20:
            sock.sendall(chunk)
            chunk.clear()
    sock.sendall(chunk)
    # A QoS 1 round trip behind the QoS 0 stream: the broker has read and applied everything before it.
    sock.sendall(publish_packet(topic(messages - 1), payload, qos=1, packet_id=7))
    while read_packet(sock)[0] != 4:
        pass
    sock.close()
    return time.monotonic() - start


def first_retained_s(broker: Broker, messages: int) -> float:
    sock = open_client(broker.port, "probe")
    sock.sendall(subscribe_packet(topic(messages // 2)))
    while True:
        kind, _ = read_packet(sock)
        if kind == 3:
            sock.close()
            return time.monotonic() - broker.started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=64, help="payload bytes")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--binary", default=os.environ.get("RINGMQ_BIN", "build/net/ringmq"))
    parser.add_argument("--dir", default=None, help="parent of the temporary data directory (default: /tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ringmq-restart-bench-", dir=args.dir) as data_dir:
        broker = Broker(args.binary, data_dir, args.shards)
        load_s = load(broker.port, args.messages, args.size)
        broker.stop()
        disk = sum(os.path.getsize(os.path.join(data_dir, name)) for name in os.listdir(data_dir))
        print(f"loaded {args.messages} retained messages ({args.size} B payload, topic ~{len(topic(0))} B) "
              f"in {load_s:.1f} s; disk {disk / 1e6:.1f} MB = {disk / args.messages:.1f} bytes per message")
        for run in range(args.restarts):
            broker = Broker(args.binary, data_dir, args.shards)
            probe_s = first_retained_s(broker, args.messages)
            restored, restore_ms = broker.restored()
            print(f"restart {run + 1}: {restored} restored in {restore_ms} ms (broker's log); listening after "
                  f"{broker.listening_s:.2f} s; first retained message to a new subscriber after {probe_s:.2f} s")
            for line in broker.lines:
                if b"persistence:" in line:
                    print("   ", line.decode(errors="replace").rstrip())
            broker.stop()
            if restored != args.messages:
                print(f"error: expected {args.messages} restored", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
