"""Who may connect, publish and subscribe: --password_file, --allow_anonymous,
--acl_file, reserved topics, client id ownership and SIGHUP reloads.

Password files are written by Debian's mosquitto_passwd, so what an operator
brings from mosquitto works unchanged. Clients are real (Paho 3.1.1 and 5,
mosquitto_pub/sub) or raw sockets where a byte-exact answer matters. A message
that must not be routed is followed by one that must: the subscriber receiving
only the second proves the first was dropped, without sleeping on a guess.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import time

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5  # noqa: F401
from raw_client import RawClient
from shards import client_id_on_shard

pytestmark = pytest.mark.ringmq_only

USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol pass"}

ACL = """
# anonymous clients: read the public feed only
topic read public/#

user alice
topic readwrite alice/#
topic write fleet/+/telemetry
topic read fleet/#
topic deny fleet/secret/#

user bob
topic read fleet/#
topic deny fleet/secret/#
topic readwrite test/#
topic deny test/nosubscribe

user carol
topic readwrite $internal/#
topic read $SYS/#
topic write fleet/#

pattern readwrite devices/%c/#
pattern read users/%u/inbox
"""


def write_password_file(path: pathlib.Path, users: dict[str, str], iterations: int | None = None) -> None:
    path.unlink(missing_ok=True)
    for user, password in users.items():
        argv = ["mosquitto_passwd", "-b"]
        if not path.exists():
            argv.insert(1, "-c")
        if iterations is not None:
            argv[1:1] = ["-I", str(iterations)]
        subprocess.run(argv + [str(path), user, password], check=True, capture_output=True, timeout=30)


@pytest.fixture
def files(tmp_path):
    if not shutil.which("mosquitto_passwd"):
        pytest.skip("mosquitto_passwd (Debian package mosquitto) is not installed")
    passwords = tmp_path / "passwords"
    write_password_file(passwords, USERS)
    acl = tmp_path / "acl"
    acl.write_text(ACL)
    return passwords, acl


def sighup(broker, pattern: str, applied: bool = False) -> str:
    """Sends SIGHUP; the log line matching pattern that it caused. With applied,
    also waits until every shard has switched to the new policy (each does at
    its next tick)."""
    lines = broker.log_line_count()
    os.kill(broker.pid, signal.SIGHUP)
    match = broker.wait_for_log(pattern, from_line=lines)
    assert match, f"no log line matching {pattern!r} after SIGHUP"
    for shard in range(broker.shards if applied else 0):
        assert broker.wait_for_log(rf"shard {shard}: access policy \d+ applied", from_line=lines), \
            f"shard {shard} did not apply the reloaded policy"
    return match.string


# --- authentication ------------------------------------------------------------------------------


def test_password_file_from_mosquitto_passwd(start_broker, files, paho, paho5, uid):
    passwords, _ = files
    broker = start_broker(flags={"password_file": passwords})
    paho(broker, f"{uid}-a", username="alice", password="alice-secret")
    paho5(broker, f"{uid}-c", username="carol", password="carol pass")
    # Wrong password, unknown user, no password: refused, and nothing says which part was wrong.
    paho(broker, f"{uid}-w1", expect_rc=5, username="alice", password="bob-secret")
    paho(broker, f"{uid}-w2", expect_rc=5, username="mallory", password="alice-secret")
    paho5(broker, f"{uid}-w3", expect_reason=0x86, username="alice", password="wrong")
    paho5(broker, f"{uid}-w4", expect_reason=0x86, username="alice")
    # With a password file and no --allow_anonymous, every client must log in.
    paho(broker, f"{uid}-anon", expect_rc=5)
    paho5(broker, f"{uid}-anon5", expect_reason=0x87)
    assert broker.wait_for_log_count(r"refused CONNECT", 6) == 6, broker.log
    assert broker.wait_for_log_count(r"refused CONNECT .*anonymous login refused", 2) == 2, broker.log
    assert not any("secret" in line for line in broker.log.splitlines()), "a password reached the log"


def test_allow_anonymous_with_password_file(start_broker, files, paho, uid):
    passwords, _ = files
    broker = start_broker(flags={"password_file": passwords, "allow_anonymous": "true"})
    paho(broker, f"{uid}-anon")
    paho(broker, f"{uid}-a", username="alice", password="alice-secret")
    # A username still has to come with its password.
    paho(broker, f"{uid}-w", expect_rc=5, username="alice", password="nope")


def test_mosquitto_pub_sub_log_in(start_broker, files, uid):
    passwords, _ = files
    broker = start_broker(flags={"password_file": passwords})
    base = ["-h", broker.host, "-p", str(broker.port), "-u", "bob", "-P", "bob-secret"]
    sub = subprocess.Popen(["mosquitto_sub", *base, "-i", f"{uid}-s", "-t", f"test/{uid}", "-C", "1", "-W", "20"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pub = subprocess.run(["mosquitto_pub", *base, "-i", f"{uid}-p", "-t", f"test/{uid}", "-m", "hello",
                                  "-q", "1"], capture_output=True, text=True, timeout=20)
            assert pub.returncode == 0, pub.stderr
            try:
                out, err = sub.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            pytest.fail("mosquitto_sub received nothing")
        assert out.strip() == "hello", err
    finally:
        sub.kill()
        sub.wait(timeout=5)
    bad = subprocess.run(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-u", "bob", "-P", "x",
                          "-t", "t", "-m", "m"], capture_output=True, text=True, timeout=20)
    assert bad.returncode != 0
    assert "not authori" in bad.stderr.lower(), bad.stderr


def test_reconnect_storm_does_not_stall_the_shard(start_broker, tmp_path, uid):
    """Logins whose hashing costs ~3 ms of CPU each, 200 at once on one shard: a client
    already connected on that shard keeps getting PINGRESP within 250 ms, because
    the shard hashes a bounded amount per loop turn and defers the rest."""
    passwords = tmp_path / "passwords"
    write_password_file(passwords, {"dev": "dev-pass"}, iterations=5000)
    broker = start_broker(flags={"password_file": passwords}, shards=2)
    watcher = RawClient(broker.host, broker.port)
    watcher_id = client_id_on_shard(f"{uid}-watch", 0, 2)
    assert watcher.connect(watcher_id, username="dev", password="dev-pass").connack()[1] == 0
    ids = [client_id_on_shard(f"{uid}-storm{i}", 0, 2) for i in range(200)]
    storm = []
    for client_id in ids:
        client = RawClient(broker.host, broker.port)
        # A different password each: no verified-credential cache can help.
        client.send(mb.connect(client_id, username="dev", password=f"wrong-{client_id}"))
        storm.append(client)
    worst = 0.0
    waiting = list(storm)
    deadline = time.monotonic() + 30
    while waiting and time.monotonic() < deadline:
        start = time.monotonic()
        watcher.ping()
        worst = max(worst, time.monotonic() - start)
        # Refused logins are closed by the broker once their hash ran.
        waiting = [client for client in waiting if not client.wait_closed(timeout=0.001)]
    answered = len(storm) - len(waiting)
    for client in storm:
        client.close()
    assert answered == len(storm), f"only {answered} of {len(storm)} logins answered in 30 s"
    assert worst < 0.25, f"PINGRESP took {worst * 1000:.0f} ms during the login storm"
    watcher.close()


# --- client ids belong to their login ------------------------------------------------------------


def test_client_id_belongs_to_its_login(start_broker, files, paho, paho5, uid):
    passwords, _ = files
    broker = start_broker(flags={"password_file": passwords, "allow_anonymous": "true"})
    device = f"{uid}-device"
    owner = paho(broker, device, clean_session=False, username="alice", password="alice-secret")
    owner.subscribe(f"alice/{uid}", qos=1)
    # Another account (or an anonymous client) cannot kick the device off or read its session.
    paho(broker, device, expect_rc=2, clean_session=False, username="bob", password="bob-secret")
    paho(broker, device, expect_rc=2, clean_session=False)
    paho5(broker, device, expect_reason=0x85, clean_start=False, username="bob", password="bob-secret")
    assert not owner.disconnected.is_set(), "the owner was disconnected by a refused takeover"
    owner.disconnect()
    # Offline, the session still belongs to alice.
    paho(broker, device, expect_rc=2, clean_session=False, username="bob", password="bob-secret")
    back = paho(broker, device, clean_session=False, username="alice", password="alice-secret")
    assert back.connack[0] is True, "alice's own session was not resumed"


# --- authorization -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [4, 5])
def test_acl_publish_and_subscribe(start_broker, files, paho, paho5, uid, version):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl, "allow_anonymous": "true"})
    make = paho if version == 4 else paho5

    def login(name, user=None):
        # Names chosen so that publisher and subscriber sit on different shards.
        client_id = client_id_on_shard(f"{uid}-{name}", {"pub": 0, "sub": 1}.get(name, 2), 4)
        kwargs = {} if user is None else {"username": user, "password": USERS[user]}
        return make(broker, client_id, **kwargs)

    reader = login("sub", "bob")
    refused = 0x80 if version == 4 else 0x87
    granted = reader.subscribe("fleet/#", qos=1)
    assert list(granted) == [1]
    assert list(reader.subscribe("test/nosubscribe", qos=2)) == [refused]
    assert list(reader.subscribe("alice/#", qos=1)) == [refused], "bob has no read rule that can match alice/#"
    writer = login("pub", "alice")
    writer.publish(f"fleet/{uid}/telemetry", b"allowed", qos=1)
    # alice may not write fleet/x/status: acknowledged (MQTT 5 with 0x87) and not routed.
    writer.publish(f"fleet/{uid}/status", b"denied", qos=1)
    writer.publish(f"fleet/{uid}/telemetry", b"marker", qos=1)
    got = [m.payload for m in reader.expect(2)]
    assert got == [b"allowed", b"marker"], got
    reader.expect_none(0.3)


def test_acl_denied_publish_gets_0x87(start_broker, files, raw, uid):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    client = RawClient(broker.host, broker.port)
    client.send(m5.connect(f"{uid}-v5", username="bob", password="bob-secret"))
    assert client.expect(mb.CONNACK).body[1] == 0
    client.send(m5.publish("alice/x", b"p", qos=1, packet_id=7))
    ack = client.expect(mb.PUBACK)
    assert ack.body[:3] == bytes([0, 7, 0x87]), ack.body
    client.send(m5.publish("alice/x", b"p", qos=2, packet_id=8))
    rec = client.expect(mb.PUBREC)
    assert rec.body[:3] == bytes([0, 8, 0x87]), rec.body
    client.send(m5.publish(f"test/{uid}", b"p", qos=1, packet_id=9))
    ok = client.expect(mb.PUBACK)
    assert ok.body[:2] == bytes([0, 9]) and (len(ok.body) == 2 or ok.body[2] == 0), ok.body
    client.close()


@pytest.mark.parametrize("wide_filter", ["#", "fleet/#"])
def test_acl_wide_filter_is_filtered_at_delivery(start_broker, files, paho, uid, wide_filter):
    """bob may read fleet/# but not fleet/secret/# nor alice/#: '#' (wider than his
    grants) and fleet/# (which a deny intersects) are granted, and what they match
    beyond his read rules is held back at delivery, message by message."""
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    bob = paho(broker, client_id_on_shard(f"{uid}-bob", 1, 4), username="bob", password="bob-secret")
    assert bob.subscribe(wide_filter, qos=0) == [0]
    carol = paho(broker, client_id_on_shard(f"{uid}-carol", 2, 4), username="carol", password="carol pass")
    alice = paho(broker, client_id_on_shard(f"{uid}-alice", 3, 4), username="alice", password="alice-secret")
    carol.publish(f"fleet/secret/{uid}/telemetry", b"hidden", qos=1)
    alice.publish(f"alice/{uid}", b"alice-only", qos=1)
    carol.publish(f"fleet/{uid}/telemetry", b"visible", qos=1)
    got = [(m.topic, m.payload) for m in bob.expect(1)]
    assert got == [(f"fleet/{uid}/telemetry", b"visible")], got
    bob.expect_none(0.3)


def test_acl_anonymous_section_and_patterns(start_broker, files, paho, uid):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl, "allow_anonymous": "true"})
    device_id = f"{uid}-dev"
    device = paho(broker, device_id)  # anonymous: the anonymous section plus %c patterns
    assert device.subscribe(f"devices/{device_id}/cmd", qos=1) == [1]
    assert device.subscribe(f"devices/{uid}-other/cmd", qos=1) == [0x80]
    assert device.subscribe("public/news", qos=1) == [1]
    assert device.subscribe(f"users/{uid}/inbox", qos=1) == [0x80], "a %u pattern must not apply without a username"
    carol = paho(broker, f"{uid}-carol", username="carol", password="carol pass")
    assert carol.subscribe("users/carol/inbox", qos=1) == [1]
    assert carol.subscribe("users/alice/inbox", qos=1) == [0x80]
    # carol writes to the device's command topic? No: devices/%c is the device's own.
    carol.publish(f"devices/{device_id}/cmd", b"from carol", qos=1)
    device.publish(f"devices/{device_id}/cmd", b"from itself", qos=1)
    got = [m.payload for m in device.expect(1)]
    assert got == [b"from itself"], got
    device.expect_none(0.3)


def test_reserved_topics(start_broker, files, paho, uid):
    """Clients never publish to $SYS, nor to any $ topic unless a $ rule grants it."""
    passwords, acl = files
    plain = start_broker()  # no ACL at all
    watcher = paho(plain, f"{uid}-w")
    watcher.subscribe("$SYS/#", qos=0)
    watcher.subscribe("$internal/#", qos=0)
    watcher.drain()
    publisher = paho(plain, f"{uid}-p")
    publisher.publish("$SYS/broker/version", b"forged", qos=1, retain=True)
    publisher.publish(f"$internal/{uid}", b"forged", qos=1)
    watcher.expect_none(0.5)
    fresh = paho(plain, f"{uid}-f")
    fresh.subscribe("$SYS/broker/version", qos=0)
    [version] = fresh.expect(1)
    assert version.payload.startswith(b"ringmq"), version.payload

    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    carol = paho(broker, f"{uid}-carol", username="carol", password="carol pass")
    assert carol.subscribe("$internal/#", qos=1) == [1]
    carol.publish(f"$internal/{uid}", b"granted by a $ rule", qos=1)
    carol.publish(f"$SYS/{uid}", b"never", qos=1)
    got = [m.payload for m in carol.expect(1)]
    assert got == [b"granted by a $ rule"], got


def test_subscribe_failure_like_paho_interop(start_broker, tmp_path, paho, uid):
    """Paho's interoperability test_subscribe_failure: a broker configured to refuse
    test/nosubscribe answers SUBACK 0x80 (MQTT 3.1.1) to a QoS 2 subscription."""
    acl = tmp_path / "acl"
    acl.write_text("topic readwrite #\ntopic deny test/nosubscribe\n")
    broker = start_broker(flags={"acl_file": acl})
    client = paho(broker, "myclientid")
    assert client.subscribe("test/nosubscribe", qos=2) == [0x80]
    assert client.subscribe("TopicA", qos=2) == [2]


def test_will_checked_when_published(start_broker, files, paho, uid):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    bob = paho(broker, f"{uid}-bob", username="bob", password="bob-secret")
    bob.subscribe("#", qos=1)
    denied = RawClient(broker.host, broker.port)
    denied.connect(f"{uid}-w1", username="alice", password="alice-secret",
                   will=mb.Will(f"fleet/{uid}/status", b"denied will", 1))
    allowed = RawClient(broker.host, broker.port)
    allowed.connect(f"{uid}-w2", username="alice", password="alice-secret",
                    will=mb.Will(f"fleet/{uid}/telemetry", b"allowed will", 1))
    denied.close()
    allowed.close()
    got = [m.payload for m in bob.expect(1)]
    assert got == [b"allowed will"], got
    bob.expect_none(0.3)


# --- reload --------------------------------------------------------------------------------------


def test_sighup_reloads_passwords_and_acl(start_broker, files, paho, uid):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    carol = paho(broker, f"{uid}-carol", username="carol", password="carol pass")
    bob = paho(broker, f"{uid}-bob", username="bob", password="bob-secret")
    assert bob.subscribe(f"test/{uid}/#", qos=1) == [1]
    alice = paho(broker, f"{uid}-alice", username="alice", password="alice-secret")

    # carol leaves the password file; bob loses test/#; a new user appears.
    write_password_file(passwords, {"alice": "alice-secret", "bob": "bob-secret", "dave": "dave-pass"})
    acl.write_text(ACL.replace("topic readwrite test/#\n", "topic write test/#\n")
                   + "\nuser dave\ntopic readwrite dave/#\n")
    sighup(broker, r"SIGHUP: access policy reloaded", applied=True)
    assert carol.disconnected.wait(5), "carol's login was not closed after she left the password file"
    paho(broker, f"{uid}-carol2", expect_rc=5, username="carol", password="carol pass")
    paho(broker, f"{uid}-dave", username="dave", password="dave-pass")
    assert not alice.disconnected.is_set() and not bob.disconnected.is_set()
    alice.publish(f"alice/{uid}", b"x", qos=1)  # still connected and allowed
    bob.publish(f"test/{uid}/a", b"after reload", qos=1)  # bob may still write, no longer read
    assert bob.subscribe(f"test/{uid}/#", qos=1) == [0x80]
    bob.expect_none(0.5)


def test_sighup_with_a_broken_file_keeps_the_old_rules(start_broker, files, paho, uid):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    acl.write_text(ACL + "\ntopci read oops\n")
    line = sighup(broker, r"access policy not reloaded")
    assert "line " in line and str(acl) in line, line
    bob = paho(broker, f"{uid}-bob", username="bob", password="bob-secret")
    assert bob.subscribe("fleet/#", qos=1) == [1]
    assert bob.subscribe("test/nosubscribe", qos=1) == [0x80]


def test_refusals_are_counted_in_sys(start_broker, files, paho, uid):
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl, "sys_interval": 1})
    paho(broker, f"{uid}-w", expect_rc=5, username="alice", password="wrong")
    bob = paho(broker, f"{uid}-bob", username="bob", password="bob-secret")
    assert bob.subscribe("test/nosubscribe", qos=1) == [0x80]
    bob.publish(f"alice/{uid}", b"denied", qos=1)
    carol = paho(broker, f"{uid}-carol", username="carol", password="carol pass")
    carol.subscribe("$SYS/broker/#", qos=0)
    wanted = {"$SYS/broker/clients/refused", "$SYS/broker/publish/denied", "$SYS/broker/subscribe/denied"}
    seen: dict[str, int] = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(seen.get(t, 0) >= 1 for t in wanted):
        for message in carol.drain() or carol.expect(1, timeout=max(0.01, deadline - time.monotonic())):
            if message.topic in wanted:
                seen[message.topic] = int(message.payload)
    assert all(seen.get(t, 0) >= 1 for t in wanted), seen


def test_resumed_session_keeps_its_delivery_checks(start_broker, files, paho, uid):
    """A persistent session's wide filter stays filtered after the client reconnects
    (the login record is made anew; the subscriptions are judged again)."""
    passwords, acl = files
    broker = start_broker(flags={"password_file": passwords, "acl_file": acl})
    bob_id = client_id_on_shard(f"{uid}-bob", 1, 4)
    bob = paho(broker, bob_id, clean_session=False, username="bob", password="bob-secret")
    bob.subscribe("fleet/#", qos=1)
    bob.disconnect()
    bob = paho(broker, bob_id, clean_session=False, username="bob", password="bob-secret")
    assert bob.connack[0] is True
    carol = paho(broker, client_id_on_shard(f"{uid}-carol", 2, 4), username="carol", password="carol pass")
    carol.publish(f"fleet/secret/{uid}/telemetry", b"hidden", qos=1)
    carol.publish(f"fleet/{uid}/telemetry", b"visible", qos=1)
    got = [m.payload for m in bob.expect(1)]
    assert got == [b"visible"], got
    bob.expect_none(0.3)
