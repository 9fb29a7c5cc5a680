"""Bridges (--bridge_file) against Debian's mosquitto as the remote broker: both directions with
prefixes over MQTT 3.1.1 and 5, TLS with a CA and username/password, the remote restarted in the
middle of a QoS 1 stream (every message ringmq acknowledged arrives), loop prevention with a `both`
pattern, a bad bridge file refused at start-up, and SIGHUP
reloading the bridge file (added, unchanged, changed and removed bridges; a bad file refused).

mosquitto runs as a child process on an ephemeral loopback port with a generated configuration; it
is stopped by its pid. Every wait is bounded."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

import broker_process
import tls_certs
from paho_client import PahoClient

pytestmark = pytest.mark.skipif(broker_process.broker_kind() != "ringmq",
                                reason="bridges are ringmq's: mosquitto is the remote here")

MOSQUITTO = "/usr/sbin/mosquitto"
CONNECTED_TIMEOUT = 15.0


class Mosquitto:
    """A mosquitto broker on 127.0.0.1 whose config is `lines` plus a listener on a free port;
    restart() starts it again on the same port with the same files."""

    def __init__(self, directory: pathlib.Path, lines: list[str], listener_lines: list[str] | None = None):
        self.port = broker_process._free_port("127.0.0.1")
        self.directory = directory
        self.config = directory / "mosquitto.conf"
        body = ["log_dest stderr", "user root", *lines, f"listener {self.port} 127.0.0.1",
                *(listener_lines or [])]
        self.config.write_text("\n".join(body) + "\n")
        self.log_path = directory / "mosquitto.log"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, f"mosquitto exited: {self.log_path.read_text()[-2000:]}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert time.monotonic() < deadline, "mosquitto did not start listening in 10 s"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: with persistence, it saves its state
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def mosquitto(tmp_path):
    started: list[Mosquitto] = []

    def start(lines: list[str] | None = None, listener_lines: list[str] | None = None, name: str = "remote"):
        """`lines` replace the default `allow_anonymous true` (mosquitto 2.0 refuses anonymous clients
        otherwise)."""
        directory = tmp_path / name
        directory.mkdir()
        instance = Mosquitto(directory, ["allow_anonymous true"] if lines is None else lines, listener_lines)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def bridge_file(tmp_path: pathlib.Path, remote: Mosquitto, topics: list[str], extra: list[str] | None = None,
                name: str = "m1") -> pathlib.Path:
    path = tmp_path / f"bridges-{name}.conf"
    lines = [f"connection {name}", f"address 127.0.0.1:{remote.port}", "restart_timeout 1 2",
             "keepalive_interval 5", *(f"topic {topic}" for topic in topics), *(extra or [])]
    path.write_text("\n".join(lines) + "\n")
    return path


def remote_client(remote: Mosquitto, client_id: str = "", **options) -> PahoClient:
    client = PahoClient("127.0.0.1", remote.port, client_id, **options)
    _, rc = client.connect()
    assert rc == 0, f"mosquitto CONNACK rc {rc}"
    return client


def await_connected(broker, name: str = "m1", from_line: int = 0) -> None:
    assert broker.wait_for_log(rf"bridge {name}: connected to", CONNECTED_TIMEOUT, from_line), \
        f"bridge {name} did not connect; log:\n{broker.log[-3000:]}"


def scrape(metrics_port: int) -> str:
    """The broker's /metrics text."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:
        return response.read().decode()


@pytest.mark.parametrize("version", ["mqttv311", "mqttv50"])
def test_both_directions_with_prefixes(tmp_path, mosquitto, start_broker, paho, uid, version):
    remote = mosquitto()
    path = bridge_file(tmp_path, remote, [f"{uid}/sensors/# out 1 local/ remote/",
                                          f"{uid}/cmd/# in 1 fromremote/ \"\""],
                       [f"bridge_protocol_version {version}"])
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    await_connected(broker)
    # The remote's subscriber and the local one see only what their patterns carry, renamed.
    on_remote = remote_client(remote)
    on_remote.subscribe("#", qos=1)
    local_sub = paho(broker)
    local_sub.subscribe("fromremote/#", qos=1)
    local_pub = paho(broker)
    local_pub.publish(f"local/{uid}/sensors/t1", b"out-1", qos=1)
    local_pub.publish(f"local/{uid}/other", b"not bridged", qos=1)
    local_pub.publish(f"{uid}/sensors/t1", b"no prefix: not bridged", qos=1)
    got = on_remote.expect(1)
    assert (got[0].topic, got[0].payload, got[0].qos) == (f"remote/{uid}/sensors/t1", b"out-1", 1)
    on_remote.publish(f"{uid}/cmd/door", b"in-1", qos=1)
    got = local_sub.expect(1)
    assert (got[0].topic, got[0].payload, got[0].qos) == (f"fromremote/{uid}/cmd/door", b"in-1", 1)
    on_remote.publish(f"{uid}/elsewhere", b"not subscribed by the bridge", qos=1)
    local_sub.expect_none(0.5)
    # The `in` message came back out? It matched no `out` pattern; the remote saw only its own two.
    seen = sorted(m.topic for m in on_remote.drain())
    assert seen == sorted([f"{uid}/cmd/door", f"{uid}/elsewhere"]), seen
    on_remote.disconnect()


def test_qos0_and_retained_cross_with_their_flags(tmp_path, mosquitto, start_broker, paho, uid):
    remote = mosquitto()
    path = bridge_file(tmp_path, remote, [f"{uid}/# both 1"], ["bridge_protocol_version mqttv50"])
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    await_connected(broker)
    paho(broker).publish(f"{uid}/state", b"on", qos=1, retain=True)
    # A late subscriber on the remote gets the message as retained: the flag crossed the bridge.
    got = []
    for _ in range(20):  # bounded: the message may still be on its way
        late = remote_client(remote)
        late.subscribe(f"{uid}/state", qos=1)
        try:
            got = late.expect(1, timeout=0.5)
        except AssertionError:
            got = []
        late.disconnect()
        # A message that reached the remote while this subscriber waited came live (retain 0) and
        # says nothing about the flag: the next subscriber gets it from the remote's retained store.
        if got and got[0].retain:
            break
    assert got, "the retained message never reached the remote"
    assert (got[0].payload, got[0].retain) == (b"on", True)


def test_tls_and_password(tmp_path, mosquitto, start_broker, paho, uid):
    pki = tls_certs.make_pki(tmp_path / "pki")
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "bridge-user", "s3cret"], check=True,
                   capture_output=True, timeout=30)
    # The remote's plain listener (for the test's own clients) stays open; the TLS one needs a password.
    remote = mosquitto(["per_listener_settings true"], listener_lines=["allow_anonymous true"])
    tls_port = broker_process._free_port("127.0.0.1")
    with open(remote.config, "a") as config:
        config.write(f"listener {tls_port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n"
                     f"cafile {pki.ca.cert}\ncertfile {pki.server.cert}\nkeyfile {pki.server.key}\n")
    remote.restart()
    client_cert = pki.client("bridge-user")
    path = tmp_path / "bridges.conf"
    common = ["restart_timeout 1 2", f"topic {uid}/# both 1 local/ remote/", f"bridge_cafile {pki.ca.cert}",
              f"bridge_certfile {client_cert.cert}", f"bridge_keyfile {client_cert.key}"]
    path.write_text("\n".join([
        # A host name: SNI and the certificate's DNS name are checked; if it resolves to ::1 first
        # (mosquitto listens on 127.0.0.1 only), the next address is tried.
        "connection good", f"address localhost:{tls_port}", "remote_username bridge-user",
        "remote_password s3cret", *common,
        "connection badpass", f"address 127.0.0.1:{tls_port}", "remote_username bridge-user",
        "remote_password wrong", "local_clientid badpass-local", *common,
        "connection wrongca", f"address 127.0.0.1:{tls_port}", "remote_username bridge-user",
        "remote_password s3cret", "local_clientid wrongca-local",
        *[line if not line.startswith("bridge_cafile") else f"bridge_cafile {pki.other_ca().cert}"
          for line in common],
    ]) + "\n")
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    assert broker.wait_for_log(r"bridge good: connected to localhost:\d+ \(MQTT 3\.1\.1, TLS", CONNECTED_TIMEOUT), \
        broker.log[-3000:]
    assert broker.wait_for_log(r"bridge badpass: cannot connect to .*refused the CONNECT.*retry in \d+ ms",
                               CONNECTED_TIMEOUT), broker.log[-3000:]
    assert broker.wait_for_log(r"bridge wrongca: cannot connect to .*TLS handshake failed.*certificate verify "
                               r"failed.*retry in \d+ ms", CONNECTED_TIMEOUT), broker.log[-3000:]
    on_remote = remote_client(remote)
    on_remote.subscribe("remote/#", qos=1)
    local_sub = paho(broker)
    local_sub.subscribe(f"local/{uid}/down", qos=1)
    paho(broker).publish(f"local/{uid}/up", b"over tls", qos=1)
    got = on_remote.expect(1)
    assert (got[0].topic, got[0].payload) == (f"remote/{uid}/up", b"over tls")
    on_remote.publish(f"remote/{uid}/down", b"back over tls", qos=1)
    got = local_sub.expect(1)
    assert (got[0].topic, got[0].payload) == (f"local/{uid}/down", b"back over tls")
    on_remote.disconnect()
    assert "bridge badpass: connected" not in broker.log
    assert "bridge wrongca: connected" not in broker.log


def test_the_local_side_needs_no_password_and_clients_still_do(tmp_path, mosquitto, start_broker, uid):
    remote = mosquitto()
    passwords = tmp_path / "local-passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "alice", "pw"], check=True,
                   capture_output=True, timeout=30)
    path = bridge_file(tmp_path, remote, [f"{uid}/# both 1"])
    broker = start_broker(flags={"bridge_file": path, "password_file": passwords}, shards=2)
    await_connected(broker)  # its local session is the broker's own: no login
    anonymous = PahoClient(broker.host, broker.port, f"{uid}-anon")
    try:
        assert anonymous.connect()[1] == 5, "an anonymous client must still be refused"
    finally:
        anonymous.disconnect(timeout=2)
    alice = PahoClient(broker.host, broker.port, f"{uid}-alice", username="alice", password="pw")
    assert alice.connect()[1] == 0
    alice.subscribe(f"{uid}/#", qos=1)
    on_remote = remote_client(remote)
    on_remote.publish(f"{uid}/hello", b"from remote", qos=1)
    got = alice.expect(1)
    assert (got[0].topic, got[0].payload) == (f"{uid}/hello", b"from remote")
    alice.disconnect()
    on_remote.disconnect()


@pytest.mark.parametrize("version", ["mqttv311", "mqttv50"])
def test_remote_restart_mid_stream_loses_no_acknowledged_message(tmp_path, mosquitto, start_broker, paho,
                                                                 uid, version):
    persistence = tmp_path / "mosquitto-db"
    persistence.mkdir()
    remote = mosquitto(["allow_anonymous true", "persistence true", f"persistence_location {persistence}/",
                        "max_queued_messages 10000"])
    path = bridge_file(tmp_path, remote, [f"{uid}/# out 1"], [f"bridge_protocol_version {version}"])
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    await_connected(broker)
    # The remote's subscriber has a persistent session and is offline the whole time: what the
    # remote accepted waits for it, in its saved state across the restart.
    subscriber = remote_client(remote, f"{uid}-sub", clean_session=False)
    subscriber.subscribe(f"{uid}/#", qos=1)
    subscriber.disconnect()
    publisher = paho(broker)
    total = 600
    restarted_at = total // 3
    for i in range(total):
        publisher.publish(f"{uid}/m", f"{i}".encode(), qos=1)  # PUBACKed by ringmq before the next
        if i == restarted_at:
            lines = broker.log_line_count()
            remote.stop()
        if i == 2 * total // 3:
            remote.start()
    await_connected(broker, from_line=lines)
    assert broker.wait_for_log(r"bridge m1: lost 127\.0\.0\.1:\d+: .*; retry in \d+ ms", 5, lines)
    subscriber = remote_client(remote, f"{uid}-sub", clean_session=False)
    deadline = time.monotonic() + 30
    seen: set[int] = set()
    while len(seen) < total and time.monotonic() < deadline:
        for message in subscriber.drain():
            seen.add(int(message.payload))
        time.sleep(0.1)
    subscriber.disconnect()
    missing = sorted(set(range(total)) - seen)
    assert not missing, f"{len(missing)} acknowledged messages lost, first {missing[:10]}"


@pytest.mark.parametrize("version", ["mqttv311", "mqttv50"])
def test_messages_the_remote_kept_for_the_bridge_arrive_after_a_reconnect(tmp_path, mosquitto, start_broker, paho,
                                                                          uid, version):
    persistence = tmp_path / "mosquitto-db"
    persistence.mkdir()
    remote = mosquitto(["allow_anonymous true", "persistence true", f"persistence_location {persistence}/"])
    path = bridge_file(tmp_path, remote, [f"{uid}/# in 1"], [f"bridge_protocol_version {version}",
                                                              "restart_timeout 3"])
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    await_connected(broker)
    local = paho(broker)
    local.subscribe(f"{uid}/#", qos=1)
    # The remote restarts with the bridge's persistent session; right after a failed attempt (the
    # next is 3 s away) messages are published to it, and wait in that session for the bridge. A
    # resumed session sends them right after its CONNACK, before the SUBACK of the bridge's
    # SUBSCRIBE: they must reach the local subscriber all the same.
    lines = broker.log_line_count()
    remote.stop()
    assert broker.wait_for_log(r"bridge m1: cannot connect to .*retry in 3000 ms", 10, lines), broker.log[-2000:]
    remote.start()
    publisher = remote_client(remote)
    for i in range(5):
        publisher.publish(f"{uid}/kept", f"{i}".encode(), qos=1)
    publisher.disconnect()
    assert broker.wait_for_log(r"bridge m1: connected to .*remote session resumed", 10, lines), broker.log[-2000:]
    got = sorted(int(m.payload) for m in local.expect(5))
    assert got == list(range(5)), got


@pytest.mark.parametrize("version", ["mqttv311", "mqttv50"])
def test_both_pattern_does_not_echo(tmp_path, mosquitto, start_broker, paho, uid, version):
    remote = mosquitto()
    path = bridge_file(tmp_path, remote, [f"{uid}/# both 1"], [f"bridge_protocol_version {version}"])
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    await_connected(broker)
    on_remote = remote_client(remote)
    on_remote.subscribe(f"{uid}/#", qos=1)
    local = paho(broker)
    local.subscribe(f"{uid}/#", qos=1)
    paho(broker).publish(f"{uid}/from-local", b"L", qos=1)
    on_remote.publish(f"{uid}/from-remote", b"R", qos=1)
    # Each side sees each message exactly once: neither bounces back across the bridge.
    time.sleep(1.5)
    local_seen = sorted((m.topic, m.payload) for m in local.drain())
    remote_seen = sorted((m.topic, m.payload) for m in on_remote.drain())
    expected = [(f"{uid}/from-local", b"L"), (f"{uid}/from-remote", b"R")]
    assert local_seen == expected, local_seen
    assert remote_seen == expected, remote_seen
    on_remote.disconnect()


def test_a_remote_that_stops_answering_is_noticed_by_the_keepalive(tmp_path, mosquitto, start_broker, uid):
    remote = mosquitto()
    path = bridge_file(tmp_path, remote, [f"{uid}/# out 1"])  # keepalive_interval 5
    broker = start_broker(flags={"bridge_file": path}, shards=2)
    await_connected(broker)
    lines = broker.log_line_count()
    remote.proc.send_signal(signal.SIGSTOP)  # the TCP connection stays up; nothing answers
    try:
        # A PINGREQ goes at most 5 s after the connect; unanswered for another 5 s, the link ends.
        assert broker.wait_for_log(r"bridge m1: lost 127\.0\.0\.1:\d+: no PINGRESP within the keepalive interval; "
                                   r"retry in \d+ ms", 15, lines), broker.log[-2000:]
    finally:
        remote.proc.send_signal(signal.SIGCONT)
    await_connected(broker, from_line=lines)


@pytest.mark.parametrize("content, error", [
    ("connection a\naddress 127.0.0.1:1\ntopic x/# sideways 1\n",
     "line 3: topic: direction must be in, out or both, not sideways"),
    ("connection a\naddress 127.0.0.1:1\ntopic x/# out 3\n", "line 3: topic: qos must be 0, 1 or 2, not 3"),
    ("connection a\ntopic x/# out 1\n", "bridge a: no address"),
    ("address 127.0.0.1:1\n", "line 1: address before the first `connection` line"),
    ("connection a\naddress 127.0.0.1:1\ntopic x/# out 1\nbridge_cafile /nonexistent/ca.pem\n",
     "bridge a: cannot load bridge CA file /nonexistent/ca.pem"),
])
def test_bad_bridge_file_is_refused_at_start(tmp_path, content, error):
    path = tmp_path / "bridges.conf"
    path.write_text(content)
    with pytest.raises(broker_process.BrokerStartError) as failure:
        broker_process.start_broker(flags={"bridge_file": path}, shards=1)
    assert error in str(failure.value), str(failure.value)[-2000:]


def test_metrics_per_bridge(tmp_path, mosquitto, start_broker, paho, uid):
    remote = mosquitto()
    path = bridge_file(tmp_path, remote, [f"{uid}/out/# out 1", f"{uid}/in/# in 1"])
    metrics_port = broker_process._free_port("127.0.0.1")
    broker = start_broker(flags={"bridge_file": path, "metrics_listen": f"127.0.0.1:{metrics_port}"}, shards=2)
    await_connected(broker)
    on_remote = remote_client(remote)
    on_remote.subscribe(f"{uid}/#", qos=1)
    local = paho(broker)
    local.subscribe(f"{uid}/in/#", qos=1)
    for i in range(3):
        paho(broker).publish(f"{uid}/out/{i}", b"x", qos=1)
    on_remote.expect(3)
    on_remote.publish(f"{uid}/in/a", b"y", qos=1)
    local.expect(1)

    text = scrape(metrics_port)
    assert 'ringmq_bridge_connected{bridge="m1"} 1' in text, text
    assert 'ringmq_bridge_messages_out_total{bridge="m1"} 3' in text, text
    assert 'ringmq_bridge_messages_in_total{bridge="m1"} 1' in text, text
    lines = broker.log_line_count()
    remote.restart()
    await_connected(broker, from_line=lines)
    assert 'ringmq_bridge_reconnects_total{bridge="m1"} ' in scrape(metrics_port)
    assert 'ringmq_bridge_reconnects_total{bridge="m1"} 0' not in scrape(metrics_port)
    # The bridge's socket counts among the open ones, once, across the reconnect: 4 local clients + 1.
    assert "\nringmq_connections_open 5\n" in scrape(metrics_port)
    on_remote.disconnect()


def bridge_block(remote: Mosquitto, name: str, topics: list[str], extra: list[str] | None = None) -> str:
    lines = [f"connection {name}", f"address 127.0.0.1:{remote.port}", "restart_timeout 1 2",
             "keepalive_interval 5", *(f"topic {topic}" for topic in topics), *(extra or [])]
    return "\n".join(lines) + "\n"


def sighup(broker, pattern: str) -> int:
    """SIGHUP; waits for the log line matching pattern; returns the log line count before it."""
    lines = broker.log_line_count()
    os.kill(broker.pid, signal.SIGHUP)
    assert broker.wait_for_log(pattern, 10, lines), f"no {pattern!r} after SIGHUP; log:\n{broker.log[-3000:]}"
    return lines


def test_sighup_reloads_the_bridge_file(tmp_path, mosquitto, start_broker, paho, uid):
    remote_a = mosquitto(name="remote-a")
    remote_b = mosquitto(name="remote-b")
    block_a = bridge_block(remote_a, "a", [f"{uid}/a/# out 1"])
    block_b = bridge_block(remote_b, "b", [f"{uid}/b/# out 1"])
    path = tmp_path / "bridges.conf"
    path.write_text(block_a)
    metrics_port = broker_process._free_port("127.0.0.1")
    broker = start_broker(flags={"bridge_file": path, "metrics_listen": f"127.0.0.1:{metrics_port}"}, shards=2)
    await_connected(broker, "a")
    on_a = remote_client(remote_a)
    on_a.subscribe(f"{uid}/#", qos=1)
    on_b = remote_client(remote_b)
    on_b.subscribe(f"{uid}/#", qos=1)
    publisher = paho(broker)

    # A stream through A; halfway, B is added with A unchanged: A's link is not touched.
    total = 200
    for i in range(total):
        publisher.publish(f"{uid}/a/m", f"{i}".encode(), qos=1)
        if i == total // 2:
            path.write_text(block_a + block_b)
            added_at = sighup(broker, r"SIGHUP: bridge b added \(127\.0\.0\.1:\d+\)")
    seen = [int(m.payload) for m in on_a.expect(total)]
    assert sorted(seen) == list(range(total))
    await_connected(broker, "b", added_at)
    assert broker.wait_for_log_count(r"bridge a: connected to", 2, 1.0) == 1, broker.log[-3000:]
    assert "bridge a: lost" not in broker.log and "SIGHUP: bridge a" not in broker.log, broker.log[-3000:]
    publisher.publish(f"{uid}/b/m", b"via b", qos=1)
    assert [(m.topic, m.payload) for m in on_b.expect(1)] == [(f"{uid}/b/m", b"via b")]

    text = scrape(metrics_port)
    assert 'ringmq_bridge_connected{bridge="a"} 1' in text, text
    assert 'ringmq_bridge_connected{bridge="b"} 1' in text, text
    assert 'ringmq_bridge_messages_out_total{bridge="a"} 200' in text, text
    assert 'ringmq_bridge_messages_out_total{bridge="b"} 1' in text, text

    # A removed: its link closes and it relays nothing more; B keeps running.
    path.write_text(block_b)
    removed_at = sighup(broker, r"SIGHUP: bridge a removed")
    assert broker.wait_for_log(r"bridge a: link to 127\.0\.0\.1:\d+ closed", 10, removed_at), broker.log[-3000:]
    publisher.publish(f"{uid}/a/m", b"after removal", qos=1)
    publisher.publish(f"{uid}/b/m", b"b still", qos=1)
    assert [m.payload for m in on_b.expect(1)] == [b"b still"]
    on_a.expect_none(1.0)
    time.sleep(2.5)  # longer than A's restart_timeout cap: a stopped bridge does not reconnect
    assert broker.wait_for_log_count(r"bridge a: connected to", 2, 0.1) == 1, broker.log[-3000:]
    text = scrape(metrics_port)
    assert 'ringmq_bridge_connected{bridge="a"} 0' in text, text  # its series stays, at 0
    assert 'ringmq_bridge_connected{bridge="b"} 1' in text, text

    # B changed (another topic): stopped and started with the new configuration.
    block_b2 = bridge_block(remote_b, "b", [f"{uid}/b2/# out 1"])
    path.write_text(block_b2)
    changed_at = sighup(broker, r"SIGHUP: bridge b changed")
    await_connected(broker, "b", changed_at)
    publisher.publish(f"{uid}/b/m", b"old pattern", qos=1)
    publisher.publish(f"{uid}/b2/m", b"new pattern", qos=1)
    assert [m.payload for m in on_b.expect(1)] == [b"new pattern"]
    on_b.expect_none(0.5)

    # A bad file, then a CA that does not load: each refused with one error line, B keeps running.
    lines = broker.log_line_count()
    path.write_text(block_b2 + "connection c\naddress 127.0.0.1:1\ntopic x/# out 3\n")
    sighup(broker, r"SIGHUP: configuration refused, the running one stays: --bridge_file .*line \d+: topic: "
                   r"qos must be 0, 1 or 2, not 3")
    path.write_text(block_b2 + "connection c\naddress 127.0.0.1:1\ntopic x/# out 1\nbridge_cafile /nonexistent/ca.pem\n")
    sighup(broker, r"SIGHUP: bridges not reloaded, the running ones stay: bridge c: cannot load bridge CA file")
    publisher.publish(f"{uid}/b2/m", b"after bad files", qos=1)
    assert [m.payload for m in on_b.expect(1)] == [b"after bad files"]
    assert not broker.wait_for_log(r"bridge b: (lost|link)|SIGHUP: bridge c|bridge c: (connected|cannot connect)", 0.1, lines), broker.log[-3000:]
    on_a.disconnect()
    on_b.disconnect()


def test_sighup_can_name_another_bridge_file_or_none(tmp_path, mosquitto, start_broker, paho, uid):
    remote = mosquitto()
    first = tmp_path / "first.conf"
    first.write_text(bridge_block(remote, "one", [f"{uid}/one/# out 1"]))
    second = tmp_path / "second.conf"
    second.write_text(bridge_block(remote, "two", [f"{uid}/two/# out 1"]))
    flags = tmp_path / "ringmq.conf"
    flags.write_text(f"--bridge_file={first}\n")
    broker = start_broker(flags={"flagfile": flags}, shards=2)
    await_connected(broker, "one")
    on_remote = remote_client(remote)
    on_remote.subscribe(f"{uid}/#", qos=1)
    publisher = paho(broker)
    flags.write_text(f"--bridge_file={second}\n")
    lines = sighup(broker, r"SIGHUP: --bridge_file: .*first\.conf -> .*second\.conf")
    assert broker.wait_for_log(r"SIGHUP: bridge one removed", 1, lines), broker.log[-3000:]
    assert broker.wait_for_log(r"SIGHUP: bridge two added", 1, lines), broker.log[-3000:]
    await_connected(broker, "two", lines)
    publisher.publish(f"{uid}/two/m", b"via two", qos=1)
    publisher.publish(f"{uid}/one/m", b"one is gone", qos=1)
    assert [m.payload for m in on_remote.expect(1)] == [b"via two"]
    on_remote.expect_none(0.5)
    # No --bridge_file any more: every bridge stops.
    flags.write_text("# no bridges\n")
    lines = sighup(broker, r"SIGHUP: bridge two removed")
    assert broker.wait_for_log(r"bridge two: link to 127\.0\.0\.1:\d+ closed", 10, lines), broker.log[-3000:]
    publisher.publish(f"{uid}/two/m", b"two is gone", qos=1)
    on_remote.expect_none(1.0)
    on_remote.disconnect()
