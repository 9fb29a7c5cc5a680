"""SIGHUP reloads the limits from the --flagfile without dropping clients
(net/config_reload.h, net/runtime_limits.h): lowered --max_connections,
--max_queued_messages and --max_publish_rate apply to the next connection,
message and PUBLISH while connected clients stay connected; a file that does
not parse or validate is refused and the running limits stay; a changed
listener is reported as needing a restart and ignored."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb
from raw_client import RawClient
from waiting import wait_until

pytestmark = pytest.mark.ringmq_only  # SIGHUP reload of the flag file is ringmq's
SHARDS = 2


@pytest.fixture
def flagfile(tmp_path):
    path = tmp_path / "ringmq.conf"

    def write(*lines: str):
        path.write_text("# ringmq test configuration\n" + "\n".join(lines) + "\n")
        return path

    return write


def reload(broker, pattern: str = r"SIGHUP: \d+ flags applied \(limits generation (\d+)\)") -> str:
    """SIGHUP; waits for the log line matching pattern and, when a limits
    generation was published, for every shard to have taken it (each does at
    its next tick)."""
    lines = broker.log_line_count()
    os.kill(broker.pid, signal.SIGHUP)
    match = broker.wait_for_log(pattern, from_line=lines)
    assert match, f"no log line matching {pattern!r} after SIGHUP; log tail:\n{broker.log[-2000:]}"
    generation = match.group(1) if match.re.groups else None
    for shard in range(broker.shards if generation else 0):
        assert broker.wait_for_log(rf"shard {shard}: limits generation {generation} applied", from_line=lines), \
            f"shard {shard} did not take limits generation {generation}"
    return match.group(0)


def refused(broker, client_id: str) -> bool:
    """True if the broker closes a new connection (at accept or with a
    refusing CONNACK) instead of accepting its CONNECT."""
    try:
        client = RawClient(broker.host, broker.port)
    except ConnectionRefusedError:
        return True
    try:
        client.send(mb.connect(client_id))
        pkt = client.recv_packet(timeout=3)
        return pkt is None or (pkt.kind == mb.CONNACK and pkt.connack()[1] != 0)
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        client.close()


def test_lowered_max_connections_refuses_new_ones_and_keeps_connected(start_broker, flagfile, raw, uid):
    broker = start_broker(flags={"flagfile": flagfile("--max_connections=100")}, shards=SHARDS)
    connected = [raw(broker, f"{uid}-{n}") for n in range(3)]
    flagfile("--max_connections=3")
    reload(broker)
    assert "SIGHUP: --max_connections: 100 -> 3" in broker.log
    assert "needs a restart" not in broker.log, "flags given on the command line were seen as changed"
    assert refused(broker, f"{uid}-fourth"), "a 4th connection was admitted with --max_connections=3"
    for client in connected:
        client.ping()  # every client connected before the reload is still served
    flagfile("--max_connections=5")
    reload(broker)
    assert wait_until(lambda: not refused(broker, f"{uid}-after-raise"), timeout=5)
    for client in connected:
        client.ping()


def test_lowered_max_queued_messages_bounds_an_offline_queue(start_broker, flagfile, raw, paho, uid):
    broker = start_broker(flags={"flagfile": flagfile("--max_queued_messages=1000")}, shards=SHARDS)
    watcher = raw(broker, f"{uid}-watcher")
    away = raw(broker, f"{uid}-away", clean_session=False, expect_present=False)
    away.subscribe([(f"{uid}/t", 1), (f"{uid}/marker", 0)])
    away.disconnect()
    flagfile("--max_queued_messages=5")
    reload(broker)
    pub = paho(broker)
    for i in range(20):
        pub.publish(f"{uid}/t", str(i), 1)
    back = raw(broker, f"{uid}-away", clean_session=False, expect_present=True)
    pub.publish(f"{uid}/marker", b"m", 1)
    got = []
    for _ in range(25):
        pkt = back.recv_publish_acked()
        if pkt.topic() == f"{uid}/marker":
            break
        got.append(int(pkt.payload()))
    assert got == [0, 1, 2, 3, 4], f"offline queue after reload to 5: {got}"
    watcher.ping()


def publish_rate(broker, publisher: RawClient, sub: RawClient, topic: str, messages: int) -> float:
    """Sends `messages` QoS 0 PUBLISHes as fast as the socket takes them and
    returns the seconds until the subscriber has them all (in order)."""
    packets = b"".join(mb.publish(topic, str(n).encode()) for n in range(messages))
    started = time.monotonic()
    sender = threading.Thread(target=publisher.send, args=(packets,), daemon=True)
    sender.start()
    received = []
    deadline = started + 30
    while len(received) < messages and time.monotonic() < deadline:
        pkt = sub.expect(mb.PUBLISH, timeout=max(0.1, deadline - time.monotonic()))
        received.append(int(pkt.payload()))
    sender.join(10)
    assert received == list(range(messages)), f"{len(received)} of {messages} received, in order"
    return time.monotonic() - started


def test_lowered_max_publish_rate_slows_a_connected_publisher(start_broker, flagfile, raw, uid):
    broker = start_broker(flags={"flagfile": flagfile("--max_publish_rate=0")}, shards=SHARDS)
    sub = raw(broker, f"{uid}-sub")
    sub.subscribe([(f"{uid}/flood", 0)])
    publisher = raw(broker, f"{uid}-pub")  # connected before the reload, and stays connected
    unlimited = publish_rate(broker, publisher, sub, f"{uid}/flood", 200)
    rate = 50
    flagfile(f"--max_publish_rate={rate}")
    reload(broker)
    limited = publish_rate(broker, publisher, sub, f"{uid}/flood", 200)
    expected = (200 - rate) / rate  # the first second's worth is the burst
    print(f"200 QoS 0: {unlimited:.2f} s unlimited, {limited:.2f} s at {rate}/s (expected ~{expected:.1f} s)")
    assert unlimited < 1.5, f"200 messages took {unlimited:.2f} s before the limit"
    assert 0.75 * expected <= limited <= 1.5 * expected, f"{limited:.2f} s at {rate}/s, expected ~{expected:.1f}"
    publisher.ping()


def test_bad_flagfile_is_refused_and_running_limits_stay(start_broker, flagfile, raw, uid):
    broker = start_broker(flags={"flagfile": flagfile("--max_connections=2")}, shards=SHARDS)
    connected = [raw(broker, f"{uid}-{n}") for n in range(2)]
    assert refused(broker, f"{uid}-third")
    flagfile("--max_connections=lots")
    line = reload(broker, r"SIGHUP: configuration refused, the running one stays: .*")
    assert "ringmq.conf:2: --max_connections=lots" in line, line
    flagfile("--max_connections=100", "--memory_limit=5")  # each parses, the set does not validate
    line = reload(broker, r"SIGHUP: configuration refused, the running one stays: .*")
    assert "--memory_limit must be 0 (off) or at least 16 MiB" in line, line
    flagfile("--max_connections=100", "--no_such_flag=1")
    line = reload(broker, r"SIGHUP: configuration refused, the running one stays: .*")
    assert "unknown flag --no_such_flag" in line, line
    assert "limits generation" not in broker.log, "a refused file published limits"
    assert refused(broker, f"{uid}-still-third"), "--max_connections=2 no longer holds after refused reloads"
    for client in connected:
        client.ping()
    flagfile("--max_connections=100")  # a good file after bad ones applies
    reload(broker)
    assert wait_until(lambda: not refused(broker, f"{uid}-finally"), timeout=5)


def test_changed_listener_needs_a_restart_and_is_ignored(start_broker, flagfile, raw, uid):
    broker = start_broker(flags={"flagfile": flagfile("--max_sessions=1000")}, shards=SHARDS)
    client = raw(broker, f"{uid}-c")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        spare_port = probe.getsockname()[1]
    flagfile("--max_sessions=1000", f"--listen=127.0.0.1:{spare_port}", "--shards=3")
    lines = broker.log_line_count()
    os.kill(broker.pid, signal.SIGHUP)
    assert broker.wait_for_log(r"SIGHUP: --listen changed \(.*127\.0\.0\.1:" + str(spare_port) +
                               r"\): needs a restart, the running value stays", from_line=lines)
    assert broker.wait_for_log(r"SIGHUP: --shards changed \(2 -> 3\): needs a restart", from_line=lines)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", spare_port), timeout=2).close()
    client.ping()
    assert not refused(broker, f"{uid}-new")
    assert "limits generation" not in broker.log, "nothing reloadable changed, yet limits were published"


def test_lowered_max_packet_size_holds_new_connections_only(start_broker, flagfile, raw, uid):
    """An MQTT 5 client was told its Maximum Packet Size in CONNACK: a client
    connected before the change keeps what it was told, later ones get the new
    limit."""
    broker = start_broker(flags={"flagfile": flagfile("--max_packet_size=65536")}, shards=SHARDS)
    sub = raw(broker, f"{uid}-sub")
    sub.subscribe([(f"{uid}/big", 0)])
    before = raw(broker, f"{uid}-before")
    flagfile("--max_packet_size=1024")
    reload(broker)
    after = raw(broker, f"{uid}-after")
    big = b"x" * 4096
    before.send(mb.publish(f"{uid}/big", big))
    assert sub.expect(mb.PUBLISH).payload() == big
    before.ping()
    assert after.is_closed_after(mb.publish(f"{uid}/big", big)), "a new connection sent 4 KiB past 1 KiB"


def connack_maximum_packet_size(broker, client_id: str) -> tuple[RawClient, int]:
    client = RawClient(broker.host, broker.port)
    client.send(m5.connect(client_id))
    _, reason, props = m5.parse_connack(client.expect(mb.CONNACK))
    assert reason == 0
    return client, props[m5.MAXIMUM_PACKET_SIZE]


def test_mqtt5_connack_announces_the_packet_size_in_force(start_broker, flagfile, uid):
    broker = start_broker(flags={"flagfile": flagfile("--max_packet_size=65536")}, shards=SHARDS)
    before, announced_before = connack_maximum_packet_size(broker, f"{uid}-before")
    flagfile("--max_packet_size=2048")
    reload(broker)
    after, announced_after = connack_maximum_packet_size(broker, f"{uid}-after")
    try:
        assert (announced_before, announced_after) == (65536, 2048)
        before.send(m5.publish(f"{uid}/t", b"x" * 4096, qos=1, packet_id=1))
        assert before.expect(mb.PUBACK).packet_id() == 1  # within what it was told
        assert after.is_closed_after(m5.publish(f"{uid}/t", b"x" * 4096, qos=1, packet_id=1))
    finally:
        before.close()
        after.close()


def test_max_connections_per_ip_set_by_reload_counts_later_connections(start_broker, flagfile, raw, uid):
    """From 0 (off) to 2: connections opened while it was off are not counted (documented), the next
    two from 127.0.0.1 are, and a third is refused; the earlier ones stay connected."""
    broker = start_broker(flags={"flagfile": flagfile("--max_connections_per_ip=0")}, shards=SHARDS)
    earlier = [raw(broker, f"{uid}-early{n}") for n in range(3)]
    flagfile("--max_connections_per_ip=2")
    reload(broker)
    later = [raw(broker, f"{uid}-late{n}") for n in range(2)]
    assert refused(broker, f"{uid}-third"), "a third counted connection from 127.0.0.1 was admitted"
    for client in earlier + later:
        client.ping()
