"""Issue 11, sessions and connections: limits that hold against a hostile
client, each reproduced against the real broker on an ephemeral port.

- --max_session_expiry caps 3.1.1 persistent sessions (kept forever before)
  and MQTT 5 Session Expiry Interval requests (told in CONNACK);
- --max_sessions caps offline sessions broker-wide;
- --max_connections_per_ip and --max_connect_rate refuse at accept, counted
  in $SYS, per address (127.0.0.1 / 127.0.0.2 / ::1) and per listener;
- broker-assigned client ids are 128 random bits on the right home shard;
- client ids are escaped in log lines, and a broker whose stderr nobody
  reads keeps answering PINGREQ within 250 ms.

Every loop is bounded in count and time; traffic goes to loopback only.
"""

from __future__ import annotations

import fcntl
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

import broker_process
import mqtt5_bytes as m5
import mqtt_bytes as mb
from raw_client import RawClient
from shards import client_id_on_shard, home_shard
from waiting import wait_until

pytestmark = pytest.mark.ringmq_only

PING_BOUND_S = 0.25


# --- helpers ---------------------------------------------------------------

def open_socket(host: str, port: int, source: str | None = None, timeout: float = 5.0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source is not None:
        sock.bind((source, 0))
    sock.connect((host, port))
    return sock


def read_packet(sock: socket.socket, timeout: float = 5.0) -> mb.Packet | None:
    """The next packet, or None once the broker closed the connection."""
    buf = bytearray()
    deadline = time.monotonic() + timeout
    while True:
        pkt, _ = mb.parse(buf)
        if pkt is not None:
            return pkt
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return None
        if not chunk:
            return None
        buf += chunk


def try_connect(host: str, port: int, client_id: str, source: str | None = None) -> socket.socket | None:
    """A 3.1.1 session on a fresh socket: the socket after CONNACK 0, or None
    when the broker closed the connection instead (refused at accept)."""
    sock = open_socket(host, port, source)
    try:
        sock.sendall(mb.connect(client_id))
    except (ConnectionResetError, BrokenPipeError):
        sock.close()
        return None
    pkt = read_packet(sock)
    if pkt is None:
        sock.close()
        return None
    assert pkt.kind == mb.CONNACK and pkt.connack()[1] == 0, f"unexpected answer {pkt.kind} {pkt.body!r}"
    return sock


def connect_v5(broker, client_id: str, clean_start: bool = True, expiry: int | None = None):
    """Raw MQTT 5 client: (client, session present, reason, CONNACK properties)."""
    client = RawClient(broker.host, broker.port)
    props = [(m5.SESSION_EXPIRY_INTERVAL, expiry)] if expiry is not None else None
    client.send(m5.connect(client_id, clean_start=clean_start, props=props))
    present, reason, connack_props = m5.parse_connack(client.expect(mb.CONNACK))
    return client, present, reason, connack_props


def session_present_311(broker, client_id: str) -> bool:
    """Reconnects with clean session 0, reads the session-present flag, leaves."""
    client = RawClient(broker.host, broker.port)
    present, rc = client.connect(client_id, clean_session=False).connack()
    assert rc == 0
    client.disconnect()
    client.close()
    return bool(present)


def sys_value(broker, topic: str, predicate, source: str = "127.0.0.9", timeout: float = 10.0) -> int:
    """Latest live value of a numeric $SYS topic once predicate holds (from an
    address of its own, so it takes no per-IP slot of the test's clients)."""
    sock = open_socket(broker.host, broker.port, source)
    sock.sendall(mb.connect(f"sys-watch-{time.monotonic_ns()}"))
    assert read_packet(sock).kind == mb.CONNACK
    sock.sendall(mb.subscribe(1, [(topic, 0)]))
    buf = bytearray()
    deadline = time.monotonic() + timeout
    value = None
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                break
            if not chunk:
                break
            buf += chunk
            while True:
                pkt, used = mb.parse(buf)
                if pkt is None:
                    break
                del buf[:used]
                if pkt.kind == mb.PUBLISH and not pkt.retain:
                    value = int(pkt.payload())
                    if predicate(value):
                        return value
    finally:
        sock.close()
    raise AssertionError(f"{topic}: last value {value!r} never satisfied the condition")


# --- 1. --max_session_expiry ------------------------------------------------

def test_311_persistent_session_ends_after_max_session_expiry(start_broker, uid):
    broker = start_broker(flags={"max_session_expiry": 2}, shards=2)
    client_id = f"{uid}-persistent"
    client = RawClient(broker.host, broker.port)
    present, rc = client.connect(client_id, clean_session=False).connack()
    assert (present, rc) == (0, 0)
    assert client.subscribe([("attack/expiry", 1)]) == [1]
    client.disconnect()
    client.close()
    assert session_present_311(broker, client_id), "session must survive within the cap"
    # Before the cap, a 3.1.1 persistent session lived forever (expiry UINT32_MAX). Each look
    # reconnects, which restarts the expiry, so there is one look, after the cap has passed.
    time.sleep(3.0)
    assert not session_present_311(broker, client_id), "3.1.1 session outlived --max_session_expiry=2"


def test_v5_expiry_request_is_capped_and_told_in_connack(start_broker, uid):
    broker = start_broker(flags={"max_session_expiry": 2}, shards=2)
    client, present, reason, props = connect_v5(broker, f"{uid}-asks-long", expiry=3600)
    assert (present, reason) == (False, 0)
    assert props.get(m5.SESSION_EXPIRY_INTERVAL) == 2, f"CONNACK properties {props}"
    client.send(m5.disconnect())
    assert client.wait_closed()
    client.close()

    # A request within the cap is granted as asked, and not echoed.
    within, _, _, props_within = connect_v5(broker, f"{uid}-asks-short", expiry=1)
    assert m5.SESSION_EXPIRY_INTERVAL not in props_within
    within.close()

    # The capped session ends after the cap, not after an hour.
    time.sleep(2.5)
    again, present, reason, _ = connect_v5(broker, f"{uid}-asks-long", clean_start=False, expiry=60)
    assert reason == 0 and present is False, "session outlived --max_session_expiry"
    again.close()


def test_v5_disconnect_cannot_raise_expiry_above_the_cap(start_broker, uid):
    broker = start_broker(flags={"max_session_expiry": 2}, shards=2)
    client, _, _, _ = connect_v5(broker, f"{uid}-raise", expiry=1)
    client.send(m5.disconnect(props=[(m5.SESSION_EXPIRY_INTERVAL, 100000)]))
    assert client.wait_closed()
    client.close()
    time.sleep(2.5)
    again, present, reason, _ = connect_v5(broker, f"{uid}-raise", clean_start=False, expiry=60)
    assert reason == 0 and present is False
    again.close()


# --- 2. --max_sessions ------------------------------------------------------

def test_sessions_beyond_max_sessions_end_at_disconnect_and_are_counted(start_broker, uid):
    broker = start_broker(flags={"max_sessions": 2, "sys_interval": 1}, shards=4)
    # One client id per shard: the count is broker-wide, not per shard.
    ids = [client_id_on_shard(f"{uid}-s", shard, 4) for shard in range(4)]
    for client_id in ids[:3]:
        client = RawClient(broker.host, broker.port)
        assert client.connect(client_id, clean_session=False).connack() == (0, 0)
        client.disconnect()
        client.close()
    # The first two are kept, the third went offline beyond the cap and was ended.
    assert sys_value(broker, "$SYS/broker/sessions/refused", lambda v: v >= 1) == 1
    assert sys_value(broker, "$SYS/broker/sessions/offline", lambda v: v == 2) == 2
    assert session_present_311(broker, ids[0])
    assert session_present_311(broker, ids[1])
    assert not session_present_311(broker, ids[2])


def test_takeover_at_max_sessions_keeps_the_session(start_broker, uid):
    broker = start_broker(flags={"max_sessions": 1}, shards=4)
    offline = RawClient(broker.host, broker.port)
    assert offline.connect(f"{uid}-away", clean_session=False).connack() == (0, 0)
    offline.disconnect()
    offline.close()
    device = f"{uid}-device"
    first = RawClient(broker.host, broker.port)
    assert first.connect(device, clean_session=False).connack() == (0, 0)
    assert first.subscribe([("attack/takeover", 1)]) == [1]
    # The cap is reached; a reconnect that takes the session over must still find it.
    second = RawClient(broker.host, broker.port)
    assert second.connect(device, clean_session=False).connack() == (1, 0)
    assert first.wait_closed()
    second.close()
    first.close()


# --- 3. --max_connections_per_ip and --max_connect_rate --------------------

def test_connections_per_ip_are_capped_per_address_and_counted(start_broker, uid):
    broker = start_broker(flags={"max_connections_per_ip": 3, "sys_interval": 1},
                          listen=["127.0.0.1:0", "[::1]:0"], shards=4)
    host, port = broker.listeners[0]
    v6_host, v6_port = broker.listeners[1]
    # Client ids on every shard: most CONNECTs are handed to another shard with their socket.
    held = [try_connect(host, port, client_id_on_shard(f"{uid}-a", shard, 4)) for shard in (1, 2, 3)]
    assert all(held), "the first three connections of 127.0.0.1 must be accepted"
    assert try_connect(host, port, f"{uid}-fourth") is None, "a fourth connection of 127.0.0.1 was accepted"
    # Other addresses have counts of their own.
    other = try_connect(host, port, f"{uid}-other", source="127.0.0.2")
    v6 = try_connect(v6_host, v6_port, f"{uid}-v6")
    assert other is not None and v6 is not None
    assert sys_value(broker, "$SYS/broker/connections/refused/per_ip", lambda v: v >= 1) == 1
    for sock in held + [other, v6]:
        sock.close()


def test_per_ip_count_neither_leaks_nor_doubles_across_handoffs(start_broker, uid):
    broker = start_broker(flags={"max_connections_per_ip": 3}, shards=4)
    # 40 connections in turn, each handed to a shard chosen by its id, each closed: if the count
    # leaked, the limit would refuse later connections; if it was released twice, a fourth would fit.
    for n in range(40):
        sock = wait_until(lambda: try_connect(broker.host, broker.port,
                                              client_id_on_shard(f"{uid}-cycle{n}", n % 4, 4)),
                          timeout=5.0, interval=0.05)
        assert sock is not None, f"connection {n} refused: a closed connection still counts"
        if n % 2:
            sock.sendall(mb.disconnect())
        sock.close()

    def three_then_refused():
        held = [try_connect(broker.host, broker.port, client_id_on_shard(f"{uid}-final{s}", s, 4))
                for s in (0, 1, 2)]
        if not all(held):  # a socket closed above may still be releasing
            for sock in held:
                if sock:
                    sock.close()
            return None
        return held
    held = wait_until(three_then_refused, timeout=5.0, interval=0.1)
    assert held, "three connections must fit once the earlier ones are closed"
    assert try_connect(broker.host, broker.port, f"{uid}-final-fourth") is None, \
        "a fourth connection fit: a closed connection was released twice"
    for sock in held:
        sock.close()


def test_connect_rate_is_capped_per_listener_and_counted(start_broker, uid):
    rate = 5
    broker = start_broker(flags={"max_connect_rate": rate, "sys_interval": 1},
                          listen=["127.0.0.1:0", "127.0.0.1:0"], shards=2)
    first, second = broker.listeners
    started = time.monotonic()
    accepted = []
    for n in range(30):
        sock = try_connect(first[0], first[1], f"{uid}-burst{n}")
        if sock is not None:
            accepted.append(sock)
    elapsed = time.monotonic() - started
    # Windows of one second: at most `rate` per window, so a burst spanning k windows admits <= k*rate.
    windows = int(elapsed) + 2
    assert 1 <= len(accepted) <= rate * windows, (len(accepted), elapsed)
    assert len(accepted) < 30, "no connection of a 30-connection burst was refused"
    # The other listener has its own budget.
    other = try_connect(second[0], second[1], f"{uid}-other-listener")
    assert other is not None
    # The first one recovers in the next window.
    time.sleep(1.1)
    later = try_connect(first[0], first[1], f"{uid}-later")
    assert later is not None
    assert sys_value(broker, "$SYS/broker/connections/refused/rate", lambda v: v >= 1) >= 30 - len(accepted)
    for sock in accepted + [other, later]:
        sock.close()


def test_per_ip_flood_does_not_stall_a_client_on_the_same_shard(start_broker, uid):
    broker = start_broker(flags={"max_connections_per_ip": 5}, shards=2)
    pinger = RawClient.connected(broker, client_id_on_shard(f"{uid}-pinger", 0, 2))  # 1 of 5
    stop = threading.Event()
    refused = [0]

    def flood():
        for n in range(400):
            if stop.is_set():
                return
            sock = try_connect(broker.host, broker.port, client_id_on_shard(f"{uid}-f{n}", 0, 2))
            if sock is None:
                refused[0] += 1
            # held until the end, so the address stays at its limit
            else:
                held.append(sock)
    held: list[socket.socket] = []
    thread = threading.Thread(target=flood)
    thread.start()
    worst = 0.0
    try:
        for _ in range(40):
            begin = time.monotonic()
            pinger.ping(timeout=2.0)
            worst = max(worst, time.monotonic() - begin)
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(30)
    assert refused[0] > 0 and len(held) == 4
    assert worst <= PING_BOUND_S, f"PINGRESP took {worst * 1000:.0f} ms during the flood"
    for sock in held:
        sock.close()
    pinger.close()


# --- 4. assigned client ids ------------------------------------------------

def test_assigned_client_ids_are_random_and_live_on_their_home_shard(start_broker):
    shards = 4
    broker = start_broker(shards=shards)
    ids = []
    for _ in range(12):
        client, present, reason, props = connect_v5(broker, "", expiry=60)
        assert reason == 0
        assigned = props[m5.ASSIGNED_CLIENT_IDENTIFIER]
        assert re.fullmatch(r"ringmq-[0-9a-f]{32}", assigned), assigned
        ids.append(assigned)
        client.send(m5.disconnect())
        assert client.wait_closed()
        client.close()
    assert len(set(ids)) == len(ids)
    # No counter or clock: consecutive ids share no long prefix of their random part.
    for a, b in zip(ids, ids[1:]):
        assert a[7:15] != b[7:15], (a, b)
    # Each session is where a later CONNECT with that id is routed: the session is found.
    for assigned in ids:
        assert home_shard(assigned, shards) in range(shards)
        client, present, reason, _ = connect_v5(broker, assigned, clean_start=False, expiry=60)
        assert (present, reason) == (True, 0), f"session of assigned id {assigned} not found"
        client.close()


# --- 5. logs -----------------------------------------------------------------

def test_client_id_with_newline_and_escape_is_escaped_in_the_log(start_broker, uid):
    broker = start_broker(shards=2, log_level="debug")
    evil = f"{uid}\nFORGED E line\x1b[2J"
    client = RawClient(broker.host, broker.port)
    assert client.connect(evil).connack() == (0, 0)
    # A packet type a client may not send: a warning line naming the client.
    assert client.is_closed_after(mb.packet(mb.CONNACK << 4, b"\x00\x00"))
    client.close()
    escaped = f"{uid}\\nFORGED E line\\x1b[2J"
    assert broker.wait_for_log(re.escape(f"closing client {escaped}"), timeout=5.0), broker.log[-2000:]
    assert broker.wait_for_log(re.escape(f"client {escaped} connected"), timeout=5.0)
    log = broker.log
    assert "\x1b" not in log
    assert not any(line.startswith("FORGED") for line in log.splitlines())


def test_unread_stderr_does_not_stall_the_broker(uid):
    """stderr is a pipe nobody reads (shrunk to one page): the broker must keep
    answering PINGREQ within 250 ms while it has far more to log than fits, then
    report the dropped lines and flush everything before it exits on SIGTERM."""
    port = broker_process._free_port("127.0.0.1")
    argv = [str(broker_process.ringmq_binary()), "--listen", f"127.0.0.1:{port}", "--shards", "2",
            "--log_level", "debug"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        fcntl.fcntl(proc.stderr.fileno(), 1031, 4096)  # F_SETPIPE_SZ: one page fills after ~40 lines
        broker = type("B", (), {"host": "127.0.0.1", "port": port})()
        wait_until(lambda: _connectable("127.0.0.1", port), timeout=10.0, interval=0.05)
        pinger = RawClient.connected(broker, client_id_on_shard(f"{uid}-pinger", 0, 2))
        stop = threading.Event()
        cycles = [0]

        def chatter():
            # Each connect and close logs two debug lines on shard 0, the pinger's shard.
            for n in range(3000):
                if stop.is_set():
                    return
                sock = try_connect("127.0.0.1", port, client_id_on_shard(f"{uid}-c{n}", 0, 2))
                if sock is not None:
                    sock.sendall(mb.disconnect())
                    sock.close()
                cycles[0] += 1
        thread = threading.Thread(target=chatter)
        thread.start()
        worst = 0.0
        try:
            deadline = time.monotonic() + 20
            while thread.is_alive() and time.monotonic() < deadline:
                begin = time.monotonic()
                pinger.ping(timeout=2.0)
                worst = max(worst, time.monotonic() - begin)
                time.sleep(0.02)
        finally:
            stop.set()
            thread.join(30)
        assert cycles[0] >= 2500, f"only {cycles[0]} connect cycles: the broker stalled"
        assert worst <= PING_BOUND_S, f"PINGRESP took {worst * 1000:.0f} ms with stderr unread"
        pinger.close()

        # Now read stderr: the drop count is reported and every line is out before exit.
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.append(proc.stderr.read()))
        reader.start()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        reader.join(15)
        log = b"".join(chunks).decode("utf-8", errors="replace")
        assert re.search(r"\d+ log lines dropped", log), log[-2000:]
        assert log.rstrip().endswith("I stopped"), log[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _connectable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def test_broker_exits_even_if_stderr_is_never_read(uid):
    """The writer flushes before exit, but waits at most 5 s for a stderr that
    is never read: SIGTERM still ends the broker, with status 0."""
    port = broker_process._free_port("127.0.0.1")
    argv = [str(broker_process.ringmq_binary()), "--listen", f"127.0.0.1:{port}", "--shards", "2",
            "--log_level", "debug"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        fcntl.fcntl(proc.stderr.fileno(), 1031, 4096)  # F_SETPIPE_SZ
        wait_until(lambda: _connectable("127.0.0.1", port), timeout=10.0, interval=0.05)
        for n in range(200):  # ~400 debug lines: far more than one page of pipe
            sock = try_connect("127.0.0.1", port, f"{uid}-{n}")
            assert sock is not None
            sock.close()
        proc.send_signal(signal.SIGTERM)
        begin = time.monotonic()
        assert proc.wait(12) == 0
        assert time.monotonic() - begin < 9.0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()
