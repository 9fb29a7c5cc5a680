"""Graceful shutdown: SIGTERM/SIGINT make the broker close its clients and
exit with status 0 within 10 s, idle or under load."""

import signal
import threading

import pytest

import mqtt_bytes as mb
from raw_client import RawClient


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_with_connected_clients_exits_zero_and_closes_them(start_broker, raw, paho,
                                                                  uid, sig):
    broker = start_broker()
    raws = [raw(broker, f"{uid}-raw{n}") for n in range(4)]
    persistent = raw(broker, f"{uid}-persistent", clean_session=False)
    persistent.subscribe([(f"{uid}/t", 1)])
    client = paho(broker)
    client.subscribe(f"{uid}/t", 1)
    assert broker.stop(sig) == 0
    for connection in raws + [persistent]:
        assert connection.wait_closed(), "client connection left open after shutdown"
    assert client.disconnected.wait(10), "Paho client not disconnected by shutdown"


def test_sigterm_on_idle_broker_exits_zero(start_broker):
    broker = start_broker()
    assert broker.stop(signal.SIGTERM) == 0


def test_sigterm_under_publish_load_exits_zero(start_broker, raw, uid):
    broker = start_broker()
    sub = raw(broker, f"{uid}-sub")
    sub.subscribe([(f"{uid}/load", 1)])
    started = threading.Event()
    stop = threading.Event()
    outcome = []

    def publish_until_closed():
        # Never reads its PUBACKs, so the broker's sends to it back up too.
        publisher = RawClient.connected(broker, f"{uid}-pub")
        batch = b"".join(mb.publish(f"{uid}/load", b"p" * 512, qos=1, packet_id=1 + n % 60000)
                         for n in range(200))
        try:
            for _ in range(10_000):
                if stop.is_set():
                    outcome.append("stopped while the connection was still open")
                    return
                publisher.send(batch)
                started.set()
            outcome.append("connection still open after all batches")
        except TimeoutError:
            outcome.append("send blocked for 10 s: connection neither read nor closed")
        except OSError:
            outcome.append("closed")
        finally:
            publisher.close()

    worker = threading.Thread(target=publish_until_closed, daemon=True)
    worker.start()
    try:
        assert started.wait(10), "publisher never got going"
        assert broker.stop(signal.SIGTERM) == 0
        worker.join(15)
    finally:
        stop.set()
        worker.join(15)
    assert outcome == ["closed"], "the publishing connection must be closed at shutdown"
    assert sub.wait_closed()


def test_new_connections_fail_after_shutdown(start_broker):
    broker = start_broker()
    host, port = broker.host, broker.port
    assert broker.stop(signal.SIGTERM) == 0
    with pytest.raises(OSError):
        RawClient(host, port)
