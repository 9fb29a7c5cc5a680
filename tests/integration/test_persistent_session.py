"""Clean session = 0 (MQTT 3.1.1 sections 3.1.2.4, 4.4): subscriptions and
QoS 1/2 messages survive while the client is away, bounded by
--max_queued_messages, and unacknowledged messages are re-sent on return."""

import mqtt_bytes as mb


def test_session_present_flag_tracks_stored_session(broker, raw, uid):
    first = raw(broker, f"{uid}-id", clean_session=False, expect_present=False)
    first.disconnect()
    second = raw(broker, f"{uid}-id", clean_session=False, expect_present=True)
    second.disconnect()
    raw(broker, f"{uid}-id", clean_session=True, expect_present=False)


def test_offline_qos1_and_qos2_messages_delivered_on_return_in_order(broker, raw, paho, uid):
    away = raw(broker, f"{uid}-id", clean_session=False, expect_present=False)
    assert away.subscribe([(f"{uid}/q1", 1), (f"{uid}/q2", 2)]) == [1, 2]
    away.disconnect()
    pub = paho(broker)
    expected = []
    for i in range(10):
        topic = f"{uid}/q{1 + i % 2}"
        pub.publish(topic, str(i), 1 + i % 2)
        expected.append((topic, str(i).encode(), 1 + i % 2))
    back = raw(broker, f"{uid}-id", clean_session=False, expect_present=True)
    got = [back.recv_publish_acked() for _ in range(10)]
    assert [(p.topic(), p.payload(), p.qos) for p in got] == expected


def test_subscriptions_survive_abnormal_disconnect(broker, raw, paho, uid):
    away = raw(broker, f"{uid}-id", clean_session=False, expect_present=False)
    away.subscribe([(f"{uid}/t", 1)])
    away.close()
    # The broker may not have noticed the close yet; a takeover is equally fine.
    back = raw(broker, f"{uid}-id", clean_session=False, expect_present=True)
    paho(broker).publish(f"{uid}/t", b"still-subscribed", 1)
    assert back.recv_publish_acked().payload() == b"still-subscribed"


def test_clean_session_discards_stored_session(broker, raw, paho, uid):
    away = raw(broker, f"{uid}-id", clean_session=False, expect_present=False)
    away.subscribe([(f"{uid}/t", 1)])
    away.disconnect()
    paho(broker).publish(f"{uid}/t", b"queued-then-discarded", 1)
    fresh = raw(broker, f"{uid}-id", clean_session=True, expect_present=False)
    fresh.assert_not_subscribed(f"{uid}/t", paho(broker), f"{uid}/marker")


def test_unacked_qos1_is_resent_with_dup_on_return(broker, raw, paho, uid):
    away = raw(broker, f"{uid}-id", clean_session=False, expect_present=False)
    away.subscribe([(f"{uid}/t", 1)])
    paho(broker).publish(f"{uid}/t", b"unacked", 1)
    first = away.expect(mb.PUBLISH)
    away.close()  # without PUBACK
    back = raw(broker, f"{uid}-id", clean_session=False, expect_present=True)
    again = back.expect(mb.PUBLISH)
    assert (again.payload(), again.qos, again.dup, again.packet_id()) == (
        b"unacked", 1, True, first.packet_id())
    back.send(mb.puback(again.packet_id()))


def test_unreleased_qos2_resends_pubrel_on_return(broker, raw, paho, uid):
    away = raw(broker, f"{uid}-id", clean_session=False, expect_present=False)
    away.subscribe([(f"{uid}/t", 2)])
    paho(broker).publish(f"{uid}/t", b"half-done", 2)
    first = away.expect(mb.PUBLISH)
    away.send(mb.pubrec(first.packet_id()))
    assert away.expect(mb.PUBREL).packet_id() == first.packet_id()
    away.close()  # without PUBCOMP
    back = raw(broker, f"{uid}-id", clean_session=False, expect_present=True)
    rel = back.expect(mb.PUBREL)
    assert rel.packet_id() == first.packet_id()
    back.send(mb.pubcomp(rel.packet_id()))
    back.subscribe([(f"{uid}/marker", 1)])
    paho(broker).publish(f"{uid}/marker", b"m", 1)
    assert back.expect(mb.PUBLISH).topic() == f"{uid}/marker", "no second copy of the message"


def test_offline_queue_is_bounded_by_max_queued_messages(start_broker, raw, paho, uid):
    bounded = start_broker(flags={"max_queued_messages": 5})
    away = raw(bounded, f"{uid}-id", clean_session=False, expect_present=False)
    away.subscribe([(f"{uid}/t", 1), (f"{uid}/marker", 0)])
    away.disconnect()
    pub = paho(bounded)
    for i in range(20):
        pub.publish(f"{uid}/t", str(i), 1)
    back = raw(bounded, f"{uid}-id", clean_session=False, expect_present=True)
    pub.publish(f"{uid}/marker", b"m", 1)
    got = []
    for _ in range(25):
        pkt = back.recv_publish_acked()
        if pkt.topic() == f"{uid}/marker":
            break
        got.append(int(pkt.payload()))
    # Queued up to the bound, later ones dropped.
    assert got == [0, 1, 2, 3, 4]
