"""Client id takeover (MQTT-3.1.4-2): a new CONNECT with a connected client
id disconnects the old connection, whichever shard accepted either one."""


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
