"""PROXY protocol listeners (issue 10 §4): --listen mqtt://HOST:PORT?proxy_protocol=1.

A client behind a load balancer reaches the broker through a connection that starts with the
balancer's PROXY header (v1 text or v2 binary) naming the client's address. Raw sockets send
hand-made headers (v1 and v2, both families, LOCAL, UNKNOWN, malformed ones), then MQTT; and HAProxy
(Debian's haproxy) with send-proxy / send-proxy-v2 sits in front of mosquitto_pub/mosquitto_sub.
"""

from __future__ import annotations

import pathlib
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import types

import pytest

import broker_process
import mqtt_bytes as mb
from cli_tools import MosquittoSub, mosquitto_pub
from conftest import assert_clean_stop
from raw_client import RawClient

pytestmark = pytest.mark.ringmq_only

CONNECT_TIMEOUT_S = 2  # --connect_timeout: also the time a PROXY header has to complete
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
REFUSED = "PROXY protocol header refused"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_proxy_listener_broker(log_level: str = "debug") -> broker_process.Broker:
    port = _free_port()
    argv = [str(broker_process.ringmq_binary()), "--listen", f"mqtt://127.0.0.1:{port}?proxy_protocol=1",
            "--shards", "2", "--log_level", log_level, "--connect_timeout", str(CONNECT_TIMEOUT_S)]
    return broker_process.Broker("ringmq", argv, 2, ["127.0.0.1"], known_listeners=[("127.0.0.1", port)])


@pytest.fixture(scope="module")
def proxy_broker():
    broker = _start_proxy_listener_broker()
    yield broker
    assert_clean_stop(broker)


def v1_header(source: str, source_port: int, destination: str, destination_port: int) -> bytes:
    family = "TCP6" if ":" in source else "TCP4"
    return f"PROXY {family} {source} {destination} {source_port} {destination_port}\r\n".encode()


def v2_header(source: str, source_port: int, destination: str, destination_port: int,
              tlvs: bytes = b"") -> bytes:
    if ":" in source:
        family, addresses = 0x21, socket.inet_pton(socket.AF_INET6, source) + \
            socket.inet_pton(socket.AF_INET6, destination)
    else:
        family, addresses = 0x11, socket.inet_aton(source) + socket.inet_aton(destination)
    payload = addresses + struct.pack("!HH", source_port, destination_port) + tlvs
    return V2_SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(payload)) + payload


def v2_local() -> bytes:
    return V2_SIGNATURE + b"\x20\x00\x00\x00"


def proxied_client(broker, header: bytes, client_id: str) -> RawClient:
    """Opens a connection, sends the PROXY header and a CONNECT, and requires CONNACK 0."""
    client = RawClient(broker.host, broker.port)
    client.send(header)
    ack = client.connect(client_id)
    assert ack.connack()[1] == 0, f"CONNACK refused: {ack.connack()}"
    return client


def assert_logged_with_address(broker, client_id: str, address: str, from_line: int) -> None:
    """The broker's line about the client's connection names the address from the header."""
    pattern = rf"client {client_id}\b.*{address.replace('.', r'[.]')}"
    assert broker.wait_for_log(pattern, timeout=5, from_line=from_line), (
        f"no log line for {client_id} naming {address}; log tail:\n{broker.log[-3000:]}")


@pytest.mark.parametrize("make_header", [v1_header, v2_header], ids=["v1", "v2"])
@pytest.mark.parametrize("source", ["203.0.113.7", "2001:db8::7"], ids=["ipv4", "ipv6"])
def test_header_then_publish_and_subscribe(proxy_broker, uid, make_header, source):
    destination = "198.51.100.1" if "." in source else "2001:db8::1"
    first_line = proxy_broker.log_line_count()
    subscriber = proxied_client(proxy_broker, make_header(source, 40001, destination, 1883), f"{uid}-s")
    publisher = proxied_client(proxy_broker, make_header(source, 40002, destination, 1883), f"{uid}-p")
    assert subscriber.subscribe([(f"{uid}/t", 1)]) == [1]
    publisher.publish_qos1(f"{uid}/t", b"through the balancer")
    message = subscriber.recv_publish_acked()
    assert (message.topic(), message.payload()) == (f"{uid}/t", b"through the balancer")
    assert_logged_with_address(proxy_broker, f"{uid}-s", source, first_line)
    publisher.disconnect()
    subscriber.disconnect()


def test_header_and_connect_in_one_segment_or_byte_by_byte(proxy_broker, uid):
    whole = RawClient(proxy_broker.host, proxy_broker.port)
    whole.send(v1_header("192.0.2.10", 5000, "192.0.2.1", 1883) + mb.connect(f"{uid}-a"))
    assert whole.expect(mb.CONNACK).connack()[1] == 0
    trickle = RawClient(proxy_broker.host, proxy_broker.port)
    for byte in v2_header("192.0.2.11", 5001, "192.0.2.1", 1883, tlvs=b"\x04\x00\x02\x00\x00"):
        trickle.send(bytes([byte]))
        time.sleep(0.002)
    assert trickle.connect(f"{uid}-b").connack()[1] == 0
    whole.disconnect()
    trickle.disconnect()


@pytest.mark.parametrize("header", [v2_local(), b"PROXY UNKNOWN\r\n"], ids=["v2-local", "v1-unknown"])
def test_header_without_client_address_is_accepted(proxy_broker, uid, header):
    # A balancer's health check (LOCAL) or an unknown family: the socket's own address stands.
    client = proxied_client(proxy_broker, header, f"{uid}-c")
    client.ping()
    client.disconnect()


def test_connection_without_header_is_refused(proxy_broker, uid):
    first_line = proxy_broker.log_line_count()
    client = RawClient(proxy_broker.host, proxy_broker.port)
    assert client.is_closed_after(mb.connect(f"{uid}-plain"), timeout=5), \
        "a plain MQTT connection to a PROXY listener was not closed"
    assert proxy_broker.wait_for_log(REFUSED, timeout=5, from_line=first_line), proxy_broker.log[-3000:]
    # Only that connection: the listener keeps serving clients that send the header.
    proxied_client(proxy_broker, v1_header("203.0.113.9", 1, "203.0.113.1", 2), f"{uid}-ok").disconnect()


@pytest.mark.parametrize("bad_header", [
    b"PROXY TCP4 203.0.113.7 198.51.100.1 70000 1883\r\n",       # port out of range
    b"PROXY TCP4 203.0.113.300 198.51.100.1 1 1883\r\n",         # address out of range
    b"PROXY TCP9 a b 1 2\r\n",                                    # no such protocol
    b"PROXY UNKNOWN " + b"x" * 120 + b"\r\n",                     # no CRLF within 107 bytes
    V2_SIGNATURE + b"\x21\x11\x10\x01" + bytes(12),               # claims 4097 bytes
    V2_SIGNATURE + b"\x21\x11\x00\x0b" + bytes(11),               # too short for its addresses
    V2_SIGNATURE + b"\x31\x11\x00\x0c" + bytes(12),               # version 3
    V2_SIGNATURE + b"\x21\x12\x00\x0c" + bytes(12),               # UDP
    V2_SIGNATURE[:-1] + b"X\x21\x11\x00\x0c" + bytes(12),        # bad signature
], ids=["v1-port", "v1-address", "v1-protocol", "v1-too-long", "v2-length-too-large",
        "v2-length-too-small", "v2-version", "v2-udp", "v2-signature"])
def test_malformed_header_closes_only_its_connection(proxy_broker, uid, bad_header):
    first_line = proxy_broker.log_line_count()
    bystander = proxied_client(proxy_broker, v1_header("203.0.113.20", 7, "203.0.113.1", 1883), f"{uid}-by")
    client = RawClient(proxy_broker.host, proxy_broker.port)
    assert client.is_closed_after(bad_header + mb.connect(f"{uid}-bad"), timeout=5)
    assert proxy_broker.wait_for_log(REFUSED, timeout=5, from_line=first_line), proxy_broker.log[-3000:]
    bystander.ping()
    bystander.disconnect()


def test_header_that_never_completes_times_out(proxy_broker):
    # A v2 header promising 100 bytes after its first 16 that sends 20: closed by --connect_timeout.
    client = RawClient(proxy_broker.host, proxy_broker.port)
    client.send(V2_SIGNATURE + b"\x21\x11\x00\x64" + bytes(20))
    started = time.monotonic()
    assert client.wait_closed(timeout=CONNECT_TIMEOUT_S + 5), "incomplete PROXY header kept its connection"
    assert time.monotonic() - started >= CONNECT_TIMEOUT_S - 1


# ---------------------------------------------------------------------------------------------
# HAProxy in front

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def _wait_connectable(port: int, proc: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"haproxy exited with {proc.returncode}: {proc.stdout.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"haproxy not accepting on 127.0.0.1:{port} within {timeout} s")


@pytest.fixture
def haproxy_in_front(proxy_broker):
    """Starts HAProxy (foreground, TCP mode) forwarding 127.0.0.1:<port> to the broker with the given
    send-proxy option; yields an object with host and port, as the mosquitto client helpers take."""
    if not pathlib.Path(HAPROXY).exists():
        pytest.skip("haproxy is not installed (tools/install-deps.sh --test installs it)")
    started = []

    def start(send_proxy: str):
        port = _free_port()
        directory = tempfile.TemporaryDirectory(prefix="ringmq-it-haproxy-")
        config = pathlib.Path(directory.name) / "haproxy.cfg"
        config.write_text(f"""
global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend mqtt
  bind 127.0.0.1:{port}
  default_backend ringmq
backend ringmq
  server broker {proxy_broker.host}:{proxy_broker.port} {send_proxy}
""")
        proc = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append((proc, directory))
        _wait_connectable(port, proc)
        return types.SimpleNamespace(host="127.0.0.1", port=port)

    yield start
    for proc, directory in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        directory.cleanup()


@pytest.mark.parametrize("send_proxy", ["send-proxy", "send-proxy-v2"])
def test_mosquitto_clients_through_haproxy(proxy_broker, haproxy_in_front, uid, send_proxy):
    balancer = haproxy_in_front(send_proxy)
    first_line = proxy_broker.log_line_count()
    subscriber = MosquittoSub(balancer, f"{uid}-sub", f"{uid}/t", qos=1, count=2)
    subscriber.wait_subscribed()
    mosquitto_pub(balancer, f"{uid}-pub", f"{uid}/t", "one", qos=1)
    mosquitto_pub(balancer, f"{uid}-pub", f"{uid}/t", "two", qos=0)
    assert subscriber.wait_done() == [f"{uid}/t one", f"{uid}/t two"]
    # HAProxy's client is on loopback too: the address the broker logs is the one HAProxy saw.
    assert_logged_with_address(proxy_broker, f"{uid}-sub", "127.0.0.1", first_line)
    assert REFUSED not in "".join(proxy_broker.log.splitlines(keepends=True)[first_line:])
