"""MQTT over WebSocket (`--listen ws://HOST:PORT/PATH`, RFC 6455 + MQTT section 6) against the real
broker: MQTT.js in node and in headless Chromium, Paho's websockets transport, and a raw WebSocket
client for the handshake, any framing of MQTT bytes, pings, closes and every refusal; and the same
clients over `wss://` (TLS, certificates from tls_certs.py).

Each broker has a plain TCP listener beside the WebSocket one, so clients of both kinds exchange
messages.
"""

from __future__ import annotations

import http.server
import pathlib
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

import broker_process
import mqtt_bytes as mb
import websocket_bytes as wsb
from conftest import assert_clean_stop
from paho_client import PahoClient
from tls_certs import make_pki
from websocket_client import WebSocketClient

pytestmark = pytest.mark.ringmq_only  # Debian's mosquitto here cannot open its websockets listener

HERE = pathlib.Path(__file__).resolve().parent
SHARDS = 4


def start_ws_broker(flags: dict[str, object] | None = None, scheme: str = "ws") -> broker_process.Broker:
    """A broker with a TCP listener and a SCHEME://127.0.0.1:0/mqtt listener (ws or wss); .ws_port is
    the latter's."""
    argv = [str(broker_process.ringmq_binary()), "--listen", "127.0.0.1:0", "--listen", f"{scheme}://127.0.0.1:0/mqtt",
            "--shards", str(SHARDS), "--log_level", "info"]
    for name, value in (flags or {}).items():
        argv.append(f"--{name}={value}")
    try:
        broker = broker_process.Broker("ringmq", argv, SHARDS, ["127.0.0.1", "127.0.0.1"])
    except broker_process.BrokerStartError as err:
        pytest.fail(str(err), pytrace=False)
    match = re.search(rf"listening on ([0-9.]+):(\d+), {scheme}://", broker.log)
    if match is None:
        broker.stop()
        pytest.fail(f"no 'listening on HOST:PORT, {scheme}://' line:\n{broker.log}", pytrace=False)
    broker.ws_port = int(match.group(2))
    broker.listeners = [(host, port) for host, port in broker.listeners if port != broker.ws_port]
    return broker


@pytest.fixture(scope="module")
def ws_broker():
    broker = start_ws_broker()
    yield broker
    assert_clean_stop(broker)


@pytest.fixture
def ws(ws_broker):
    """Factory: ws() -> WebSocketClient on ws_broker's WebSocket port, not yet upgraded."""
    made: list[WebSocketClient] = []

    def make(broker=None) -> WebSocketClient:
        target = broker or ws_broker
        client = WebSocketClient("127.0.0.1", target.ws_port)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def own_broker():
    """Factory for brokers with specific flags, stopped and checked at the end of the test."""
    started = []

    def start(flags, scheme="ws"):
        broker = start_ws_broker(flags, scheme)
        started.append(broker)
        return broker

    yield start
    for broker in started:
        assert_clean_stop(broker)


def test_upgrade_answer_follows_rfc_6455(ws):
    response = ws().upgrade()
    assert response.status == 101, response.status_line
    assert response.headers["upgrade"].lower() == "websocket"
    assert response.headers["connection"].lower() == "upgrade"
    assert response.headers["sec-websocket-accept"] == wsb.RFC_ACCEPT
    assert response.headers["sec-websocket-protocol"] == "mqtt"


@pytest.mark.parametrize("offered, chosen", [("mqtt", "mqtt"), ("mqttv3.1", "mqttv3.1"),
                                             ("mqttv3.1, mqtt", "mqtt"), (None, None)])
def test_subprotocol_choice_then_mqtt(ws, uid, offered, chosen):
    client = ws()
    key = "AQIDBAUGBwgJCgsMDQ4PEA=="
    response = client.upgrade(wsb.upgrade_request(protocols=offered, key=key))
    assert response.status == 101, response.status_line
    assert response.headers.get("sec-websocket-protocol") == chosen
    assert response.headers["sec-websocket-accept"] == wsb.accept_for(key)
    assert client.connect(f"{uid}-c").connack() == (False, 0)
    client.ping()


def test_mqtt_bytes_in_any_framing(ws, paho, ws_broker, uid):
    """A packet across the frames of a fragmented message, pings between them, several packets in one
    frame: MQTT is a byte stream whatever the frames [MQTT-6.0.0-2]."""
    client = ws().upgraded()
    connect = mb.connect(f"{uid}-raw")
    client.send_raw(wsb.client_frame(wsb.BINARY, connect[:2], fin=False)
                    + wsb.client_frame(wsb.PING, b"between fragments")
                    + wsb.client_frame(wsb.CONTINUATION, connect[2:9], fin=False, mask=b"\x00\xff\x10\x01")
                    + wsb.client_frame(wsb.CONTINUATION, connect[9:], mask=b"\xaa\xbb\xcc\xdd"))
    assert client.expect(mb.CONNACK).connack() == (False, 0)
    assert client.wait_control(wsb.PONG) == b"between fragments"
    topic = f"{uid}/t"
    client.send_raw(wsb.client_frame(wsb.BINARY, mb.subscribe(1, [(topic, 1)]) + mb.publish(topic, b"one")
                                     + mb.publish(topic, b"two", qos=1, packet_id=2)))
    assert client.expect(mb.SUBACK).suback_codes() == [1]
    assert client.expect(mb.PUBACK).packet_id() == 2
    assert [client.recv_publish_acked().payload() for _ in range(2)] == [b"one", b"two"]
    # A TCP client's message reaches the WebSocket client, and the other way round.
    peer = paho(ws_broker)
    peer.subscribe(f"{uid}/back", 1)
    peer.publish(topic, b"from tcp", 1)
    assert client.recv_publish_acked().payload() == b"from tcp"
    client.send(mb.publish(f"{uid}/back", b"from ws", qos=1, packet_id=3))
    assert client.expect(mb.PUBACK).packet_id() == 3
    assert peer.expect()[0].payload == b"from ws"


def test_frames_sent_with_the_upgrade_request(ws, uid):
    """A client that does not wait for the 101 before its first frame is still read."""
    client = ws()
    response = client.upgrade(wsb.upgrade_request() + wsb.client_frame(wsb.BINARY, mb.connect(f"{uid}-early")))
    assert response.status == 101
    assert client.expect(mb.CONNACK).connack() == (False, 0)


def test_ping_gets_pong_with_its_payload(ws, uid):
    client = ws().upgraded()
    assert client.connect(f"{uid}-p").connack() == (False, 0)
    payload = bytes(range(125))
    client.send_raw(wsb.client_frame(wsb.PING, payload))
    assert client.wait_control(wsb.PONG) == payload
    client.ping()


def test_close_is_answered_and_connection_ends(ws, uid):
    client = ws().upgraded()
    assert client.connect(f"{uid}-close").connack() == (False, 0)
    client.send_raw(wsb.client_frame(wsb.CLOSE, wsb.close_payload(1001, b"going away")))
    assert client.wait_control(wsb.CLOSE) == wsb.close_payload(1001)
    assert client.wait_socket_closed(), "the broker kept the connection after the close handshake"


def test_disconnect_closes_the_connection(ws, uid):
    client = ws().upgraded()
    assert client.connect(f"{uid}-d").connack() == (False, 0)
    client.send(mb.disconnect())
    assert client.wait_socket_closed()
    assert client.close_code in (None, 1000), f"close code {client.close_code} after DISCONNECT"


@pytest.mark.parametrize("frame, code", [
    (wsb.client_frame(wsb.TEXT, b"text"), 1003),
    (wsb.client_frame(wsb.BINARY, mb.pingreq(), mask=None), 1002),
    (wsb.client_frame(wsb.BINARY, mb.pingreq(), rsv=4), 1002),
    (wsb.client_frame(0x3, b"x"), 1002),
    (wsb.client_frame(wsb.CONTINUATION, mb.pingreq()), 1002),
    (wsb.client_frame(wsb.PING, b"x" * 126), 1002),
    (wsb.client_frame(wsb.PING, b"x", fin=False), 1002),
    (wsb.client_frame(wsb.CLOSE, b"\x03"), 1002),
], ids=["text", "unmasked", "reserved-bit", "unknown-opcode", "stray-continuation", "long-ping",
        "fragmented-ping", "one-byte-close"])
def test_protocol_violations_close_with_their_code(ws, ws_broker, uid, frame, code):
    client = ws().upgraded()
    assert client.connect(f"{uid}-v").connack() == (False, 0)
    from_line = ws_broker.log_line_count()
    client.send_raw(frame)
    assert client.wait_control(wsb.CLOSE) == wsb.close_payload(code)
    assert client.wait_socket_closed()
    assert ws_broker.wait_for_log(rf"websocket: .*\(sent close {code}\)", from_line=from_line), \
        "no log line saying why the connection was closed"


def test_message_above_max_packet_size_gets_1009(own_broker, uid):
    broker = own_broker({"max_packet_size": 1024})
    client = WebSocketClient("127.0.0.1", broker.ws_port)
    try:
        client.upgraded()
        assert client.connect(f"{uid}-big").connack() == (False, 0)
        client.send(mb.publish(f"{uid}/t", b"x" * 1024))
        assert client.wait_control(wsb.CLOSE) == wsb.close_payload(1009)
        assert client.wait_socket_closed()
    finally:
        client.close()


@pytest.mark.parametrize("request_bytes, status", [
    (wsb.upgrade_request(path="/other"), 404),
    (wsb.upgrade_request(version="8"), 426),
    (b"GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (wsb.upgrade_request(key="c2hvcnQ="), 400),
    (wsb.upgrade_request(protocols="chat"), 400),
    (mb.connect("mqtt-on-the-ws-port"), 400),
    (b"GET /mqtt HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 9000 + b"\r\n", 431),
], ids=["path", "version", "plain-get", "short-key", "other-subprotocol", "mqtt-without-upgrade", "huge-head"])
def test_refused_upgrades_answer_in_http_and_close(ws, ws_broker, request_bytes, status):
    client = ws()
    from_line = ws_broker.log_line_count()
    response = client.upgrade(request_bytes)
    assert response.status == status, response.status_line
    if status == 426:
        assert response.headers["sec-websocket-version"] == "13"
    assert client.wait_socket_closed()
    assert ws_broker.wait_for_log(rf"websocket upgrade refused \({status}\): ", from_line=from_line), \
        "no log line saying why the upgrade was refused"


def test_origin_allow_list(own_broker, uid):
    broker = own_broker({"ws_allowed_origins": "http://good.example,https://app.example"})
    cases = [("http://evil.example", 403), ("http://good.example", 101), ("https://app.example", 101), (None, 101)]
    for origin, status in cases:
        client = WebSocketClient("127.0.0.1", broker.ws_port)
        try:
            response = client.upgrade(wsb.upgrade_request(origin=origin))
            assert response.status == status, (origin, response.status_line)
            if status == 101:
                assert client.connect(f"{uid}-o").connack() == (False, 0)
            else:
                assert client.wait_socket_closed()
        finally:
            client.close()


def test_large_payload_both_ways(ws, paho, ws_broker, uid):
    """200 kB messages: frames with 64-bit lengths from the client and from the broker."""
    client = ws().upgraded()
    assert client.connect(f"{uid}-large").connack() == (False, 0)
    topic = f"{uid}/large"
    assert client.subscribe([(topic, 1)]) == [1]
    peer = paho(ws_broker)
    peer.subscribe(topic, 1)
    payload = bytes(i * 31 % 251 for i in range(200_000))
    client.send(mb.publish(topic, payload, qos=1, packet_id=9))
    assert client.expect(mb.PUBACK).packet_id() == 9
    assert client.recv_publish_acked().payload() == payload
    assert peer.expect()[0].payload == payload


def test_paho_websocket_transport(ws_broker, paho, uid):
    ws_client = PahoClient("127.0.0.1", ws_broker.ws_port, f"{uid}-paho-ws", websocket_path="/mqtt")
    try:
        assert ws_client.connect() == (False, 0)
        ws_client.subscribe(f"{uid}/to-ws", 1)
        tcp_client = paho(ws_broker)
        tcp_client.subscribe(f"{uid}/to-tcp", 1)
        tcp_client.publish(f"{uid}/to-ws", b"over tcp", 1)
        assert ws_client.expect()[0].payload == b"over tcp"
        ws_client.publish(f"{uid}/to-tcp", b"over websocket", 1)
        assert tcp_client.expect()[0].payload == b"over websocket"
    finally:
        ws_client.disconnect(timeout=2)


def run_mqttjs_scenario(node: str, broker, paho, uid: str, version: int, tls_args: list[str]) -> None:
    """websocket.mjs against broker's WebSocket listener, answered by a Paho client on its TCP one."""
    tcp_client = paho(broker)
    tcp_client.subscribe(f"{uid}/from-js", 1)
    script = HERE / "mqttjs" / "websocket.mjs"
    script_run = subprocess.Popen([node, str(script), "127.0.0.1", str(broker.ws_port), uid, str(version)] + tls_args,
                            cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert tcp_client.expect(timeout=15)[0].payload == b"hello from mqtt.js"
        tcp_client.publish(f"{uid}/to-js", b"hello from paho", 1)
        stdout, stderr = script_run.communicate(timeout=30)
    finally:
        if script_run.poll() is None:
            script_run.kill()
            script_run.communicate(timeout=5)
    assert script_run.returncode == 0, f"websocket.mjs failed:\n{stdout}\n{stderr[-3000:]}"
    assert stdout.strip().endswith("ok")


@pytest.mark.parametrize("version", [4, 5], ids=["mqtt311", "mqtt5"])
def test_mqttjs_over_websocket(ws_broker, paho, node, uid, version):
    run_mqttjs_scenario(node, ws_broker, paho, uid, version, [])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str, str]:
    """The CA that clients trust, and the broker's certificate for 127.0.0.1 and its key (PEM files)."""
    pki = make_pki(tmp_path_factory.mktemp("wss-pki"))
    return str(pki.ca.cert), str(pki.server.cert), str(pki.server.key)


@pytest.fixture(scope="module")
def wss_broker(certificate):
    _, cert, key = certificate
    broker = start_ws_broker({"tls_cert_file": cert, "tls_key_file": key}, scheme="wss")
    yield broker
    assert_clean_stop(broker)


def test_wss_raw_client(wss_broker, certificate, uid):
    """WebSocket over TLS: handshake, MQTT in fragmented frames, ping, close."""
    client = WebSocketClient("127.0.0.1", wss_broker.ws_port, ca_file=certificate[0])
    try:
        client.upgraded()
        connect = mb.connect(f"{uid}-wss")
        client.send_raw(wsb.client_frame(wsb.BINARY, connect[:5], fin=False)
                        + wsb.client_frame(wsb.PING, b"over tls") + wsb.client_frame(wsb.CONTINUATION, connect[5:]))
        assert client.expect(mb.CONNACK).connack() == (False, 0)
        assert client.wait_control(wsb.PONG) == b"over tls"
        assert client.subscribe([(f"{uid}/t", 1)]) == [1]
        client.send(mb.publish(f"{uid}/t", b"x" * 70_000, qos=1, packet_id=5))
        assert client.expect(mb.PUBACK).packet_id() == 5
        assert client.recv_publish_acked().payload() == b"x" * 70_000
        client.send_raw(wsb.client_frame(wsb.CLOSE, wsb.close_payload(1000)))
        assert client.wait_control(wsb.CLOSE) == wsb.close_payload(1000)
    finally:
        client.close()


def test_wss_paho_and_mqttjs(wss_broker, certificate, paho, node, uid):
    ws_client = PahoClient("127.0.0.1", wss_broker.ws_port, f"{uid}-paho-wss", websocket_path="/mqtt")
    ws_client.client.tls_set(ca_certs=certificate[0])
    try:
        assert ws_client.connect() == (False, 0)
        ws_client.subscribe(f"{uid}/to-wss", 1)
        paho(wss_broker).publish(f"{uid}/to-wss", b"over tcp", 1)
        assert ws_client.expect()[0].payload == b"over tcp"
    finally:
        ws_client.disconnect(timeout=2)
    run_mqttjs_scenario(node, wss_broker, paho, uid, 5, ["wss", certificate[0]])


class _PageServer(http.server.ThreadingHTTPServer):
    """Serves the test page and MQTT.js's browser bundle on loopback; what the page POSTs to /result
    goes to .results."""

    def __init__(self, bundle: pathlib.Path):
        self.bundle = bundle
        self.results: queue.Queue = queue.Queue()
        super().__init__(("127.0.0.1", 0), _PageHandler)


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        path = urllib.parse.urlsplit(self.path).path
        files = {"/": (HERE / "browser" / "websocket.html", "text/html"),
                 "/mqtt.min.js": (self.server.bundle, "application/javascript")}
        if path not in files:
            self.send_error(404)
            return
        file, content_type = files[path]
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.results.put(body.decode("utf-8", "replace"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args):
        pass


def test_browser_mqttjs_over_websocket(ws_broker, paho, node, uid):
    """Headless Chromium runs MQTT.js's browser bundle against the ws:// listener and exchanges
    messages with a Paho client on the TCP listener."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed (tools/install-deps.sh --test installs it)", pytrace=False)
    tcp_client = paho(ws_broker)
    tcp_client.subscribe(f"{uid}/from-browser", 1)
    server = _PageServer(HERE / "node_modules" / "mqtt" / "dist" / "mqtt.min.js")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    query = urllib.parse.urlencode({"url": f"ws://127.0.0.1:{ws_broker.ws_port}/mqtt", "id": f"{uid}-browser",
                                    "uid": uid})
    with tempfile.TemporaryDirectory(prefix="ringmq-chromium-") as profile:
        browser = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={profile}", f"http://127.0.0.1:{server.server_address[1]}/?{query}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 45
            received = None
            while received is None and time.monotonic() < deadline:
                try:
                    received = tcp_client.expect(timeout=1)[0]
                except AssertionError:
                    if not server.results.empty():
                        pytest.fail(f"the page reported: {server.results.get()}", pytrace=False)
                    assert browser.poll() is None, f"chromium exited: {browser.stderr.read()[-3000:]!r}"
            assert received is not None, "no message from the browser within 45 s"
            assert received.payload == b"hello from chromium"
            tcp_client.publish(f"{uid}/to-browser", b"hello from paho", 1)
            result = server.results.get(timeout=20)
            assert result == f"message {uid}/to-browser hello from paho"
        finally:
            browser.terminate()
            try:
                browser.wait(10)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait(5)
            server.shutdown()
            server.server_close()
