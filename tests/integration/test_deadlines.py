"""Per-connection deadlines (net/shard.cc, kept in a deadline wheel): many
silent clients with different keep-alives are each disconnected at their own
1.5x keep-alive, not earlier and not much later; a connection that starts a
CONNECT and never finishes it is closed after --connect_timeout; an offline
session whose expiry changed between two connections ends on its latest
expiry, shorter or longer than the one before."""

import selectors
import time

import pytest
from paho.mqtt.packettypes import PacketTypes

import mqtt_bytes as mb
from mqtt5_fixtures import paho5  # noqa: F401
from paho5_client import props

LATENESS_ALLOWED = 1.5  # the broker looks every 250 ms; the rest is slack for a loaded machine


def close_times(clients, timeout: float) -> dict:
    """Seconds from now until each client's connection closed (bounded by timeout)."""
    start = time.monotonic()
    closed_after = {}
    with selectors.DefaultSelector() as selector:
        for client in clients:
            client.sock.setblocking(False)
            selector.register(client.sock, selectors.EVENT_READ, client)
        while len(closed_after) < len(clients) and time.monotonic() - start < timeout:
            for key, _ in selector.select(timeout=0.05):
                try:
                    data = key.fileobj.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    data = b""
                except BlockingIOError:
                    continue
                if not data:
                    closed_after[key.data] = time.monotonic() - start
                    selector.unregister(key.fileobj)
    return closed_after


def test_each_silent_client_is_closed_at_its_own_keepalive(broker, raw, uid):
    keepalives = [1, 2, 3] * 4
    clients = [raw(broker, f"{uid}-{n}-ka{ka}", keepalive=ka) for n, ka in enumerate(keepalives)]
    forever = raw(broker, f"{uid}-zero", keepalive=0)
    closed_after = close_times(clients, timeout=1.5 * max(keepalives) + LATENESS_ALLOWED + 2)
    assert len(closed_after) == len(clients), "some silent clients were never disconnected"
    for client, keepalive in zip(clients, keepalives):
        elapsed = closed_after[client]
        # The clock started at the CONNECT, just before this measurement did.
        assert 1.5 * keepalive - 0.1 <= elapsed <= 1.5 * keepalive + LATENESS_ALLOWED, (
            f"keep-alive {keepalive}s client closed after {elapsed:.2f}s")
    forever.ping()  # keep-alive 0: still connected


@pytest.mark.ringmq_only
def test_unfinished_connect_is_closed_after_connect_timeout(start_broker, raw, uid):
    broker = start_broker(flags={"connect_timeout": 1})
    client = raw(broker)
    connect = mb.connect(f"{uid}-slow")
    client.send(connect[:4])  # past TCP_DEFER_ACCEPT, but never a whole CONNECT
    start = time.monotonic()
    assert client.wait_closed(timeout=1 + LATENESS_ALLOWED + 2), "unfinished CONNECT kept open"
    elapsed = time.monotonic() - start
    assert elapsed >= 0.9, f"closed after {elapsed:.2f}s, before --connect_timeout=1"
    assert elapsed <= 1 + LATENESS_ALLOWED, f"closed after {elapsed:.2f}s, long after --connect_timeout=1"


def expiry(seconds: int):
    return props(PacketTypes.CONNECT, SessionExpiryInterval=seconds)


def test_shortened_session_expiry_ends_the_session_on_its_new_deadline(broker, paho5, uid):
    paho5(broker, f"{uid}-c", properties=expiry(30)).drop()
    back = paho5(broker, f"{uid}-c", clean_start=False, properties=expiry(1))
    assert back.connack[0] is True
    back.drop()
    time.sleep(1 + LATENESS_ALLOWED)
    late = paho5(broker, f"{uid}-c", clean_start=False, properties=expiry(30))
    assert late.connack[0] is False, "the session outlived its 1 s expiry"


def test_lengthened_session_expiry_keeps_the_session_past_its_old_deadline(broker, paho5, uid):
    paho5(broker, f"{uid}-c", properties=expiry(1)).drop()
    back = paho5(broker, f"{uid}-c", clean_start=False, properties=expiry(5))
    assert back.connack[0] is True
    back.drop()
    time.sleep(2.5)  # well past the first expiry, well within the second
    again = paho5(broker, f"{uid}-c", clean_start=False, properties=expiry(5))
    assert again.connack[0] is True, "the session ended on its earlier, 1 s expiry"
