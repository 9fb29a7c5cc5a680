"""Client id takeover (MQTT-3.1.4-2): a new CONNECT with a connected client
id disconnects the old connection, whichever shard accepted either one; a
DISCONNECT sent just before reconnecting still counts."""

from concurrent.futures import ThreadPoolExecutor

import mqtt5_bytes as m5
import mqtt_bytes as mb
from raw_client import RawClient

# Each round reconnects the moment the old socket is closed, so the new CONNECT
# can reach the session's shard before the old DISCONNECT is read there; a few
# clients at once make that likely (before the fix, a few percent of rounds).
RECONNECTING_CLIENTS = 4
RECONNECT_ROUNDS = 60


def reconnect_rounds(round_, broker, uid) -> list:
    """Runs round_(broker, client_id) RECONNECT_ROUNDS times for each of
    RECONNECTING_CLIENTS ids in parallel; returns what the rounds returned."""
    def rounds(index):
        return [round_(broker, f"{uid}-{index}") for _ in range(RECONNECT_ROUNDS)]
    with ThreadPoolExecutor(RECONNECTING_CLIENTS) as pool:
        return [result for results in pool.map(rounds, range(RECONNECTING_CLIENTS)) for result in results]


def test_paho_takeover_disconnects_old_client(broker, paho, uid):
    old = paho(broker, f"{uid}-id")
    new = paho(broker, f"{uid}-id")
    assert old.disconnected.wait(10), "old connection still open after takeover"
    new.subscribe(f"{uid}/t", 1)
    new.publish(f"{uid}/t", b"new-owner", 1)
    assert new.expect()[0].payload == b"new-owner"


def test_repeated_takeovers_each_close_the_previous_connection(broker, raw, uid):
    # Successive connections are accepted on varying shards; every one must
    # find and close the previous holder of the id.
    previous = raw(broker, f"{uid}-id")
    for _ in range(8):
        current = raw(broker, f"{uid}-id")
        assert previous.wait_closed(), "previous connection survived takeover"
        current.ping()
        previous = current


def test_takeover_keeps_persistent_session(broker, raw, paho, uid):
    first = raw(broker, f"{uid}-id", clean_session=False)
    assert first.subscribe([(f"{uid}/kept", 1)]) == [1]
    second = raw(broker, f"{uid}-id", clean_session=False, expect_present=True)
    assert first.wait_closed()
    paho(broker).publish(f"{uid}/kept", b"to-second", 1)
    assert second.recv_publish_acked().payload() == b"to-second"


def test_takeover_with_clean_session_discards_subscriptions(broker, raw, paho, uid):
    first = raw(broker, f"{uid}-id", clean_session=False)
    first.subscribe([(f"{uid}/old", 1)])
    second = raw(broker, f"{uid}-id", clean_session=True, expect_present=False)
    assert first.wait_closed()
    second.assert_not_subscribed(f"{uid}/old", paho(broker), f"{uid}/marker")


def test_old_connection_gets_no_messages_after_takeover(broker, raw, paho, uid):
    old = raw(broker, f"{uid}-id")
    old.subscribe([(f"{uid}/t", 0)])
    new = raw(broker, f"{uid}-id")
    new.subscribe([(f"{uid}/t", 0)])
    paho(broker).publish(f"{uid}/t", b"only-new", 1)
    assert new.recv_publish_acked().payload() == b"only-new"
    assert old.recv_packet() is None, "old connection must be closed, not served"


def test_disconnect_just_before_reconnecting_publishes_no_will(broker, raw, uid):
    watcher = raw(broker, f"{uid}-watch")
    watcher.subscribe([(f"{uid}/will", 0)])
    will = mb.Will(topic=f"{uid}/will", payload=b"must-not-arrive")

    def round_(broker, client_id):
        client = RawClient.connected(broker, client_id, clean_session=False, will=will)
        client.send(mb.disconnect())
        client.close()

    reconnect_rounds(round_, broker, uid)
    # A will would have been published before the next round's CONNACK, so before the marker.
    raw(broker, f"{uid}-marker").publish_qos1(f"{uid}/will", b"marker")
    assert watcher.expect(mb.PUBLISH).payload() == b"marker", "a DISCONNECT was taken for a takeover"


def test_session_ended_at_disconnect_is_gone_on_immediate_reconnect(broker, uid):
    def round_(broker, client_id) -> bool:
        client = RawClient(broker.host, broker.port)
        client.send(m5.connect(client_id, clean_start=False, props=[(m5.SESSION_EXPIRY_INTERVAL, 60)]))
        present = m5.parse_connack(client.expect(mb.CONNACK))[0]
        client.send(m5.disconnect(0, [(m5.SESSION_EXPIRY_INTERVAL, 0)]))
        client.close()
        return present

    presents = reconnect_rounds(round_, broker, uid)
    assert not any(presents), f"{sum(presents)} of {len(presents)} sessions ended at DISCONNECT came back"
