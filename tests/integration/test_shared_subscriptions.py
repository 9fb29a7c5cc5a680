"""Shared subscriptions ($share/{group}/{filter}, MQTT 5.0 section 4.8.2) on a
4-shard broker, with MQTT 5 and 3.1.1 members placed on every shard: each
message reaches exactly one member of each matching group, balanced, next to
the plain subscribers; a member that leaves loses no QoS 1 message; retained
messages are not sent on a shared subscription."""

from __future__ import annotations

import collections
import time

import pytest
from paho.mqtt.packettypes import PacketTypes

import mqtt_bytes as mb
from mqtt5_fixtures import paho5  # noqa: F401 - fixture
from paho5_client import props
from shards import client_id_on_shard
from waiting import wait_until

pytestmark = pytest.mark.ringmq_only

SHARDS = 4
TIMEOUT = 10.0


def session_expiry(seconds: int):
    """CONNECT properties for a session that outlives its connection."""
    return props(PacketTypes.CONNECT, SessionExpiryInterval=seconds)


def collect(clients, total: int, timeout: float = TIMEOUT) -> dict[int, list[bytes]]:
    """Payloads per client (index) once `total` messages arrived across them,
    plus whatever arrives in a short grace period (to catch duplicates)."""
    got: dict[int, list[bytes]] = {i: [] for i in range(len(clients))}

    def poll():
        for i, client in enumerate(clients):
            got[i] += [m.payload for m in client.drain()]
        return sum(len(v) for v in got.values()) >= total

    wait_until(poll, timeout)
    time.sleep(0.3)
    poll()
    return got


def payloads(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i}" for i in range(n)]


def delivery_counts(got: dict[int, list[bytes]]) -> collections.Counter:
    """How many times each payload arrived, over all members."""
    return collections.Counter(p for member in got.values() for p in member)


def assert_none_lost(counts: collections.Counter, expected: list[str]) -> None:
    missing = [p for p in expected if counts[p.encode()] == 0]
    assert not missing, f"{len(missing)} messages never reached the group: {missing[:5]}"


def assert_once_each(got: dict[int, list[bytes]], expected: list[str]) -> None:
    counts = delivery_counts(got)
    assert_none_lost(counts, expected)
    repeated = {p: c for p, c in counts.items() if c > 1}
    assert not repeated, f"messages delivered more than once: {list(repeated.items())[:5]}"
    assert sum(counts.values()) == len(expected)


def on_shard(make, broker, name: str, shard: int, **options):
    """make (the paho, paho5 or raw fixture) for a client id whose home is shard."""
    return make(broker, client_id_on_shard(name, shard, SHARDS), **options)


def members_on_all_shards(make, broker, uid: str, per_shard: int, **options):
    return [on_shard(make, broker, f"{uid}-m{shard}x{n}", shard, **options)
            for shard in range(SHARDS) for n in range(per_shard)]


def join_group(members, topic: str, group: str = "g") -> None:
    """Subscribes each Paho member to $share/{group}/{topic}; QoS 1 must be granted."""
    for member in members:
        assert member.subscribe(f"$share/{group}/{topic}", 1) == [1]


def settle_routes():
    """Subscriptions reach the other shards' route tables asynchronously."""
    time.sleep(0.2)


def test_connack_announces_shared_subscriptions(broker, paho5, uid):
    client = paho5(broker, f"{uid}-c")
    props = client.connack[2]
    assert getattr(props, "SharedSubscriptionAvailable", 1) == 1


def test_v5_group_spread_over_all_shards_gets_each_message_once(broker, paho5, uid):
    topic = f"{uid}/jobs"
    members = members_on_all_shards(paho5, broker, uid, per_shard=2)
    join_group(members, f"{uid}/+", group="workers")
    settle_routes()
    expected = []
    for shard in range(SHARDS):
        publisher = on_shard(paho5, broker, f"{uid}-p", shard)
        batch = payloads(f"s{shard}", 60)
        publisher.publish_all(topic, batch)
        expected += batch
    got = collect(members, len(expected))
    assert_once_each(got, expected)
    shares = [len(v) for v in got.values()]
    assert min(shares) > 0, f"every member gets some: {shares}"
    assert max(shares) <= 3 * len(expected) / len(members), f"roughly balanced: {shares}"


def test_v311_members_and_plain_subscriber(broker, paho, uid):
    topic = f"{uid}/t"
    members = [on_shard(paho, broker, f"{uid}-m", shard) for shard in range(SHARDS)]
    join_group(members, topic)
    plain = on_shard(paho, broker, f"{uid}-plain", 2)
    plain.subscribe(topic, 1)
    settle_routes()
    publisher = on_shard(paho, broker, f"{uid}-p", 1)
    expected = payloads("m", 120)
    for p in expected:
        publisher.publish_nowait(topic, p, 1)
    got = collect(members, len(expected))
    assert_once_each(got, expected)
    assert all(got.values()), f"every member gets some: {[len(v) for v in got.values()]}"
    assert [m.payload.decode() for m in plain.expect(len(expected))] == expected
    assert plain.drain() == []


def test_two_groups_on_one_filter_each_get_every_message(broker, paho5, uid):
    topic = f"{uid}/t"
    groups = {}
    for name in ("alpha", "beta"):
        groups[name] = members_on_all_shards(paho5, broker, f"{uid}-{name}", per_shard=1)
        join_group(groups[name], topic, group=name)
    plain = on_shard(paho5, broker, f"{uid}-plain", 3)
    plain.subscribe(topic, 1)
    settle_routes()
    expected = payloads("x", 100)
    on_shard(paho5, broker, f"{uid}-p", 0).publish_all(topic, expected)
    for members in groups.values():
        assert_once_each(collect(members, len(expected)), expected)
    assert_once_each(collect([plain], len(expected)), expected)


def test_same_group_name_on_two_filters_is_two_groups(broker, paho5, uid):
    a = on_shard(paho5, broker, f"{uid}-a", 0)
    b = on_shard(paho5, broker, f"{uid}-b", 1)
    join_group([a], f"{uid}/+")
    join_group([b], f"{uid}/#")
    settle_routes()
    expected = payloads("y", 20)
    on_shard(paho5, broker, f"{uid}-p", 2).publish_all(f"{uid}/t", expected)
    assert_once_each(collect([a], len(expected)), expected)
    assert_once_each(collect([b], len(expected)), expected)


def test_member_dropped_with_unacked_messages_loses_none(broker, raw, paho5, uid):
    """A 3.1.1 member that never acknowledges, alone on its shard, holds a
    quarter of the messages in flight; when its connection drops (clean
    session: the session ends) they all go to the other members."""
    topic = f"{uid}/t"
    silent = on_shard(raw, broker, f"{uid}-silent", 0)
    assert silent.subscribe([(f"$share/g/{topic}", 1)]) == [1]
    others = [on_shard(paho5, broker, f"{uid}-m", shard) for shard in (1, 2, 3)]
    join_group(others, topic)
    settle_routes()
    publisher = on_shard(paho5, broker, f"{uid}-p", 1)
    first, second = payloads("a", 80), payloads("b", 80)
    publisher.publish_all(topic, first)
    held = []
    while len(held) < 10:
        pkt = silent.expect(mb.PUBLISH)
        held.append(pkt.payload())
    silent.close()
    publisher.publish_all(topic, second)
    got = collect(others, len(first) + len(second), timeout=15)
    counts = delivery_counts(got)
    assert_none_lost(counts, first + second)
    assert set(held) <= set(counts), "the dropped member's in-flight messages were re-sent"
    duplicates = sum(c - 1 for c in counts.values())
    assert duplicates == 0, f"{duplicates} messages delivered twice among the remaining members"


def test_acking_member_disconnecting_mid_stream_at_qos1(broker, paho5, uid):
    """A member leaving (session ended) during a stream: the group as a whole
    still receives every message; a message may be received twice only if
    the leaver took it and its acknowledgement was lost with the connection."""
    topic = f"{uid}/t"
    members = members_on_all_shards(paho5, broker, uid, per_shard=1)
    join_group(members, topic)
    settle_routes()
    publisher = on_shard(paho5, broker, f"{uid}-p", 3)
    expected = payloads("z", 400)
    infos = []
    leaver = members[1]
    for i, p in enumerate(expected):
        infos.append(publisher.client.publish(topic, p, 1))
        if i == 150:
            leaver.drop()
    for info in infos:
        info.wait_for_publish(TIMEOUT)
    got = collect(members, len(expected), timeout=15)
    counts = delivery_counts(got)
    assert_none_lost(counts, expected)
    twice = [p for p, c in counts.items() if c > 1]
    assert set(twice) <= set(got[1]), "only messages the leaver took may come twice"
    assert len(twice) <= 256, f"at most the in-flight window is resent, got {len(twice)}"


def test_unsubscribe_shared_filter_leaves_the_group(broker, paho5, uid):
    topic = f"{uid}/t"
    a = on_shard(paho5, broker, f"{uid}-a", 0)
    b = on_shard(paho5, broker, f"{uid}-b", 2)
    join_group([a, b], topic)
    assert a.unsubscribe(f"$share/g/{topic}") == [0x00]
    assert a.unsubscribe(f"$share/g/{topic}") == [0x11]  # no subscription existed
    assert a.unsubscribe(topic) == [0x11]  # the plain filter is another subscription
    settle_routes()
    expected = payloads("u", 40)
    on_shard(paho5, broker, f"{uid}-p", 1).publish_all(topic, expected)
    assert_once_each(collect([b], len(expected)), expected)
    assert a.drain() == []


def test_unsubscribing_member_hands_queued_messages_to_the_group(start_broker, raw, paho5, uid):
    """Messages queued behind a member's in-flight window go to another
    member when it unsubscribes; the in-flight ones it must still complete."""
    broker = start_broker(flags={"max_inflight": 2})
    topic = f"{uid}/t"
    slow = on_shard(raw, broker, f"{uid}-slow", 0)
    assert slow.subscribe([(f"$share/g/{topic}", 1)]) == [1]
    settle_routes()
    expected = payloads("q", 10)
    on_shard(paho5, broker, f"{uid}-p", 1).publish_all(topic, expected)
    in_flight = [slow.expect(mb.PUBLISH) for _ in range(2)]
    assert [p.payload() for p in in_flight] == [b"q-0", b"q-1"]
    other = on_shard(paho5, broker, f"{uid}-other", 2)
    join_group([other], topic)
    slow.send(mb.unsubscribe(7, [f"$share/g/{topic}"]))
    assert slow.expect(mb.UNSUBACK).packet_id() == 7
    assert_once_each(collect([other], 8), expected[2:])
    for pkt in in_flight:
        slow.send(mb.puback(pkt.packet_id()))
    with pytest.raises(TimeoutError):  # nothing more reaches the member that left
        slow.expect(mb.PUBLISH, timeout=0.5)


def test_unsubscribe_shared_filter_v311(broker, paho, uid):
    topic = f"{uid}/t"
    a = on_shard(paho, broker, f"{uid}-a", 3)
    b = on_shard(paho, broker, f"{uid}-b", 0)
    join_group([a, b], topic)
    a.unsubscribe(f"$share/g/{topic}")
    settle_routes()
    publisher = on_shard(paho, broker, f"{uid}-p", 2)
    for i in range(20):
        publisher.publish_nowait(topic, f"v{i}", 1)
    assert [m.payload.decode() for m in b.expect(20)] == [f"v{i}" for i in range(20)]
    assert a.drain() == []


def test_retained_not_sent_on_shared_subscription(broker, paho5, uid):
    topic = f"{uid}/r"
    publisher = on_shard(paho5, broker, f"{uid}-p", 0)
    publisher.publish_all(topic, ["kept"], qos=1, retain=True)
    member = on_shard(paho5, broker, f"{uid}-m", 1)
    join_group([member], topic)
    plain = on_shard(paho5, broker, f"{uid}-plain", 1)
    plain.subscribe(topic, 1)
    kept = plain.messages.get(timeout=TIMEOUT)
    assert (kept.payload, kept.retain) == (b"kept", True)
    time.sleep(0.3)
    assert member.drain() == []
    publisher.publish_all(topic, [""], qos=1, retain=True)  # clears it


def test_subscription_identifier_on_shared_subscription(broker, paho5, uid):
    topic = f"{uid}/id"
    member = on_shard(paho5, broker, f"{uid}-m", 2)
    member.subscribe(f"$share/g/{topic}", 1, subscription_id=42)
    settle_routes()
    on_shard(paho5, broker, f"{uid}-p", 0).publish_all(topic, ["one"])
    assert_once_each(collect([member], 1), ["one"])
    assert member.subscription_ids == [[42]]


# Well-formed as topic filters, wrong as shared ones: refused per filter in SUBACK. (A misplaced
# wildcard is a malformed filter whatever its prefix, which closes a 3.1.1 connection.)
INVALID_SHARED = ["$share/g", "$share//t", "$share/g/"]


@pytest.mark.parametrize("bad", INVALID_SHARED)
def test_invalid_shared_filters_are_refused(broker, paho5, raw, uid, bad):
    legacy = on_shard(raw, broker, f"{uid}-v3", 1)
    assert legacy.subscribe([(bad, 1)]) == [0x80]
    client = on_shard(paho5, broker, f"{uid}-v5", 0)
    assert client.subscribe(bad, 1) == [0x8F]


def test_offline_member_messages_go_to_connected_members(broker, paho5, uid):
    """A member whose session outlives its connection receives nothing while
    another member is connected; the connected one gets everything."""
    topic = f"{uid}/t"
    sleeper_id = client_id_on_shard(f"{uid}-sleeper", 0, SHARDS)
    sleeper = paho5(broker, sleeper_id, properties=session_expiry(300))
    join_group([sleeper], topic)
    awake = on_shard(paho5, broker, f"{uid}-awake", 1)
    join_group([awake], topic)
    sleeper.disconnect()
    settle_routes()
    expected = payloads("o", 60)
    on_shard(paho5, broker, f"{uid}-p", 0).publish_all(topic, expected)
    assert_once_each(collect([awake], len(expected)), expected)
    back = paho5(broker, sleeper_id, clean_start=False, properties=session_expiry(300))
    assert back.connack[0], "session present"
    time.sleep(0.3)
    assert back.drain() == []


def test_only_offline_member_keeps_group_messages_for_its_return(broker, paho5, uid):
    topic = f"{uid}/t"
    member_id = client_id_on_shard(f"{uid}-only", 2, SHARDS)
    member = paho5(broker, member_id, properties=session_expiry(300))
    join_group([member], topic)
    member.disconnect()
    settle_routes()
    expected = payloads("k", 30)
    on_shard(paho5, broker, f"{uid}-p", 0).publish_all(topic, expected)
    back = paho5(broker, member_id, clean_start=False, properties=session_expiry(300))
    assert_once_each(collect([back], len(expected)), expected)
