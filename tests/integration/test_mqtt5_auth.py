"""MQTT 5 enhanced authentication over the wire with SCRAM-SHA-256 (RFC 5802,
RFC 7677): CONNECT carries the client-first-message, AUTH 0x18 the
server-first, AUTH 0x18 the client-final, CONNACK the server's v=. The users
are written by `ringmq-scram-passwd -b`; the client side is scram_client.py,
which checks the broker's server signature. With no method configured a
CONNECT naming one gets 0x8C; wrong passwords and unknown users both get 0x86
after an identical-looking exchange; a connected client re-authenticates with
AUTH 0x19; --require_enhanced_auth refuses CONNECTs without a method.

Real clients: MQTT.js 5 runs the whole exchange through its handleAuth hook,
re-authentication included (mqttjs/scram.mjs). Paho 1.6 can put Authentication
Method and Data in CONNECT (used below) but cannot continue an exchange: it has
no API to send AUTH and treats a received AUTH as an unknown packet and drops
the connection. The other multi-step scenarios use the raw client."""

from __future__ import annotations

import base64
import pathlib
import re
import subprocess
import time

import pytest
from paho.mqtt.packettypes import PacketTypes

import broker_process
import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5, raw5  # noqa: F401
from paho5_client import props as paho_props
from paho_client import PahoClient
from raw_client import RawClient
from scram_client import METHOD, ScramClient, auth_packet, begin, expect_auth, finish, scram_passwd
from shards import client_id_on_shard

pytestmark = pytest.mark.ringmq_only

HERE = pathlib.Path(__file__).resolve().parent
USERS = {"alice": "correct horse battery staple", "sensor,7=b": "p@ss:w0rd", "carol": "c4rol"}


@pytest.fixture
def scram_file(tmp_path):
    """A credentials file made by ringmq-scram-passwd -c -b / -b for USERS."""
    path = tmp_path / "scram-users"
    for index, (user, password) in enumerate(USERS.items()):
        args = ["-c", "-b"] if index == 0 else ["-b"]
        done = scram_passwd(*args, str(path), user, password)
        assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def scram_broker(start_broker, scram_file):
    return start_broker(flags={"scram_file": scram_file})


@pytest.fixture
def clients():
    """Factory: clients(broker) -> RawClient; every one is closed at teardown."""
    made: list[RawClient] = []

    def make(broker) -> RawClient:
        client = RawClient(broker.host, broker.port)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def login(client: RawClient, client_id: str, user: str, password: str, **connect_args) -> tuple[int, dict]:
    scram = ScramClient(user, password)
    reason, props = finish(client, scram, begin(client, client_id, scram, **connect_args))
    if reason == 0:
        assert props[m5.AUTHENTICATION_METHOD] == METHOD
        assert scram.verify(props[m5.AUTHENTICATION_DATA]), "broker's server signature is wrong"
    else:
        assert m5.AUTHENTICATION_DATA not in props
    return reason, props


def test_method_without_authenticator_is_0x8c(broker, raw5, uid):
    client = raw5(broker, uid, expect_reason=0x8C, props=[(m5.AUTHENTICATION_METHOD, METHOD)])
    assert client.client.wait_closed()


def test_unknown_method_is_0x8c(scram_broker, raw5, uid):
    client = raw5(scram_broker, uid, expect_reason=None,
                  props=[(m5.AUTHENTICATION_METHOD, "RINGMQ-CHALLENGE")])
    assert client.reason == 0x8C
    assert client.client.wait_closed()


def test_exchange_succeeds_on_every_shard(scram_broker, clients, uid):
    for shard in range(scram_broker.shards):
        for user, password in USERS.items():
            client = clients(scram_broker)
            reason, _ = login(client, client_id_on_shard(f"{uid}-{user}", shard, scram_broker.shards),
                              user, password)
            assert reason == 0
            client.ping()


def test_interleaved_exchanges_keep_their_own_state(scram_broker, clients, uid):
    # Twenty exchanges open at once, answered in reverse order, every third with a wrong password:
    # each connection's nonce, salt and AuthMessage stay its own.
    pending = []
    for index in range(20):
        client = clients(scram_broker)
        user = list(USERS)[index % len(USERS)]
        scram = ScramClient(user, USERS[user] if index % 3 else "wrong")
        client.send(m5.connect(f"{uid}-{index}", props=[(m5.AUTHENTICATION_METHOD, METHOD),
                                                        (m5.AUTHENTICATION_DATA, scram.client_first())]))
        pending.append((index, client, scram))
    server_firsts = [expect_auth(client, 0x18) for _, client, _ in pending]
    for (index, client, scram), server_first in reversed(list(zip(pending, server_firsts))):
        reason, props = finish(client, scram, server_first)
        assert reason == (0x86 if index % 3 == 0 else 0), f"exchange {index}"
        if reason == 0:
            assert scram.verify(props[m5.AUTHENTICATION_DATA])
            client.ping()


def test_connected_client_works_normally(scram_broker, clients, uid):
    subscriber, publisher = clients(scram_broker), clients(scram_broker)
    assert login(subscriber, f"{uid}-sub", "alice", USERS["alice"])[0] == 0
    assert login(publisher, f"{uid}-pub", "carol", USERS["carol"], username="carol")[0] == 0
    subscriber.send(m5.subscribe(1, [(f"{uid}/t", 1)]))
    assert m5.parse_suback(subscriber.expect(mb.SUBACK)) == [1]
    publisher.send(m5.publish(f"{uid}/t", b"after SCRAM", qos=1, packet_id=1))
    publisher.expect(mb.PUBACK)
    assert m5.parse_publish(subscriber.expect(mb.PUBLISH)).payload == b"after SCRAM"


def test_wrong_password_is_0x86(scram_broker, clients, uid):
    client = clients(scram_broker)
    assert login(client, uid, "alice", "guess")[0] == 0x86
    assert client.wait_closed()
    assert scram_broker.wait_for_log(r"refusing connection .*: authentication failed \(Bad User Name or Password\)")


def test_unknown_user_gets_the_same_exchange_as_a_wrong_password(scram_broker, clients, uid):
    salts = []
    for attempt in range(2):
        # Another client id each time, so the attempts land on different shards.
        client = clients(scram_broker)
        scram = ScramClient("mallory", "anything")
        server_first = begin(client, f"{uid}-{attempt}", scram)
        reason, props = finish(client, scram, server_first)
        assert reason == 0x86 and m5.AUTHENTICATION_DATA not in props
        salts.append(scram.salt)
        assert scram.iterations == 4096
        assert client.wait_closed()
    real = ScramClient("alice", "guess")
    real_client = clients(scram_broker)
    assert finish(real_client, real, begin(real_client, f"{uid}-real", real))[0] == 0x86
    assert salts[0] == salts[1], "an unknown user's salt changes between attempts"
    assert len(salts[0]) == len(real.salt) == 16
    assert salts[0] != real.salt


def test_connect_username_must_be_the_scram_user(scram_broker, clients, uid):
    client = clients(scram_broker)
    scram = ScramClient("alice", USERS["alice"])
    client.send(m5.connect(uid, username="carol", props=[(m5.AUTHENTICATION_METHOD, METHOD),
                                                         (m5.AUTHENTICATION_DATA, scram.client_first())]))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x87
    assert client.wait_closed()


@pytest.mark.parametrize("client_first", [
    b"p=tls-server-end-point,,n=alice,r=abcdef",  # channel binding: not supported
    b"n,a=carol,n=alice,r=abcdef",                # authorization identity: not supported
    b"n,,n=alice",                                # no nonce
    b"",                                          # no client-first-message at all
])
def test_unsupported_client_first_is_0x87(scram_broker, clients, uid, client_first):
    client = clients(scram_broker)
    props = [(m5.AUTHENTICATION_METHOD, METHOD)]
    if client_first:
        props.append((m5.AUTHENTICATION_DATA, client_first))
    client.send(m5.connect(uid, props=props))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x87
    assert client.wait_closed()


def test_replayed_nonce_is_0x87(scram_broker, clients, uid):
    client = clients(scram_broker)
    scram = ScramClient("alice", USERS["alice"])
    server_first = begin(client, uid, scram)
    client.send(auth_packet(0x18, scram.client_final(server_first, tamper_nonce=True)))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x87


def test_other_packets_during_the_exchange_close_the_connection(scram_broker, clients, uid):
    client = clients(scram_broker)
    begin(client, uid, ScramClient("alice", USERS["alice"]))
    assert client.is_closed_after(m5.publish(f"{uid}/t", b"too early"))


def test_auth_with_another_method_is_refused(scram_broker, clients, uid):
    client = clients(scram_broker)
    scram = ScramClient("alice", USERS["alice"])
    server_first = begin(client, uid, scram)
    client.send(auth_packet(0x18, scram.client_final(server_first), method="SCRAM-SHA-1"))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x82
    assert client.wait_closed()


def test_reauthenticate_during_the_first_exchange_is_a_protocol_error(scram_broker, clients, uid):
    client = clients(scram_broker)
    begin(client, uid, ScramClient("alice", USERS["alice"]))
    client.send(auth_packet(0x19, ScramClient("alice", USERS["alice"]).client_first()))
    assert m5.parse_connack(client.expect(mb.CONNACK))[1] == 0x82
    assert client.wait_closed()


def test_malformed_auth_packet_mid_exchange_closes_with_0x81(scram_broker, clients, uid):
    client = clients(scram_broker)
    begin(client, uid, ScramClient("alice", USERS["alice"]))
    client.send(mb.packet(m5.AUTH << 4, b"\x18\x05\x15\x00"))  # property block longer than the packet
    connack = client.expect(mb.CONNACK)
    assert m5.parse_connack(connack)[1] == 0x81
    assert client.wait_closed()


def test_reauthentication(scram_broker, clients, uid):
    client = clients(scram_broker)
    assert login(client, uid, "alice", USERS["alice"])[0] == 0
    for _ in range(2):
        scram = ScramClient("alice", USERS["alice"])
        client.send(auth_packet(0x19, scram.client_first()))
        server_first = expect_auth(client, 0x18)
        client.send(auth_packet(0x18, scram.client_final(server_first)))
        assert scram.verify(expect_auth(client, 0x00)), "broker's server signature is wrong"
        client.ping()
    # A failed re-authentication ends the connection with the reason code.
    scram = ScramClient("alice", "guess")
    client.send(auth_packet(0x19, scram.client_first()))
    client.send(auth_packet(0x18, scram.client_final(expect_auth(client, 0x18))))
    disconnect = client.recv_packet()
    assert disconnect.kind == mb.DISCONNECT
    assert m5.parse_reason(disconnect)[0] == 0x86
    assert client.wait_closed()


def test_reauthentication_as_another_user_is_refused(scram_broker, clients, uid):
    client = clients(scram_broker)
    assert login(client, uid, "alice", USERS["alice"])[0] == 0
    client.send(auth_packet(0x19, ScramClient("carol", USERS["carol"]).client_first()))
    disconnect = client.recv_packet()
    assert disconnect.kind == mb.DISCONNECT
    assert m5.parse_reason(disconnect)[0] == 0x87
    assert client.wait_closed()


def test_auth_from_a_client_that_did_not_authenticate_is_0x82(scram_broker, raw5, uid):
    client = raw5(scram_broker, uid)
    assert client.refusal_of(auth_packet(0x19, ScramClient("alice", USERS["alice"]).client_first())) == 0x82


def test_exchange_left_hanging_is_closed_at_connect_timeout(start_broker, scram_file, clients, uid):
    broker = start_broker(flags={"scram_file": scram_file, "connect_timeout": 1})
    client = clients(broker)
    started = time.monotonic()
    begin(client, uid, ScramClient("alice", USERS["alice"]))
    # The exchange is bounded by --connect_timeout (counted from the client's last packet): the broker
    # closes the connection once it passes, not at once and not never.
    assert client.wait_closed(timeout=10)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 5, f"closed after {elapsed:.2f} s with --connect_timeout=1"


def test_paho_sends_method_and_data_in_connect(scram_broker, paho5):
    # Paho cannot answer AUTH 0x18, but a client-first the broker refuses outright gets a CONNACK.
    refused = paho_props(PacketTypes.CONNECT, AuthenticationMethod=METHOD,
                         AuthenticationData=b"p=tls-unique,,n=alice,r=abc")
    paho5(scram_broker, expect_reason=0x87, properties=refused)
    unknown = paho_props(PacketTypes.CONNECT, AuthenticationMethod="DIGEST-MD5")
    paho5(scram_broker, expect_reason=0x8C, properties=unknown)


def test_mqttjs_exchange_and_reauthentication(scram_broker, node, uid):
    user = "sensor,7=b"
    result = subprocess.run([node, str(HERE / "mqttjs" / "scram.mjs"), scram_broker.host, str(scram_broker.port),
                             uid, user, USERS[user]], cwd=HERE, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"scram.mjs failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert result.stdout.strip().endswith("ok")


def test_require_enhanced_auth(start_broker, scram_file, clients, raw5, paho5, uid):
    broker = start_broker(flags={"scram_file": scram_file, "require_enhanced_auth": "true"})
    mark = broker.log_line_count()
    # MQTT 5 without a method: 0x8C, by a raw client and by Paho.
    assert raw5(broker, f"{uid}-raw", expect_reason=None).reason == 0x8C
    paho5(broker, f"{uid}-paho5", expect_reason=0x8C)
    # MQTT 3.1.1 cannot authenticate this way: 0x05 Not authorized, with or without a password.
    legacy = clients(broker)
    legacy.send(connect_311_with_password(f"{uid}-311", "alice", USERS["alice"]))
    assert legacy.expect(mb.CONNACK).connack() == (False, 0x05)
    paho = PahoClient(broker.host, broker.port, f"{uid}-paho311")
    try:
        assert paho.connect()[1] == 5
    finally:
        paho.disconnect(timeout=2)
    # SCRAM still gets in.
    assert login(clients(broker), f"{uid}-scram", "alice", USERS["alice"])[0] == 0
    assert broker.wait_for_log_count(r"no authentication method \(--require_enhanced_auth\)", 4, from_line=mark) == 4


def connect_311_with_password(client_id: str, user: str, password: str) -> bytes:
    header = mb.utf8("MQTT") + bytes([4, 0xC2]) + (60).to_bytes(2, "big")  # user name, password, clean
    return mb.packet(mb.CONNECT << 4, header + mb.utf8(client_id) + mb.utf8(user) + mb.utf8(password))


def run_broker(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(broker_process.ringmq_binary()), "--listen", "127.0.0.1:0", *flags],
                          capture_output=True, text=True, timeout=10)


def test_bad_scram_file_stops_start_up_naming_the_line(tmp_path, scram_file):
    bad = tmp_path / "bad"
    lines = scram_file.read_text().splitlines()
    lines.insert(1, "bob:$7$101$c2FsdA==$aGFzaA==")  # a mosquitto password line
    bad.write_text("\n".join(lines) + "\n")
    done = run_broker(f"--scram_file={bad}")
    assert done.returncode == 2
    assert f"--scram_file {bad}: line 2: expected SCRAM-SHA-256$" in done.stderr
    missing = run_broker(f"--scram_file={tmp_path / 'none'}")
    assert missing.returncode == 2 and "No such file" in missing.stderr
    alone = run_broker("--require_enhanced_auth")
    assert alone.returncode == 2 and "--scram_file" in alone.stderr


def test_salt_and_iterations_come_from_the_file(start_broker, tmp_path, clients, uid):
    path = tmp_path / "users"
    assert scram_passwd("-c", "-I", "5000", "-b", str(path), "dave", "d").returncode == 0
    broker = start_broker(flags={"scram_file": path})
    client = clients(broker)
    scram = ScramClient("dave", "d")
    assert finish(client, scram, begin(client, uid, scram))[0] == 0
    assert scram.iterations == 5000
    line = path.read_text().strip()
    assert base64.b64encode(scram.salt).decode() in line


def test_client_id_belongs_to_the_scram_user(scram_broker, clients, uid):
    """A SCRAM login owns its client id: another user cannot take the session over."""
    users = list(USERS.items())
    owner = clients(scram_broker)
    assert login(owner, f"{uid}-dev", *users[0])[0] == 0
    intruder = clients(scram_broker)
    assert login(intruder, f"{uid}-dev", *users[1])[0] == 0x85
    owner.ping()  # the owner was not kicked off
