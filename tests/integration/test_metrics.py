"""The Prometheus endpoint (--metrics_listen), scraped by a real Prometheus server.

One broker (2 shards, an ACL) and one Prometheus (scraping it every second)
serve the module. Real Paho clients drive a known mix of traffic; the tests
then ask Prometheus' HTTP API until the series have the expected values
(bounded waits), check the exposition with promtool, check that $SYS says the
same as /metrics, that the Grafana dashboard queries only exported names (and
that Prometheus evaluates each of them), and the HTTP limits of the endpoint.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import broker_process
from conftest import assert_clean_stop
from paho_client import PahoClient

pytestmark = pytest.mark.ringmq_only

REPO = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "tools" / "grafana" / "ringmq-dashboard.json"
METRICS_RE = re.compile(r"metrics endpoint http://([0-9.]+):(\d+)/metrics")
WAIT_SECONDS = 30.0
ACL = "topic readwrite metrics/#\ntopic read $SYS/#\n"

# The traffic of drive_traffic(), and what it must show.
LIVE_BY_QOS = {0: 5, 1: 4, 2: 3}
OFFLINE_QOS0 = 2
EXPECTED_RECEIVED = {"0": 5 + OFFLINE_QOS0, "1": 4 + 1, "2": 3}  # + one denied QoS 1 publish
EXPECTED_SENT = {"0": 5, "1": 4, "2": 3}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exported_names(exposition: str) -> set[str]:
    """Family names, and a histogram's sample names (what a query names) besides its family's."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":
                names.update(name + suffix for suffix in HISTOGRAM_SUFFIXES)
    return names


def histogram_families(exposition: str) -> set[str]:
    return {line.split()[2] for line in exposition.splitlines()
            if line.startswith("# TYPE ") and line.split()[3] == "histogram"}


def sample_values(exposition: str, name: str) -> list[float]:
    pattern = re.compile(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", re.MULTILINE)
    return [float(value) for value in pattern.findall(exposition)]


class Prometheus:
    """A Prometheus server scraping one target every second, in a temp dir."""

    def __init__(self, target: str):
        self.dir = tempfile.TemporaryDirectory(prefix="ringmq-it-prometheus-")
        config = pathlib.Path(self.dir.name) / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: ringmq\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(pathlib.Path(self.dir.name) / "prometheus.log", "w+b")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={pathlib.Path(self.dir.name) / 'data'}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if http_get(f"{self.url}/-/ready", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"prometheus not ready: {self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def query(self, expr: str) -> dict:
        status, _, body = http_get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        result = json.loads(body)
        assert status == 200 and result["status"] == "success", f"query {expr!r}: {status} {body[:500]}"
        return result["data"]

    def vector(self, expr: str, by: str | None = None) -> dict[str, float]:
        """An instant vector as {label value of `by` (or ''): value}."""
        data = self.query(expr)
        assert data["resultType"] == "vector", data
        return {item["metric"].get(by, "") if by else "": float(item["value"][1]) for item in data["result"]}

    def wait_for(self, expr: str, expected: dict[str, float], by: str | None = None) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        got: dict[str, float] = {}
        while time.monotonic() < deadline:
            got = self.vector(expr, by)
            if got == expected:
                return
            time.sleep(0.5)
        raise AssertionError(f"{expr}: expected {expected}, Prometheus says {got}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        self.dir.cleanup()


@pytest.fixture(scope="module")
def metrics_broker():
    acl_dir = tempfile.TemporaryDirectory(prefix="ringmq-it-metrics-")
    acl = pathlib.Path(acl_dir.name) / "acl"
    acl.write_text(ACL)
    # A bridge to a port nobody listens on: its series (connected 0, reconnects climbing) are
    # exported, so the dashboard's bridge panels are checked too; it never carries traffic.
    bridges = pathlib.Path(acl_dir.name) / "bridges"
    bridges.write_text(f"connection metrics-probe\naddress 127.0.0.1:{free_port()}\n"
                       "topic metrics/bridged/# out 0\nrestart_timeout 1 2\n")
    broker = broker_process.start_broker(
        flags={"metrics_listen": "127.0.0.1:0", "acl_file": acl, "sys_interval": 1, "bridge_file": bridges},
        shards=2)
    match = broker.wait_for_log(METRICS_RE.pattern, timeout=10)
    assert match, f"no metrics endpoint line: {broker.log}"
    broker.metrics_url = f"http://{match.group(1)}:{match.group(2)}/metrics"
    yield broker
    assert_clean_stop(broker)
    acl_dir.cleanup()


@pytest.fixture(scope="module")
def prometheus(metrics_broker):
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed (Debian package prometheus; tools/install-deps.sh --test)")
    server = Prometheus(urllib.parse.urlparse(metrics_broker.metrics_url).netloc)
    yield server
    server.stop()


def scrape(broker) -> str:
    status, headers, body = http_get(broker.metrics_url)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    return body


def wait_scrape(broker, name: str, value: float) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if sum(sample_values(scrape(broker), name)) == value:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached {value}")


@pytest.fixture(scope="module")
def traffic(metrics_broker):
    """Publishes a known mix; returns the clients still connected (closed at the end)."""
    broker = metrics_broker
    offline = PahoClient(broker.host, broker.port, "metrics-offline", clean_session=False)
    offline.connect()
    assert offline.subscribe("metrics/offline", qos=0) == [0]
    offline.disconnect()
    wait_scrape(broker, "ringmq_sessions_offline", 1)

    subscriber = PahoClient(broker.host, broker.port, "metrics-sub")
    subscriber.connect()
    assert subscriber.subscribe("metrics/live/#", qos=2) == [2]
    assert subscriber.subscribe("elsewhere/#", qos=0) == [0x80]  # the ACL grants no read there
    publisher = PahoClient(broker.host, broker.port, "metrics-pub")
    publisher.connect()
    for qos, count in LIVE_BY_QOS.items():
        for i in range(count):
            publisher.publish("metrics/live/t", f"q{qos}-{i}", qos=qos)
    for i in range(OFFLINE_QOS0):
        publisher.publish("metrics/offline", f"o{i}", qos=0)
    publisher.publish("elsewhere/x", "denied", qos=1)  # acknowledged (3.1.1 cannot refuse), not routed
    received = [subscriber.messages.get(timeout=10) for _ in range(sum(LIVE_BY_QOS.values()))]
    assert sorted(m.qos for m in received) == sorted(q for q, n in LIVE_BY_QOS.items() for _ in range(n))
    yield publisher, subscriber
    publisher.disconnect()
    subscriber.disconnect()


def test_prometheus_scrapes_expected_values(metrics_broker, prometheus, traffic):
    prometheus.wait_for('up{job="ringmq"}', {"": 1.0})
    prometheus.wait_for("sum by (qos) (ringmq_messages_received_total)", EXPECTED_RECEIVED, by="qos")
    prometheus.wait_for("sum by (qos) (ringmq_messages_sent_total)", EXPECTED_SENT, by="qos")
    prometheus.wait_for("sum by (reason) (ringmq_messages_dropped_total)",
                        {"qos0_offline": OFFLINE_QOS0, "qos0_output_full": 0, "offline_queue": 0,
                         "slow_subscriber": 0, "queue_full": 0, "too_large_for_client": 0}, by="reason")
    prometheus.wait_for("sum(ringmq_publishes_denied_total)", {"": 1})
    prometheus.wait_for("sum(ringmq_subscriptions_denied_total)", {"": 1})
    prometheus.wait_for("sum(ringmq_logins_refused_total)", {"": 0})
    prometheus.wait_for("sum(ringmq_clients_connected)", {"": 2})
    prometheus.wait_for("ringmq_connections_open", {"": 2})
    prometheus.wait_for("sum(ringmq_sessions)", {"": 3})
    prometheus.wait_for("ringmq_sessions_offline", {"": 1})
    prometheus.wait_for("sum(ringmq_subscriptions)", {"": 2})  # the live one and the offline session's
    prometheus.wait_for("ringmq_shards", {"": 2})
    prometheus.wait_for("sum by (reason) (ringmq_connections_refused_total)",
                        {"max_connections": 0, "per_ip": 0, "rate": 0, "memory_limit": 0}, by="reason")
    # Three clients connected (the offline one once); the endpoint's own scrapes are not MQTT.
    assert prometheus.vector("sum(ringmq_connections_accepted_total)")[""] >= 3
    # Every shard reports its loop; both loops spent most of the last seconds waiting (a quiet broker).
    deadline = time.monotonic() + WAIT_SECONDS
    while True:  # rate() needs two scrapes in its window
        busy = prometheus.vector("irate(ringmq_shard_loop_busy_seconds_total[5s])", by="shard")
        wait = prometheus.vector("irate(ringmq_shard_loop_wait_seconds_total[5s])", by="shard")
        if len(busy) == len(wait) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(busy) == set(wait) == {"0", "1"}, (busy, wait)
    for shard in busy:
        assert 0.5 < busy[shard] + wait[shard] < 1.5, (shard, busy, wait)  # seconds per second
        assert busy[shard] < 0.5, busy
    # The retained replicas ($SYS topics are retained) agree.
    prometheus.wait_for("max(ringmq_retained_messages) - min(ringmq_retained_messages)", {"": 0})
    assert prometheus.vector("min(ringmq_retained_messages)")[""] > 0
    received_bytes = prometheus.vector("sum(ringmq_received_bytes_total)")[""]
    assert received_bytes > sum(len(f"q{q}-{i}") for q, n in LIVE_BY_QOS.items() for i in range(n))
    assert prometheus.vector("ringmq_build_info")  # one series, labels checked in test_version
    assert prometheus.vector("process_resident_memory_bytes")[""] > 1 << 20


def test_promtool_accepts_exposition(metrics_broker, traffic):
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    text = scrape(metrics_broker)
    result = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert result.returncode == 0 and not result.stdout and not result.stderr, (
        result.returncode, result.stdout.decode(), result.stderr.decode())
    for name in exported_names(text):
        assert re.fullmatch(r"(ringmq|process)_[a-z0-9_]+", name), name


def sys_values(broker, topics: list[str]) -> dict[str, int]:
    client = PahoClient(broker.host, broker.port, "metrics-sys")
    client.connect()
    try:
        client.subscribe("$SYS/broker/#", qos=0)
        values: dict[str, int] = {}
        deadline = time.monotonic() + WAIT_SECONDS
        # Retained values first, then one fresh publication (every second) of each topic.
        fresh: set[str] = set()
        while time.monotonic() < deadline and fresh != set(topics):
            message = client.messages.get(timeout=WAIT_SECONDS)
            if message.topic in topics:
                values[message.topic] = int(message.payload)
                if not message.retain:
                    fresh.add(message.topic)
        assert fresh == set(topics), f"no fresh $SYS value for {set(topics) - fresh}"
        return values
    finally:
        client.disconnect()


def test_sys_topics_match_metrics(metrics_broker, traffic):
    pairs = {
        "$SYS/broker/messages/received": "ringmq_messages_received_total",
        "$SYS/broker/messages/dropped": "ringmq_messages_dropped_total",
        "$SYS/broker/publish/denied": "ringmq_publishes_denied_total",
        "$SYS/broker/subscribe/denied": "ringmq_subscriptions_denied_total",
        "$SYS/broker/sessions/offline": "ringmq_sessions_offline",
        "$SYS/broker/cross_shard/queue_full": "ringmq_cross_shard_queue_full_total",
        "$SYS/broker/recv_buffers/exhausted": "ringmq_recv_buffers_exhausted_total",
        # The broker listens on plain TCP only: every accepted socket is transport="tcp".
        "$SYS/broker/connections/accepted/tcp": "ringmq_transport_connections_accepted_total",
    }
    sys = sys_values(metrics_broker, list(pairs))
    exposition = scrape(metrics_broker)
    for topic, name in pairs.items():
        assert sys[topic] == sum(sample_values(exposition, name)), (topic, sys[topic], name)
    assert sys["$SYS/broker/messages/received"] == sum(int(v) for v in EXPECTED_RECEIVED.values())


def dashboard_expressions() -> list[str]:
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "expr" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(DASHBOARD.read_text()))
    return found


def test_dashboard_uses_exported_metric_names(metrics_broker, prometheus, traffic):
    exprs = dashboard_expressions()
    assert len(exprs) >= 10
    used = {name for expr in exprs for name in re.findall(r"\b((?:ringmq|process)_[a-z0-9_]+)\b", expr)}
    exposition = scrape(metrics_broker)
    exported = exported_names(exposition)
    assert used <= exported, f"dashboard names not exported: {sorted(used - exported)}"
    # A histogram is on a panel when one of its series (_bucket, _sum, _count) is.
    histograms = histogram_families(exposition)
    assert "ringmq_persistence_commit_seconds" in histograms
    histogram_series = {family + suffix for family in histograms for suffix in HISTOGRAM_SUFFIXES}
    used_families = used | {family for family in histograms if any(family + suffix in used
                                                                   for suffix in HISTOGRAM_SUFFIXES)}
    missing = {name for name in exported if name.startswith("ringmq_")} - histogram_series - used_families
    assert not missing, f"exported but on no dashboard panel: {sorted(missing)}"
    # Every query evaluates in Prometheus, with Grafana's variables filled in as Grafana would.
    prometheus.wait_for("sum(ringmq_messages_received_total)", {"": sum(EXPECTED_RECEIVED.values())})
    time.sleep(3)  # a few scrapes after traffic, so rate() over 10 s has two samples
    for expr in exprs:
        concrete = expr.replace("$__rate_interval", "10s").replace("$instance", ".*")
        data = prometheus.query(concrete)
        assert data["result"], f"dashboard query returns nothing: {concrete}"


def raw_request(broker, request: bytes, timeout: float = 10.0) -> bytes:
    host, port = urllib.parse.urlparse(broker.metrics_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_http_only_get_metrics(metrics_broker):
    assert http_get(metrics_broker.metrics_url.replace("/metrics", "/other"))[0] == 404
    assert raw_request(metrics_broker, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n").startswith(
        b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert raw_request(metrics_broker, b"nonsense\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    too_large = b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n"
    assert raw_request(metrics_broker, too_large).startswith(b"HTTP/1.1 431 ")
    response = raw_request(metrics_broker, b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert length == len(body) and b"# TYPE ringmq_messages_received_total counter" in body


def test_http_limits_connections_and_time(metrics_broker):
    host, port = urllib.parse.urlparse(metrics_broker.metrics_url).netloc.split(":")
    idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(16)]
    try:
        time.sleep(0.5)  # the server has taken all 16
        with socket.create_connection((host, int(port)), timeout=10) as extra:
            assert extra.recv(1) == b"", "a 17th connection must be closed at once"
        # The 16 idle ones are cut after 5 s without a request, freeing the endpoint.
        started = time.monotonic()
        for sock in idle:
            assert sock.recv(1) == b""
        assert 3.5 < time.monotonic() - started < 8.0
        assert http_get(metrics_broker.metrics_url)[0] == 200
    finally:
        for sock in idle:
            sock.close()


def test_metrics_listen_refused_when_invalid_or_taken():
    binary = str(broker_process.ringmq_binary())
    bad = subprocess.run([binary, "--listen", "127.0.0.1:0", "--metrics_listen", "not-an-address"],
                         capture_output=True, timeout=10)
    assert bad.returncode == 2 and b"--metrics_listen" in bad.stderr, bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run([binary, "--listen", "127.0.0.1:0", "--shards", "1",
                               "--metrics_listen", f"127.0.0.1:{port}"], capture_output=True, timeout=10)
    assert busy.returncode == 1 and b"--metrics_listen: cannot listen on" in busy.stderr, busy.stderr
