"""Keep-alive enforcement (MQTT-3.1.2-24): a client silent for 1.5x its
keep-alive is disconnected and its will published; any packet keeps it alive;
keep-alive 0 disables the check."""

import time

import mqtt_bytes as mb


def test_silent_client_is_disconnected_after_one_and_a_half_keepalives(broker, raw, uid):
    client = raw(broker, f"{uid}-k", keepalive=2)
    start = time.monotonic()
    assert client.wait_closed(timeout=12), "silent client not disconnected"
    elapsed = time.monotonic() - start
    assert elapsed >= 1.9, f"disconnected after {elapsed:.2f}s, before its 2s keep-alive"


def test_pingreq_keeps_connection_alive(broker, raw, uid):
    client = raw(broker, f"{uid}-k", keepalive=1)
    deadline = time.monotonic() + 4  # well past 1.5x the keep-alive
    pings = 0
    while time.monotonic() < deadline and pings < 100:
        client.ping(timeout=5)
        pings += 1
        time.sleep(0.4)
    client.ping(timeout=5)


def test_publishing_also_counts_as_activity(broker, raw, uid):
    client = raw(broker, f"{uid}-k", keepalive=1)
    deadline = time.monotonic() + 4
    for n in range(100):
        if time.monotonic() >= deadline:
            break
        client.send(mb.publish(f"{uid}/beat", str(n).encode()))
        time.sleep(0.4)
    client.ping(timeout=5)


def test_keepalive_zero_is_never_timed_out(broker, raw, uid):
    forever = raw(broker, f"{uid}-zero", keepalive=0)
    short = raw(broker, f"{uid}-one", keepalive=1)
    assert short.wait_closed(timeout=12), "keep-alive 1 client not disconnected"
    # The broker has run its keep-alive check at least once past our idle time.
    forever.ping(timeout=5)


def test_will_published_on_keepalive_timeout(broker, raw, paho, uid):
    sub = paho(broker)
    sub.subscribe(f"{uid}/will", 1)
    raw(broker, f"{uid}-k", keepalive=1, will=mb.Will(f"{uid}/will", b"timed-out", 1))
    got = sub.expect(timeout=12)[0]
    assert got.payload == b"timed-out"


def test_paho_client_with_short_keepalive_stays_connected(broker, paho, uid):
    client = paho(broker, keepalive=1)
    client.subscribe(f"{uid}/t", 1)
    time.sleep(3)  # Paho's own PINGREQs must be honoured meanwhile
    assert not client.disconnected.is_set()
    client.publish(f"{uid}/t", b"alive", 1)
    assert client.expect()[0].payload == b"alive"
