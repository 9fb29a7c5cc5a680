"""Listener URLs (--listen mqtt://, mqtts://, ws://, wss://, ?proxy_protocol=1):
each listener announced with its scheme, start-up errors that say what is
wrong, and the PROXY protocol listener (the header's client replaces the
balancer in logs and in --max_connections_per_ip; no header, no connection)."""

from __future__ import annotations

import socket
import subprocess

import pytest

import broker_process
import mqtt_bytes as mb
from raw_client import RawClient

pytestmark = pytest.mark.ringmq_only


def run_to_exit(*args: str) -> subprocess.CompletedProcess:
    """The broker with these flags, which must refuse to start (bounded: 10 s)."""
    return subprocess.run([str(broker_process.ringmq_binary()), "--shards", "1", *args],
                          capture_output=True, text=True, timeout=10)


def connack_code(sock: socket.socket) -> int | None:
    """The CONNACK's return code, or None if the broker closed without one."""
    buf = bytearray()
    while True:
        packet, _ = mb.parse(buf)
        if packet is not None:
            assert packet.kind == mb.CONNACK
            return packet.connack()[1]
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buf += chunk


def test_plain_mqtt_url_listeners_are_announced_with_their_scheme(start_broker, uid):
    broker = start_broker(listen=["mqtt://127.0.0.1:0", "[::1]:0"])
    lines = broker.log.splitlines()
    for host, port in broker.listeners:
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        assert any(f"listening on {shown}, mqtt://{shown} (plain TCP)" in line for line in lines), broker.log
        client = RawClient(host, port)
        assert client.connect(f"{uid}-{port}").connack()[1] == 0
        client.close()


@pytest.mark.parametrize("args,message", [
    (["--listen", "http://127.0.0.1:0"], "--listen 'http://127.0.0.1:0': unknown scheme 'http'"),
    (["--listen", "mqtt://127.0.0.1:0/mqtt"], "a path belongs to ws:// and wss:// listeners only"),
    (["--listen", "mqtt://127.0.0.1:0?proxy=1"], "unknown option 'proxy'"),
    (["--listen", "mqtts://127.0.0.1:0"], "needs a certificate: give --tls_cert_file and --tls_key_file"),
    (["--listen", "wss://127.0.0.1:0/mqtt"], "needs a certificate"),
    (["--tls_min_version", "1.1"], "--tls_min_version must be 1.2 or 1.3"),
    (["--tls_identity_as_username"], "--tls_identity_as_username needs --tls_require_client_cert"),
    (["--tls_require_client_cert"], "--tls_require_client_cert needs --tls_ca_file"),
])
def test_bad_listener_settings_stop_start_up_with_a_clear_error(args, message):
    result = run_to_exit(*args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def start_proxy_broker(start_broker, **flags):
    """A broker with a ?proxy_protocol=1 listener."""
    return start_broker(listen=["mqtt://127.0.0.1:0?proxy_protocol=1"], flags=flags, log_level="debug")


def proxied(broker, client_address: str, client_port: int) -> socket.socket:
    sock = socket.create_connection((broker.host, broker.port), timeout=10)
    sock.sendall(f"PROXY TCP4 {client_address} 127.0.0.1 {client_port} {broker.port}\r\n".encode())
    return sock


def test_proxy_protocol_listener_takes_the_header_then_mqtt(start_broker, uid):
    broker = start_proxy_broker(start_broker)
    assert any("?proxy_protocol=1 (proxy)" in line for line in broker.log.splitlines()), broker.log
    with proxied(broker, "203.0.113.7", 56324) as sock:
        sock.sendall(mb.connect(f"{uid}-a"))
        assert connack_code(sock) == 0
        sock.sendall(mb.disconnect())
    # Logs name the client the header gave, not the balancer (this test, on 127.0.0.1).
    assert broker.wait_for_log_count(rf"client {uid}-a connected from 203\.0\.113\.7:56324", 1)


def test_proxy_protocol_listener_refuses_a_connection_without_the_header(start_broker, uid):
    broker = start_proxy_broker(start_broker)
    with socket.create_connection((broker.host, broker.port), timeout=10) as sock:
        sock.sendall(mb.connect(f"{uid}-bare"))
        assert connack_code(sock) is None  # closed, never answered


def test_per_ip_limit_counts_the_proxied_client(start_broker, uid):
    broker = start_proxy_broker(start_broker, max_connections_per_ip=1)
    first = proxied(broker, "198.51.100.1", 1000)
    first.sendall(mb.connect(f"{uid}-1"))
    assert connack_code(first) == 0
    # Another client behind the same balancer (same socket address) is a different peer.
    other = proxied(broker, "198.51.100.2", 1001)
    other.sendall(mb.connect(f"{uid}-2"))
    assert connack_code(other) == 0
    # The first client again: over its limit of one.
    again = proxied(broker, "198.51.100.1", 1002)
    again.sendall(mb.connect(f"{uid}-3"))
    assert connack_code(again) is None
    for sock in (first, other, again):
        sock.close()
