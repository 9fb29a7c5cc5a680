"""Closing grace: after the broker's last packet (a DISCONNECT, a refusing
CONNACK) it stops writing, keeps reading and discarding, and closes once the
client does (or after a bounded grace), so a client that is still sending reads
that packet and a clean end of stream instead of a reset or a broken pipe.

test_flow_control2 is the scenario of the Paho interoperability suite's test of
that name (MQTT 5 Receive Maximum exceeded with QoS 2, DISCONNECT 0x93), which
saw a broken pipe instead of the DISCONNECT."""

from __future__ import annotations

import select
import socket
import time

import pytest

import mqtt5_bytes as m5
import mqtt_bytes as mb

pytestmark = pytest.mark.ringmq_only

ATTEMPTS = 5  # the reset raced the DISCONNECT: one lucky pass proves little


def read_to_end(sock: socket.socket, timeout: float = 10.0) -> tuple[list[mb.Packet], str]:
    """Every packet the broker sends until it closes, and how it closed:
    'fin' (orderly) or 'reset'. Bounded by timeout."""
    deadline = time.monotonic() + timeout
    buf = bytearray()
    ending = "timeout"
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            ending = "reset"
            break
        except socket.timeout:
            break
        if not chunk:
            ending = "fin"
            break
        buf += chunk
    packets = []
    while True:
        packet, used = mb.parse(buf)
        if packet is None:
            break
        packets.append(packet)
        del buf[:used]
    return packets, ending


def keep_sending(sock: socket.socket, data: bytes, times: int) -> None:
    """A client unaware of the broker's last packet goes on sending: no write may fail.
    It starts once the broker's answer has arrived (and a little later, the time a reset
    following it would take), which is when Paho's test client hit the broken pipe."""
    readable, _, _ = select.select([sock], [], [], 10.0)
    assert readable, "nothing from the broker within 10 s"
    time.sleep(0.2)
    for n in range(times):
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as err:
            pytest.fail(f"write {n} after the broker's last packet failed: {err!r}")


def test_flow_control2(start_broker, uid):
    broker = start_broker(flags={"max_inflight": 3})  # the broker's Receive Maximum
    filler = m5.publish(f"{uid}/filler", b"f" * 1024)
    for attempt in range(ATTEMPTS):
        sock = socket.create_connection((broker.host, broker.port), timeout=10)
        with sock:
            sock.sendall(m5.connect(f"{uid}-{attempt}"))
            packet, ending = None, None
            buf = bytearray()
            while packet is None:
                chunk = sock.recv(65536)
                assert chunk, "closed before CONNACK"
                buf += chunk
                packet, used = mb.parse(buf)
            assert packet.kind == mb.CONNACK and m5.parse_connack(packet)[1] == 0
            # Four QoS 2 PUBLISHes, none released: the fourth exceeds the Receive Maximum of 3.
            # The client sends on right behind them, as Paho's test client does.
            burst = b"".join(m5.publish(f"{uid}/t", b"x", qos=2, packet_id=i) for i in range(1, 5))
            sock.sendall(burst + filler * 16)
            keep_sending(sock, filler, 32)
            packets, ending = read_to_end(sock)
            assert [p.kind for p in packets] == [mb.PUBREC] * 3 + [mb.DISCONNECT], \
                f"attempt {attempt}: got {[p.kind for p in packets]}"
            assert m5.parse_reason(packets[-1])[0] == 0x93  # Receive Maximum exceeded
            assert ending == "fin", f"attempt {attempt}: the stream ended with a {ending}"


def test_refused_connack_is_readable_after_the_client_kept_sending(start_broker, uid):
    broker = start_broker()
    publish = mb.publish(f"{uid}/t", b"p" * 4096)
    for attempt in range(ATTEMPTS):
        sock = socket.create_connection((broker.host, broker.port), timeout=10)
        with sock:
            # 3.1.1: an empty client id with clean session 0 is refused (CONNACK 0x02). The client
            # does not wait for the CONNACK: PUBLISHes follow at once, and go on.
            sock.sendall(mb.connect(b"", clean_session=False) + publish * 16)
            keep_sending(sock, publish, 16)
            packets, ending = read_to_end(sock)
            assert [p.kind for p in packets] == [mb.CONNACK], f"attempt {attempt}: {[p.kind for p in packets]}"
            assert packets[0].connack()[1] == 0x02
            assert ending == "fin", f"attempt {attempt}: the stream ended with a {ending}"
    assert broker.wait_for_log_count("refused CONNECT", ATTEMPTS)


def test_a_client_that_never_stops_sending_is_cut_after_the_grace(start_broker, uid):
    broker = start_broker()
    sock = socket.create_connection((broker.host, broker.port), timeout=10)
    with sock:
        sock.sendall(m5.connect(uid))
        assert mb.parse(sock.recv(65536))[0].kind == mb.CONNACK
        sock.sendall(m5.publish(f"{uid}/t", b"x", qos=3, packet_id=1))  # QoS 3: malformed, DISCONNECT
        start = time.monotonic()
        # Go on sending (without reading) well past the grace: the broker must not wait for us forever.
        sock.settimeout(0.2)
        ended = False
        while time.monotonic() - start < 10 and not ended:
            try:
                sock.send(mb.publish(f"{uid}/t", b"s" * 1024))
            except (BrokenPipeError, ConnectionResetError):
                ended = True
            except socket.timeout:
                pass
            time.sleep(0.01)
        elapsed = time.monotonic() - start
        assert ended, "the broker kept a closing connection open for 10 s"
        assert 1.0 < elapsed < 6.0, f"closed after {elapsed:.1f} s"
