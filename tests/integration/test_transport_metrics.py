"""Transport and persistence metrics (issue 12 §3), moved by real clients.

One broker (2 shards) listens on plain TCP, mqtts://, ws://, wss:// and a PROXY listener, with
--data_dir and --metrics_listen. Each test does one thing a client can do (a full TLS handshake and a
resumed one with Python's ssl session reuse, plain bytes to the TLS port, a WebSocket upgrade to the
wrong path, a connection without its PROXY header, a retained publish) and waits, bounded, until
/metrics (and $SYS for some) shows exactly that counter move. A restart with a corrupt log tail shows
the recovery figure. Certificates come from tls_certs.py.
"""

from __future__ import annotations

import pathlib
import re
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.request

import pytest

import broker_process
import mqtt_bytes as mb
import websocket_bytes as wsb
from conftest import assert_clean_stop
from paho_client import PahoClient
from raw_client import RawClient
from tls_certs import make_pki
from websocket_client import WebSocketClient

pytestmark = pytest.mark.ringmq_only

METRICS_RE = re.compile(r"metrics endpoint http://([0-9.]+):(\d+)/metrics")
WAIT_SECONDS = 20.0
LISTEN = ["127.0.0.1:0", "mqtts://127.0.0.1:0", "ws://127.0.0.1:0/mqtt", "wss://127.0.0.1:0/mqtt",
          "mqtt://127.0.0.1:0?proxy_protocol=1"]


def start(pki, data_dir: pathlib.Path, **extra_flags) -> broker_process.Broker:
    broker = broker_process.start_broker(
        listen=LISTEN, shards=2,
        flags={"metrics_listen": "127.0.0.1:0", "sys_interval": 1, "data_dir": data_dir, "persistence": "sync",
               "tls_cert_file": pki.server.cert, "tls_key_file": pki.server.key, **extra_flags})
    match = broker.wait_for_log(METRICS_RE.pattern, timeout=10)
    assert match, f"no metrics endpoint line: {broker.log}"
    broker.metrics_url = f"http://{match.group(1)}:{match.group(2)}/metrics"
    ports = {}
    for name, pattern in {"tcp": r"mqtt://[^ ?]+ \(plain TCP\)", "tls": r"mqtts://", "ws": r"ws://",
                          "wss": r"wss://", "proxy": r"mqtt://\S+proxy_protocol=1"}.items():
        found = broker.wait_for_log(rf"listening on [^ ]+:(\d+), {pattern}", timeout=5)
        assert found, f"no {name} listener announced:\n{broker.log}"
        ports[name] = int(found.group(1))
    broker.ports = ports
    return broker


@pytest.fixture(scope="module")
def pki():
    with tempfile.TemporaryDirectory(prefix="ringmq-it-tmetrics-pki-") as directory:
        yield make_pki(pathlib.Path(directory))


@pytest.fixture(scope="module")
def data_dir():
    with tempfile.TemporaryDirectory(prefix="ringmq-it-tmetrics-data-") as directory:
        yield pathlib.Path(directory)


@pytest.fixture(scope="module")
def broker(pki, data_dir):
    running = start(pki, data_dir)
    yield running
    if running.proc.poll() is None:
        assert_clean_stop(running)


def scrape(broker) -> str:
    with urllib.request.urlopen(broker.metrics_url, timeout=5) as response:
        return response.read().decode()


def value(exposition: str, name: str, **labels: str) -> float:
    """The sum over shards of `name`'s samples carrying every label given."""
    total = 0.0
    for match in re.finditer(rf"^{re.escape(name)}\{{([^}}]*)\}} (\S+)$", exposition, re.MULTILINE):
        sample_labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(sample_labels.get(key) == wanted for key, wanted in labels.items()):
            total += float(match.group(2))
    return total


def wait_value(broker, name: str, expected: float, **labels: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    got = None
    while time.monotonic() < deadline:
        got = value(scrape(broker), name, **labels)
        if got == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name}{labels}: expected {expected}, /metrics says {got}")


def baseline(broker, names: list[tuple[str, dict]]) -> dict:
    exposition = scrape(broker)
    return {(name, tuple(sorted(labels.items()))): value(exposition, name, **labels) for name, labels in names}


def wait_moved(broker, before: dict, moves: dict) -> None:
    """Every counter in `before` ends at its value plus its move in `moves` (0 when absent)."""
    for (name, labels), was in before.items():
        wait_value(broker, name, was + moves.get((name, labels), 0), **dict(labels))


TRANSPORT = [("ringmq_transport_connections_accepted_total", {"transport": t}) for t in ("tcp", "tls", "ws", "wss")] + [
    ("ringmq_proxied_connections_accepted_total", {})]
HANDSHAKES = [("ringmq_tls_handshakes_total", {"mode": "full"}), ("ringmq_tls_handshakes_total", {"mode": "resumed"}),
              ("ringmq_tls_handshake_failures_total", {}), ("ringmq_websocket_upgrades_refused_total", {}),
              ("ringmq_proxy_headers_refused_total", {})] + [
    ("ringmq_tls_handshake_failures_total", {"reason": reason}) for reason in ("error", "abandoned", "timeout")]


def key(name: str, **labels: str) -> tuple:
    return (name, tuple(sorted(labels.items())))


def read_until_closed(sock, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    return data


def mqtt_connect(sock, client_id: str) -> bytes:
    sock.sendall(mb.connect(client_id))
    connack = b""
    deadline = time.monotonic() + 5
    while len(connack) < 4 and time.monotonic() < deadline:
        chunk = sock.recv(4 - len(connack))
        assert chunk, "closed before CONNACK"
        connack += chunk
    return connack


def test_tls_full_then_resumed_handshake(broker, pki, uid):
    before = baseline(broker, TRANSPORT + HANDSHAKES)
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    session = None
    reused = []
    for n in range(2):
        raw = socket.create_connection(("127.0.0.1", broker.ports["tls"]), timeout=5)
        with context.wrap_socket(raw, server_hostname="localhost", session=session) as sock:
            assert mqtt_connect(sock, f"{uid}-{n}")[3] == 0  # TLS 1.3 tickets arrive after the handshake
            reused.append(sock.session_reused)
            session = sock.session
    assert reused == [False, True]
    wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="tls"): 2,
                                key("ringmq_tls_handshakes_total", mode="full"): 1,
                                key("ringmq_tls_handshakes_total", mode="resumed"): 1})


def test_plain_bytes_to_the_tls_port_fail_the_handshake(broker, uid):
    before = baseline(broker, TRANSPORT + HANDSHAKES)
    with socket.create_connection(("127.0.0.1", broker.ports["tls"]), timeout=5) as sock:
        sock.sendall(mb.connect(f"{uid}-plain"))
        read_until_closed(sock)
    wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="tls"): 1,
                                key("ringmq_tls_handshake_failures_total"): 1,
                                key("ringmq_tls_handshake_failures_total", reason="error"): 1})


def test_websocket_upgrade_to_the_wrong_path_is_refused(broker, uid):
    before = baseline(broker, TRANSPORT + HANDSHAKES)
    client = WebSocketClient("127.0.0.1", broker.ports["ws"])
    assert client.upgrade(wsb.upgrade_request(path="/not-mqtt")).status == 404
    client.close()
    good = WebSocketClient("127.0.0.1", broker.ports["ws"]).upgraded()  # an upgrade that works counts nothing
    good.send(mb.connect(f"{uid}-ws"))
    assert good.expect(mb.CONNACK).connack() == (False, 0)
    good.close()
    wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="ws"): 2,
                                key("ringmq_websocket_upgrades_refused_total"): 1})


def test_wss_counts_the_tls_handshake_and_the_refused_upgrade(broker, pki):
    before = baseline(broker, TRANSPORT + HANDSHAKES)
    client = WebSocketClient("127.0.0.1", broker.ports["wss"], ca_file=str(pki.ca.cert))
    assert client.upgrade(wsb.upgrade_request(path="/elsewhere")).status == 404
    client.close()
    wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="wss"): 1,
                                key("ringmq_tls_handshakes_total", mode="full"): 1,
                                key("ringmq_websocket_upgrades_refused_total"): 1})


def test_connection_without_proxy_header_is_refused(broker, uid):
    before = baseline(broker, TRANSPORT + HANDSHAKES)
    client = RawClient("127.0.0.1", broker.ports["proxy"])
    assert client.is_closed_after(mb.connect(f"{uid}-noproxy"), timeout=5)
    # A plain TCP client on the other listener: counted as tcp, refuses nothing.
    plain = PahoClient("127.0.0.1", broker.ports["tcp"], f"{uid}-tcp")
    plain.connect()
    plain.disconnect()
    wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="tcp"): 2,
                                key("ringmq_proxied_connections_accepted_total"): 1,
                                key("ringmq_proxy_headers_refused_total"): 1})


def half_client_hello(pki) -> bytes:
    """The first half of a real ClientHello (Python's ssl, in memory): a handshake begun, not finished."""
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert len(hello) > 100 and hello[0] == 0x16, "not a TLS handshake record"
    return hello[:len(hello) // 2]


def test_client_closing_mid_handshake_counts_an_abandoned_handshake(broker, pki):
    before = baseline(broker, TRANSPORT + HANDSHAKES)
    for close in ("fin", "reset"):
        sock = socket.create_connection(("127.0.0.1", broker.ports["tls"]), timeout=5)
        sock.sendall(half_client_hello(pki))
        time.sleep(0.2)  # the broker has read the half and waits for the rest
        if close == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="tls"): 2,
                                key("ringmq_tls_handshake_failures_total"): 2,
                                key("ringmq_tls_handshake_failures_total", reason="abandoned"): 2})


def test_client_silent_mid_handshake_counts_a_timed_out_handshake(pki, tmp_path):
    """--connect_timeout (1 s here) passes with half a ClientHello read: a timeout, not an error."""
    broker = start(pki, tmp_path, connect_timeout=1)
    try:
        before = baseline(broker, TRANSPORT + HANDSHAKES)
        with socket.create_connection(("127.0.0.1", broker.ports["tls"]), timeout=5) as sock:
            sock.sendall(half_client_hello(pki))
            started = time.monotonic()
            assert read_until_closed(sock, timeout=10) == b"", "the broker answered half a ClientHello"
            waited = time.monotonic() - started
        assert 0.5 <= waited <= 5, f"closed after {waited:.2f} s with --connect_timeout=1"
        wait_moved(broker, before, {key("ringmq_transport_connections_accepted_total", transport="tls"): 1,
                                    key("ringmq_tls_handshake_failures_total"): 1,
                                    key("ringmq_tls_handshake_failures_total", reason="timeout"): 1})
        assert sys_value(broker, "$SYS/broker/tls/handshake_failures/timeout", 1) == 1
        assert sys_value(broker, "$SYS/broker/tls/handshake_failures", 1) == 1
    finally:
        assert_clean_stop(broker)


def sys_value(broker, topic: str, at_least: float) -> float:
    """The value $SYS publishes for `topic`, once it reaches at_least (bounded)."""
    client = PahoClient("127.0.0.1", broker.ports["tcp"], f"tmetrics-sys-{time.monotonic_ns()}")
    client.connect()
    try:
        assert client.subscribe(topic) == [0]
        deadline = time.monotonic() + WAIT_SECONDS
        got = None
        while time.monotonic() < deadline:
            got = float(client.messages.get(timeout=max(0.1, deadline - time.monotonic())).payload)
            if got >= at_least:
                return got
        raise AssertionError(f"{topic}: {got}, expected at least {at_least}")
    finally:
        client.disconnect()


def test_retained_publish_is_committed_and_timed(broker, uid):
    names = ["ringmq_persistence_commits_total", "ringmq_persistence_records_written_total",
             "ringmq_persistence_written_bytes_total", "ringmq_persistence_commit_seconds_count"]
    exposition = scrape(broker)
    before = {name: value(exposition, name) for name in names}
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.ports["tcp"]), "-i", f"{uid}-pub",
                    "-t", f"tmetrics/{uid}", "-m", "durable", "-r", "-q", "1"], check=True, timeout=10)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        exposition = scrape(broker)
        if value(exposition, "ringmq_persistence_commit_seconds_count") > before[names[3]]:
            break
        time.sleep(0.1)
    after = {name: value(exposition, name) for name in names}
    # sync mode: the PUBACK waited for the commit, so it is one of the commits counted
    assert after["ringmq_persistence_commits_total"] >= before["ringmq_persistence_commits_total"] + 1, after
    assert after["ringmq_persistence_records_written_total"] >= before[names[1]] + 1, after
    assert after["ringmq_persistence_written_bytes_total"] >= before[names[2]] + len("durable") + len(uid), after
    assert after["ringmq_persistence_commit_seconds_count"] == after["ringmq_persistence_commits_total"], after
    buckets = [value(exposition, "ringmq_persistence_commit_seconds_bucket", le=le) for le in ("0.0005", "1", "+Inf")]
    assert buckets[0] <= buckets[1] <= buckets[2] == after["ringmq_persistence_commits_total"], buckets
    assert value(exposition, "ringmq_persistence_commit_seconds_sum") > 0
    assert value(exposition, "ringmq_persistence_log_bytes") > 8  # the magic and at least one record
    assert sys_value(broker, "$SYS/broker/persistence/commits", after["ringmq_persistence_commits_total"]) >= 1


def test_sys_topics_carry_the_transport_counters(broker):
    full = value(scrape(broker), "ringmq_tls_handshakes_total", mode="full")
    assert full >= 1  # the tests above made some
    assert sys_value(broker, "$SYS/broker/tls/handshakes/full", full) == full


def test_recovery_reports_the_dropped_log_tail(broker, pki, data_dir, uid):
    # A retained message first, so the log holds a valid record before the torn tail.
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.ports["tcp"]), "-i", f"{uid}-pub",
                    "-t", f"tmetrics/{uid}", "-m", "kept", "-r", "-q", "1"], check=True, timeout=10)
    assert value(scrape(broker), "ringmq_persistence_recovery_dropped_bytes") == 0
    assert_clean_stop(broker)
    torn = b"\x07" * 13  # a record header whose length runs past the end: a torn write
    with open(data_dir / "shard-0.log", "ab") as log:
        log.write(torn)
    restarted = start(pki, data_dir)
    try:
        wait_value(restarted, "ringmq_persistence_recovery_dropped_bytes", len(torn))
    finally:
        assert_clean_stop(restarted)
