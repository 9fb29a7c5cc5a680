"""mqtts:// listeners through the stream layer: certificates made here with
openssl (a CA, a server certificate for 127.0.0.1, a client certificate),
Python's ssl module as the client. MQTT flows both ways (a large payload too,
and client ids homed on other shards, so the TLS stream is handed over with
the CONNECT); plain MQTT on the TLS port closes only that connection; and
--tls_identity_as_username makes the certificate's CN the username."""

from __future__ import annotations

import pathlib
import socket
import ssl
import subprocess

import pytest

import mqtt_bytes as mb
from shards import client_id_on_shard

pytestmark = pytest.mark.ringmq_only

SHARDS = 4


def openssl(*args: str, cwd: pathlib.Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> pathlib.Path:
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=ringmq test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn, ext in (("server", "localhost", ["-extfile", "server.ext"]), ("client", "device-42", [])):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={cn}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", f"{name}.crt", *ext, cwd=d)
    return d


def tls_flags(pki: pathlib.Path) -> dict[str, str]:
    return {"tls_cert_file": str(pki / "server.crt"), "tls_key_file": str(pki / "server.key")}


class TlsClient:
    """A blocking MQTT 3.1.1 client over TLS with bounded reads."""

    def __init__(self, broker, pki: pathlib.Path, client_cert: bool = False):
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        if client_cert:
            context.load_cert_chain(str(pki / "client.crt"), str(pki / "client.key"))
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


def test_plain_mqtt_on_the_tls_port_closes_only_that_connection(start_broker, pki, uid):
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags=tls_flags(pki))
    with socket.create_connection((broker.host, broker.port), timeout=10) as plain:
        plain.sendall(mb.connect(f"{uid}-plain"))
        plain.settimeout(10)
        try:
            while plain.recv(65536):  # a TLS alert at most, then the end
                pass
        except ConnectionResetError:
            pass
    good = TlsClient(broker, pki)
    assert good.connect(f"{uid}-good") == 0
    good.close()


def test_identity_as_username(start_broker, pki, uid):
    flags = tls_flags(pki) | {"tls_ca_file": str(pki / "ca.crt"), "tls_require_client_cert": "true",
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
    flags = tls_flags(pki) | {"tls_ca_file": str(pki / "ca.crt"), "tls_require_client_cert": "true",
                              "allow_anonymous": "false"}
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags=flags)
    client = TlsClient(broker, pki, client_cert=True)
    assert client.connect(f"{uid}-cert") == 0x05  # not authorized
    client.close()


def peer_common_name(client: TlsClient) -> str:
    subject = dict(item[0] for item in client.sock.getpeercert()["subject"])
    return subject["commonName"]


def test_sighup_reloads_the_certificate_for_new_connections(start_broker, pki, uid, tmp_path):
    import shutil
    import signal
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=renewed",
            "-keyout", "renewed.key", "-out", "renewed.csr", cwd=pki)
    openssl("x509", "-req", "-in", "renewed.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", "renewed.crt", "-extfile", "server.ext", cwd=pki)
    cert, key = tmp_path / "live.crt", tmp_path / "live.key"
    shutil.copy(pki / "server.crt", cert)
    shutil.copy(pki / "server.key", key)
    broker = start_broker(listen=["mqtts://127.0.0.1:0"], flags={"tls_cert_file": str(cert), "tls_key_file": str(key)})
    before = TlsClient(broker, pki)
    assert before.connect(f"{uid}-before") == 0
    assert peer_common_name(before) == "localhost"
    shutil.copy(pki / "renewed.crt", cert)
    shutil.copy(pki / "renewed.key", key)
    broker.proc.send_signal(signal.SIGHUP)
    assert broker.wait_for_log("TLS certificate and key reloaded", timeout=5)
    after = TlsClient(broker, pki)
    assert after.connect(f"{uid}-after") == 0
    assert peer_common_name(after) == "renewed"
    # The connection made before the reload goes on with its own session.
    before.send(mb.pingreq())
    before.expect(mb.PINGRESP)
    before.close()
    after.close()
