"""ringmq-bench over TLS, WebSocket and WebSocket over TLS (--transport tls|ws|wss).

Against Debian's mosquitto (always installed for the tests), which has all three listeners: short runs
must exchange every message, count their TLS handshakes (full, resumed), check the broker's
certificate and present a client certificate. The same runs go against ringmq's mqtts://, ws:// and
wss:// listeners.

Certificates come from tls_certs.py (openssl): a CA, a server certificate for 127.0.0.1, a client
certificate, and a second CA that signed none of them.
"""

from __future__ import annotations

import pathlib

import pytest

import broker_process
from conftest import assert_clean_stop
from test_bench_tool import result_of, run_bench
from tls_certs import Pki, make_pki

# Bounded on both sides: 1.5 s measured, then at most 3 s for the last messages to arrive.
SHORT_RUN = ["--duration", "1.5", "--warmup", "0.3", "--drain", "3", "--progress=false"]
TRANSPORTS = ["tls", "ws", "wss"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("bench-tls"))


def free_port() -> int:
    return broker_process._free_port("127.0.0.1")


class TransportBroker:
    """A broker with a plain listener and one listener per transport (ports chosen here)."""

    def __init__(self, broker: broker_process.Broker, ports: dict[str, int]):
        self.broker = broker
        self.ports = ports


def start_mosquitto(certs: Pki, tmp_path: pathlib.Path, require_certificate: bool = False):
    ports = {name: free_port() for name in ["tcp", *TRANSPORTS, "tls12"]}
    lines = ["allow_anonymous true", "persistence false", "log_dest stderr", "user root",
             "per_listener_settings false", "set_tcp_nodelay true",
             # Unbounded queues: these tests check the generator, and mosquitto 2.0.11's wss listener falls
             # behind in bursts, dropping QoS 1 messages past its default 1000 (seen: 7 lost of 42,659).
             "max_queued_messages 0", f"listener {ports['tcp']} 127.0.0.1"]
    for transport in TRANSPORTS:
        lines.append(f"listener {ports[transport]} 127.0.0.1")
        if transport.startswith("ws"):
            lines.append("protocol websockets")
        if transport in ("tls", "wss"):
            lines += [f"certfile {certs.server.cert}", f"keyfile {certs.server.key}"]
            if require_certificate:
                lines += [f"cafile {certs.ca.cert}", "require_certificate true"]
    # TLS 1.2 only: session tickets of the older protocol (TLS 1.3 sends its tickets after the handshake).
    lines += [f"listener {ports['tls12']} 127.0.0.1", f"certfile {certs.server.cert}",
              f"keyfile {certs.server.key}", "tls_version tlsv1.2"]
    config = tmp_path / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    broker = broker_process.Broker("mosquitto", ["/usr/sbin/mosquitto", "-c", str(config)], 1, [],
                                   known_listeners=[("127.0.0.1", port) for port in ports.values()])
    return TransportBroker(broker, ports)


@pytest.fixture
def mosquitto(certs, tmp_path):
    try:
        started = start_mosquitto(certs, tmp_path)
    except broker_process.BrokerStartError as err:
        pytest.fail(str(err), pytrace=False)
    yield started
    assert_clean_stop(started.broker)


@pytest.fixture
def ringmq(certs):
    """ringmq with mqtts://, ws:// and wss:// listeners."""
    binary = broker_process.ringmq_binary()
    if not binary.exists():
        pytest.fail(f"ringmq binary not found at {binary} (set RINGMQ_BIN)", pytrace=False)
    ports = {name: free_port() for name in ["tcp", *TRANSPORTS]}
    argv = [str(binary), "--shards", "2", "--log_level", "info",
            "--listen", f"127.0.0.1:{ports['tcp']}",
            "--listen", f"mqtts://127.0.0.1:{ports['tls']}",
            "--listen", f"ws://127.0.0.1:{ports['ws']}/mqtt",
            "--listen", f"wss://127.0.0.1:{ports['wss']}/mqtt",
            "--tls_cert_file", str(certs.server.cert), "--tls_key_file", str(certs.server.key)]
    try:
        broker = broker_process.Broker("ringmq", argv, 2, [],
                                       known_listeners=[("127.0.0.1", port) for port in ports.values()])
    except broker_process.BrokerStartError as err:
        pytest.fail(str(err), pytrace=False)
    yield TransportBroker(broker, ports)
    assert_clean_stop(broker)


def transport_args(certs: Pki, transport: str, port: int) -> list[str]:
    args = ["--host", "127.0.0.1", "--port", str(port), "--transport", transport]
    if transport in ("tls", "wss"):
        args += ["--tls_ca_file", str(certs.ca.cert)]
    return args


def run_pairs_without_loss(certs: Pki, target: TransportBroker, transport: str, uid: str) -> dict:
    """QoS 1 pairs with a small end-to-end window: every message must arrive exactly once. (With a
    window of 100, mosquitto 2.0.11 logs "Outgoing messages are being dropped" on its wss listener and
    the generator rightly counts those as lost; a window of 10 and unbounded queues keep it whole.)"""
    proc = run_bench(*transport_args(certs, transport, target.ports[transport]), "--scenario", "pairs",
                     "--clients", "4", "--qos", "1", "--e2e_window", "10", "--expect_no_loss",
                     "--topic_prefix", uid, "--client_id_prefix", f"{uid}-", *SHORT_RUN)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result = result_of(proc)
    assert result["transport"] == transport
    assert result["connected"] == 8 and result["failed"] == 0 and result["errors"] == 0, result
    assert result["sent"] > 100, result
    assert result["received"] == result["sent"], result
    assert result["lost"] == 0 and result["unfinished"] == 0 and result["dup"] == 0, result
    expected_full = 8 if transport in ("tls", "wss") else 0
    assert result["tls_full_handshakes"] == expected_full and result["tls_resumed"] == 0, result
    return result


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pairs_exchange_every_message_with_mosquitto(certs, mosquitto, transport, uid):
    run_pairs_without_loss(certs, mosquitto, transport, uid)


@pytest.mark.ringmq_only
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pairs_exchange_every_message_with_ringmq(certs, ringmq, transport, uid):
    run_pairs_without_loss(certs, ringmq, transport, uid)


def run_connects(certs: Pki, target: TransportBroker, transport: str, resumption: bool, uid: str,
                 listener: str | None = None):
    # One connect at a time: the ticket of the first connection arrives before the second starts.
    proc = run_bench(*transport_args(certs, transport, target.ports[listener or transport]), "--scenario", "conn",
                     "--clients", "20", "--connect_concurrency", "1", "--duration", "0.5", "--warmup", "0",
                     "--drain", "0", "--progress=false", f"--tls_session_resumption={str(resumption).lower()}",
                     "--client_id_prefix", f"{uid}-")
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result = result_of(proc)
    assert result["connected"] == 20 and result["failed"] == 0, result
    return result


@pytest.mark.parametrize("transport,listener", [("tls", "tls"), ("wss", "wss"), ("tls", "tls12")])
def test_session_resumption_with_mosquitto(certs, mosquitto, transport, listener, uid):
    full = run_connects(certs, mosquitto, transport, resumption=False, uid=uid, listener=listener)
    assert full["tls_full_handshakes"] == 20 and full["tls_resumed"] == 0, full
    resumed = run_connects(certs, mosquitto, transport, resumption=True, uid=uid, listener=listener)
    # The first connection has no ticket yet; every later one offers the newest ticket it was given.
    assert resumed["tls_full_handshakes"] >= 1 and resumed["tls_resumed"] >= 18, resumed
    assert resumed["tls_full_handshakes"] + resumed["tls_resumed"] == 20, resumed
    assert "tls handshakes" in run_bench_table(certs, mosquitto, transport, uid)


def run_bench_table(certs: Pki, target: TransportBroker, transport: str, uid: str) -> str:
    proc = run_bench(*transport_args(certs, transport, target.ports[transport]), "--scenario", "conn",
                     "--clients", "2", "--duration", "0.2", "--warmup", "0", "--drain", "0", "--progress=false",
                     "--client_id_prefix", f"{uid}-t-")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.ringmq_only
def test_session_resumption_with_ringmq(certs, ringmq, uid):
    resumed = run_connects(certs, ringmq, "tls", resumption=True, uid=uid)
    assert resumed["tls_full_handshakes"] >= 1 and resumed["tls_resumed"] >= 18, resumed


@pytest.mark.parametrize("transport", ["tls", "wss"])
def test_certificate_from_another_ca_is_refused(certs, mosquitto, transport, uid):
    proc = run_bench("--host", "127.0.0.1", "--port", str(mosquitto.ports[transport]), "--transport", transport,
                     "--tls_ca_file", str(certs.other_ca().cert), "--scenario", "conn", "--clients", "2",
                     "--duration", "0.2", "--connect_timeout", "10", "--progress=false", "--client_id_prefix", uid)
    assert proc.returncode == 2, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "certificate verification" in proc.stderr, proc.stderr
    assert result_of(proc)["failed"] == 2


def test_client_certificate_for_mutual_tls(certs, tmp_path, uid):
    try:
        target = start_mosquitto(certs, tmp_path, require_certificate=True)
    except broker_process.BrokerStartError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        common = ["--host", "127.0.0.1", "--port", str(target.ports["tls"]), "--transport", "tls",
                  "--tls_ca_file", str(certs.ca.cert), "--scenario", "conn", "--clients", "3",
                  "--duration", "0.2", "--warmup", "0", "--drain", "0", "--connect_timeout", "10",
                  "--progress=false", "--client_id_prefix", uid]
        without = run_bench(*common)
        assert without.returncode == 2, f"stdout:\n{without.stdout}\nstderr:\n{without.stderr}"
        client = certs.client("bench-client")
        with_cert = run_bench(*common, "--tls_cert_file", str(client.cert), "--tls_key_file", str(client.key))
        assert with_cert.returncode == 0, f"stdout:\n{with_cert.stdout}\nstderr:\n{with_cert.stderr}"
        assert result_of(with_cert)["connected"] == 3
    finally:
        assert_clean_stop(target.broker)


@pytest.mark.parametrize("args,message", [
    (["--transport", "quic"], "unknown transport"),
    (["--tls_ca_file", "/nonexistent"], "need --transport tls or wss"),
    (["--transport", "tls", "--tls_cert_file", "c.pem"], "go together"),
    (["--transport", "ws", "--ws_path", "mqtt"], "--ws_path"),
    (["--transport", "tls", "--tls_ca_file", "/nonexistent/ca.pem"], "cannot load CA certificates"),
])
def test_bad_transport_flags_exit_1(args, message):
    proc = run_bench("--port", str(free_port()), "--connect_timeout", "2", "--progress=false", *args)
    assert proc.returncode == 1, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert message in proc.stderr, proc.stderr
