"""mqtts:// listeners (issue 10 section 2) with real clients: mosquitto_pub/sub with --cafile, Paho
3.1.1 and 5 with an ssl context, and Python's ssl module for what those do not show (the certificate
served, session resumption). Certificates come from tls_certs.py (openssl: a CA, server certificates
for localhost and 127.0.0.1, client certificates whose CN names a user).

MQTT flows both ways (large payloads too, and client ids homed on other shards, so the TLS stream is
handed over with the CONNECT); TLS and plain listeners share subscriptions; mutual TLS,
--tls_identity_as_username with the ACL, --tls_min_version, session resumption across shards,
SIGHUP certificate reload, the handshake timeout, the kernel TLS probe; plain MQTT or garbage on the
TLS port closes only that connection; bad settings stop start-up."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import time

import pytest

import broker_process
import mqtt_bytes as mb
from paho5_client import Paho5Client
from paho_client import PahoClient
from shards import client_id_on_shard
from tls_certs import Pki, make_pki

pytestmark = pytest.mark.ringmq_only

SHARDS = 4
CLIENT_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def tls_flags(pki: Pki, **extra) -> dict[str, object]:
    return {"tls_cert_file": str(pki.server.cert), "tls_key_file": str(pki.server.key), **extra}


class TlsClient:
    """A blocking MQTT 3.1.1 client over TLS with bounded reads."""

    def __init__(self, broker, pki: Pki, client_cert: bool = False):
        context = ssl.create_default_context(cafile=str(pki.ca.cert))
        if client_cert:
            pair = pki.client("device-42")
            context.load_cert_chain(str(pair.cert), str(pair.key))
        raw = socket.create_connection((broker.host, broker.port), timeout=10)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.buf = bytearray()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def expect(self, kind: int) -> mb.Packet:
        while True:
            packet, used = mb.parse(self.buf)
            if packet is not None:
                del self.buf[:used]
                assert packet.kind == kind, f"expected packet type {kind}, got {packet.kind}"
                return packet
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed while waiting for packet type {kind}"
            self.buf += chunk

    def connect(self, client_id: str, **args) -> int:
        self.send(mb.connect(client_id, **args))
        return self.expect(mb.CONNACK).connack()[1]

    def close(self) -> None:
        self.sock.close()


def test_mqtt_over_tls_across_shards(start_broker, pki, uid):
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags=tls_flags(pki), shards=SHARDS)
    assert any("mqtts://127.0.0.1:" in line and "(tls)" in line for line in broker.log.splitlines())
    payload = bytes(range(256)) * 80  # 20 KiB: sent from the stored message, encrypted per subscriber
    for shard in range(SHARDS):
        sub = TlsClient(broker, pki)
        assert sub.connect(client_id_on_shard(f"{uid}-sub", shard, SHARDS)) == 0
        sub.send(mb.subscribe(1, [(f"{uid}/t{shard}", 0)]))
        sub.expect(mb.SUBACK)
        pub = TlsClient(broker, pki)
        assert pub.connect(client_id_on_shard(f"{uid}-pub", (shard + 1) % SHARDS, SHARDS)) == 0
        pub.send(mb.publish(f"{uid}/t{shard}", payload) + mb.publish(f"{uid}/t{shard}", b"small"))
        assert sub.expect(mb.PUBLISH).payload() == payload
        assert sub.expect(mb.PUBLISH).payload() == b"small"
        pub.close()
        sub.close()


def test_identity_as_username(start_broker, pki, uid):
    flags = tls_flags(pki) | {"tls_ca_file": str(pki.ca.cert), "tls_require_client_cert": "true",
                              "tls_identity_as_username": "true", "allow_anonymous": "false"}
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags=flags, log_level="debug")
    # No username in the CONNECT, anonymous clients refused: the certificate's CN logs it in.
    client = TlsClient(broker, pki, client_cert=True)
    assert client.connect(f"{uid}-cert") == 0
    client.close()
    # Without a client certificate the handshake itself fails.
    with pytest.raises((ssl.SSLError, ConnectionResetError, AssertionError, BrokenPipeError)):
        anonymous = TlsClient(broker, pki)
        anonymous.connect(f"{uid}-nocert")


def test_without_identity_as_username_the_same_connect_is_anonymous(start_broker, pki, uid):
    # The control of test_identity_as_username: same certificate, flag off, so no username.
    flags = tls_flags(pki) | {"tls_ca_file": str(pki.ca.cert), "tls_require_client_cert": "true",
                              "allow_anonymous": "false"}
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags=flags)
    client = TlsClient(broker, pki, client_cert=True)
    assert client.connect(f"{uid}-cert") == 0x05  # not authorized
    client.close()


def listener_port(broker, scheme: str) -> int:
    match = broker.wait_for_log(rf"listening on [^ ]+:(\d+), {scheme}://")
    assert match, f"no {scheme}:// listener announced:\n{broker.log}"
    return int(match.group(1))


def start_tls(start_broker, pki, plain: bool = False, **flags):
    listen = ["mqtts://127.0.0.1:0"] + (["127.0.0.1:0"] if plain else [])
    return start_broker(listen=listen, flags=tls_flags(pki, **flags), shards=2)


def client_context(pki, client_user: str | None = None,
                   maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    if client_user is not None:
        pair = pki.client(client_user)
        context.load_cert_chain(str(pair.cert), str(pair.key))
    if maximum is not None:
        context.maximum_version = maximum
    return context


def tls_socket(port: int, context: ssl.SSLContext, session=None) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname="localhost", session=session)


def mqtt_connect(sock, client_id: str) -> bytes:
    """CONNECT (3.1.1, clean) over sock; the CONNACK's four bytes."""
    sock.sendall(mb.connect(client_id))
    connack = b""
    while len(connack) < 4:
        chunk = sock.recv(4 - len(connack))
        assert chunk, "closed before CONNACK"
        connack += chunk
    return connack


def paho311_tls(port: int, context: ssl.SSLContext, client_id: str, **options) -> PahoClient:
    client = PahoClient("localhost", port, client_id, **options)
    client.client.tls_set_context(context)
    assert client.connect()[1] == 0
    return client


def paho5_tls(port: int, context: ssl.SSLContext, client_id: str, expect_reason: int = 0) -> Paho5Client:
    client = Paho5Client("localhost", port, client_id)
    client.client.tls_set_context(context)
    assert client.connect()[1] == expect_reason
    return client


def test_mosquitto_clients_exchange_a_message_over_tls(start_broker, pki, uid):
    broker = start_tls(start_broker, pki)
    port = listener_port(broker, "mqtts")
    common = ["-h", "localhost", "-p", str(port), "--cafile", str(pki.ca.cert), "-t", f"{uid}/t"]
    sub = subprocess.Popen(["mosquitto_sub", *common, "-C", "1", "-q", "1", "-W", "15"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while sub.poll() is None and time.monotonic() < deadline:  # retry until the subscription exists
            subprocess.run(["mosquitto_pub", *common, "-q", "1", "-m", "over-tls"], check=True,
                           capture_output=True, timeout=CLIENT_TIMEOUT_S)
            try:
                sub.wait(0.3)
            except subprocess.TimeoutExpired:
                pass
        out, err = sub.communicate(timeout=CLIENT_TIMEOUT_S)
    finally:
        if sub.poll() is None:
            sub.kill()
    assert sub.returncode == 0 and out.strip() == "over-tls", (sub.returncode, out, err)


def test_paho_311_and_5_over_tls(start_broker, pki, uid):
    broker = start_tls(start_broker, pki)
    port = listener_port(broker, "mqtts")
    context = client_context(pki)
    subscriber = paho5_tls(port, context, f"{uid}-sub")
    subscriber.subscribe(f"{uid}/#", 1)
    publisher = paho311_tls(port, context, f"{uid}-pub")
    payloads = [os.urandom(size) for size in (1, 1000, 70_000, 300_000)]  # small, records, large
    for n, payload in enumerate(payloads):
        publisher.publish(f"{uid}/{n}", payload, 1)
    got = subscriber.expect(len(payloads))
    assert [m.payload for m in got] == payloads
    publisher.disconnect()
    subscriber.disconnect()


def test_tls_and_plain_listeners_share_subscriptions(start_broker, pki, uid):
    broker = start_tls(start_broker, pki, plain=True)
    tls_sub = paho311_tls(listener_port(broker, "mqtts"), client_context(pki), f"{uid}-tls")
    tls_sub.subscribe(f"{uid}/t", 1)
    plain_port = listener_port(broker, "mqtt")
    plain = PahoClient("127.0.0.1", plain_port, f"{uid}-plain")
    assert plain.connect()[1] == 0
    plain.publish(f"{uid}/t", b"from-plain", 1)
    assert tls_sub.expect()[0].payload == b"from-plain"
    plain.disconnect()
    tls_sub.disconnect()


def test_mutual_tls_requires_a_client_certificate(start_broker, pki, uid):
    broker = start_tls(start_broker, pki, tls_ca_file=pki.ca.cert, tls_require_client_cert="true")
    port = listener_port(broker, "mqtts")
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        with tls_socket(port, client_context(pki)) as sock:
            # TLS 1.3: the refusal arrives after the client's handshake completes, on the first read.
            assert mqtt_connect(sock, f"{uid}-nocert")
    with tls_socket(port, client_context(pki, client_user="alice")) as sock:
        assert mqtt_connect(sock, f"{uid}-cert")[3] == 0
    assert broker.wait_for_log(r"TLS|tls"), broker.log


def test_identity_as_username_applies_the_acl(start_broker, pki, tmp_path, uid):
    acl = tmp_path / "acl"
    acl.write_text("user alice\ntopic readwrite alice/#\n")
    broker = start_tls(start_broker, pki, tls_ca_file=pki.ca.cert, tls_require_client_cert="true",
                       tls_identity_as_username="true", acl_file=acl)
    port = listener_port(broker, "mqtts")
    alice = paho5_tls(port, client_context(pki, client_user="alice"), f"{uid}-alice")
    assert alice.subscribe("alice/#", 1) == [1]
    assert alice.subscribe("bob/#", 1) == [0x87]  # Not authorized: alice is who her certificate says
    alice.publish("alice/x", b"mine", 1)
    assert alice.expect()[0].payload == b"mine"
    alice.disconnect()
    mallory = paho5_tls(port, client_context(pki, client_user="mallory"), f"{uid}-mallory")
    assert mallory.subscribe("alice/#", 1) == [0x87]
    mallory.disconnect()


def test_plain_mqtt_to_the_tls_port_costs_only_that_connection(start_broker, pki, uid):
    broker = start_tls(start_broker, pki)
    port = listener_port(broker, "mqtts")
    good = paho311_tls(port, client_context(pki), f"{uid}-good")
    good.subscribe(f"{uid}/t", 1)
    lines = broker.log_line_count()
    for garbage in (mb.connect(f"{uid}-plain"), b"\x16\x03\x01\x00\x05hello", os.urandom(300)):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(garbage)
            sock.settimeout(5)
            try:
                while sock.recv(4096):  # an alert at most, then the close
                    pass
            except (ConnectionResetError, socket.timeout):
                pass
    assert broker.wait_for_log_count(r"(?i)tls", 3, from_line=lines) >= 3, broker.log
    good.publish(f"{uid}/t", b"still-here", 1)
    assert good.expect()[0].payload == b"still-here"
    good.disconnect()


def test_stalled_handshake_is_closed_after_the_connect_timeout(start_broker, pki):
    broker = start_tls(start_broker, pki, connect_timeout=1)
    port = listener_port(broker, "mqtts")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the broker, without a byte from us
        assert time.monotonic() - started < 8


def test_minimum_version_refuses_older_clients(start_broker, pki, uid):
    broker = start_tls(start_broker, pki, tls_min_version="1.3")
    port = listener_port(broker, "mqtts")
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_socket(port, client_context(pki, maximum=ssl.TLSVersion.TLSv1_2)).close()
    with tls_socket(port, client_context(pki)) as sock:
        assert sock.version() == "TLSv1.3"
        assert mqtt_connect(sock, f"{uid}-13")[3] == 0


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_sessions_resume_across_connections_and_shards(start_broker, pki, uid, version):
    broker = start_tls(start_broker, pki)
    port = listener_port(broker, "mqtts")
    context = client_context(pki, maximum=version)
    resumed = []
    session = None
    for n in range(6):  # connections land on both shards
        with tls_socket(port, context, session=session) as sock:
            assert mqtt_connect(sock, f"{uid}-{n}")[3] == 0  # TLS 1.3 tickets come after the handshake
            resumed.append(sock.session_reused)
            session = sock.session
    assert resumed[0] is False and all(resumed[1:]), resumed


def peer_common_name(port: int, pki) -> str:
    with tls_socket(port, client_context(pki)) as sock:
        subject = dict(item[0] for item in sock.getpeercert()["subject"])
        return subject["commonName"]


def test_sighup_reloads_the_certificate_without_dropping_clients(start_broker, pki, tmp_path, uid):
    served = tmp_path / "served"
    served.mkdir()
    cert, key = served / "server.crt", served / "server.key"
    cert.write_bytes(pki.server.cert.read_bytes())
    key.write_bytes(pki.server.key.read_bytes())
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags={"tls_cert_file": cert, "tls_key_file": key},
                          shards=2)
    port = listener_port(broker, "mqtts")
    assert peer_common_name(port, pki) == "ringmq-test-server"
    old = paho311_tls(port, client_context(pki), f"{uid}-old")
    old.subscribe(f"{uid}/t", 1)
    renewed = pki.server_named("renewed-server")
    cert.write_bytes(renewed.cert.read_bytes())
    key.write_bytes(renewed.key.read_bytes())
    lines = broker.log_line_count()
    os.kill(broker.pid, signal.SIGHUP)
    assert broker.wait_for_log(r"(?i)(certificate|tls).*reload", from_line=lines), broker.log
    deadline = time.monotonic() + 10
    while peer_common_name(port, pki) != "renewed-server" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert peer_common_name(port, pki) == "renewed-server"
    fresh = paho311_tls(port, client_context(pki), f"{uid}-new")
    fresh.publish(f"{uid}/t", b"after-reload", 1)
    assert old.expect()[0].payload == b"after-reload"  # the old connection kept its session and TLS state
    # A broken certificate on reload keeps the one in use.
    cert.write_text("not a certificate\n")
    lines = broker.log_line_count()
    os.kill(broker.pid, signal.SIGHUP)
    assert broker.wait_for_log(r"(?i)(certificate|tls)", from_line=lines), broker.log
    assert peer_common_name(port, pki) == "renewed-server"
    fresh.disconnect()
    old.disconnect()


def test_kernel_tls_is_probed_and_the_listener_says_which_it_got(start_broker, pki):
    broker = start_tls(start_broker, pki)
    ulp = pathlib.Path("/proc/sys/net/ipv4/tcp_available_ulp")
    available = ulp.exists() and "tls" in ulp.read_text().split()
    line = broker.wait_for_log(r"(?i)kernel TLS|kTLS")
    assert line, broker.log
    if not available:
        assert re.search(r"(?i)user-space", line.string), line.string
    else:
        pytest.skip("this kernel offers TLS offload: the kernel path is checked by its own test")


def test_bad_tls_settings_stop_start_up_with_a_clear_error(pki):
    def run(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(broker_process.ringmq_binary()), "--listen", "mqtts://127.0.0.1:0", *flags],
                              capture_output=True, text=True, timeout=10)

    missing = run()
    assert missing.returncode != 0 and "tls_cert_file" in missing.stderr, missing.stderr
    other = pki.server_named("other")
    mismatched = run(f"--tls_cert_file={pki.server.cert}", f"--tls_key_file={other.key}")
    assert mismatched.returncode != 0 and "key" in mismatched.stderr.lower(), mismatched.stderr
    bad_version = run(f"--tls_cert_file={pki.server.cert}", f"--tls_key_file={pki.server.key}",
                      "--tls_min_version=1.1")
    assert bad_version.returncode != 0 and "tls_min_version" in bad_version.stderr, bad_version.stderr
