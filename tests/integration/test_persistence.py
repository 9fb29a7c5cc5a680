"""Durable retained messages (--data_dir, --persistence): they survive a graceful restart and a
kill -9, a truncated log starts with what was committed and says what it dropped, and MQTT 5 message
expiry keeps counting across a restart. Every broker runs on an ephemeral loopback port; each wait is
bounded."""

from __future__ import annotations

import os
import pathlib
import signal
import time

import pytest

import broker_process
import mqtt5_bytes as m5
import mqtt_bytes as mb
from mqtt5_fixtures import paho5  # noqa: F401  (fixture)
from paho5_client import props
from raw_client import RawClient
from shards import fnv1a_64

pytestmark = pytest.mark.ringmq_only

SHARDS = 4


def flags(data_dir: pathlib.Path, mode: str = "sync") -> dict:
    return {"data_dir": data_dir, "persistence": mode}


def retained_under(paho, broker, prefix: str, count: int) -> dict[str, bytes]:
    """The retained messages a new subscriber to prefix/# gets: exactly count of them."""
    sub = paho(broker)
    sub.subscribe(f"{prefix}/#", qos=1)
    got = sub.expect(count, timeout=10)
    sub.expect_none(0.5)
    assert all(m.retain for m in got)
    sub.disconnect()
    return {m.topic: m.payload for m in got}


def kill9(broker: broker_process.Broker) -> None:
    assert broker.stop(signal.SIGKILL) == -signal.SIGKILL


def test_retained_set_replaced_cleared_survive_graceful_restart(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path))
    pub = paho(broker)
    for i in range(20):
        pub.publish(f"{uid}/t{i}", f"v1-{i}", qos=1, retain=True)
    pub.publish(f"{uid}/t3", "replaced", qos=1, retain=True)
    pub.publish(f"{uid}/t4", "", qos=1, retain=True)        # cleared
    pub.publish(f"{uid}/t5", "qos0 update", qos=0, retain=True)
    pub.disconnect()
    expected = {f"{uid}/t{i}": f"v1-{i}".encode() for i in range(20)}
    expected[f"{uid}/t3"] = b"replaced"
    expected[f"{uid}/t5"] = b"qos0 update"
    del expected[f"{uid}/t4"]
    time.sleep(0.2)  # the QoS 0 update has no acknowledgement to wait for
    assert retained_under(paho, broker, uid, len(expected)) == expected
    assert broker.stop() == 0

    restarted = start_broker(flags=flags(tmp_path))
    assert restarted.wait_for_log(r"persistence: sync mode in .*, 19 retained messages restored")
    assert retained_under(paho, restarted, uid, len(expected)) == expected


@pytest.mark.parametrize("qos", [1, 2])
def test_sync_acknowledged_retained_survive_kill9(start_broker, paho, uid, tmp_path, qos):
    """Sync mode: once PUBACK (PUBREC) is in, the update is on disk. Topics hash to every shard, so
    both the local and the cross-shard confirmation are exercised."""
    broker = broker_process.start_broker(flags=flags(tmp_path), shards=SHARDS)
    try:
        pub = paho(broker)
        for i in range(40):
            pub.publish(f"{uid}/dev{i}", f"state-{i}", qos=qos, retain=True)
        pub.publish(f"{uid}/dev7", "", qos=qos, retain=True)
        pub.publish(f"{uid}/dev8", "newer", qos=qos, retain=True)
    finally:
        kill9(broker)
    homes = {fnv1a_64(f"{uid}/dev{i}".encode()) % SHARDS for i in range(40)}
    assert len(homes) == SHARDS

    restarted = start_broker(flags=flags(tmp_path), shards=SHARDS)
    expected = {f"{uid}/dev{i}": f"state-{i}".encode() for i in range(40) if i != 7}
    expected[f"{uid}/dev8"] = b"newer"
    assert retained_under(paho, restarted, uid, len(expected)) == expected


def test_async_mode_saves_within_flush_interval(start_broker, paho, uid, tmp_path):
    broker = broker_process.start_broker(flags={**flags(tmp_path, "async"), "persistence_flush_ms": 50},
                                         shards=SHARDS)
    try:
        pub = paho(broker)
        for i in range(10):
            pub.publish(f"{uid}/a{i}", f"async-{i}", qos=1, retain=True)
        time.sleep(0.5)  # ten flush intervals
    finally:
        kill9(broker)
    restarted = start_broker(flags=flags(tmp_path, "async"), shards=SHARDS)
    assert retained_under(paho, restarted, uid, 10) == {f"{uid}/a{i}": f"async-{i}".encode() for i in range(10)}


def test_persistence_off_keeps_nothing(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path, "off"))
    paho(broker).publish(f"{uid}/x", "gone", qos=1, retain=True)
    assert broker.stop() == 0
    assert not any(tmp_path.iterdir())
    restarted = start_broker(flags=flags(tmp_path))
    sub = paho(restarted)
    sub.subscribe(f"{uid}/#", qos=1)
    sub.expect_none(0.5)


def test_shard_count_change_keeps_every_message(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path), shards=4)
    pub = paho(broker)
    for i in range(30):
        pub.publish(f"{uid}/m{i}", f"m-{i}", qos=1, retain=True)
    assert broker.stop() == 0
    expected = {f"{uid}/m{i}": f"m-{i}".encode() for i in range(30)}
    fewer = start_broker(flags=flags(tmp_path), shards=2)
    assert fewer.wait_for_log(r"persistence: moved \d+ records to their home shard's log \(2 shards now\)")
    assert retained_under(paho, fewer, uid, 30) == expected
    assert fewer.stop() == 0
    assert sorted(p.name for p in tmp_path.glob("shard-*")) == ["shard-0.log", "shard-1.log"]
    again = start_broker(flags=flags(tmp_path), shards=3)
    assert retained_under(paho, again, uid, 30) == expected


def test_truncated_log_starts_with_what_was_committed(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path))
    pub = paho(broker)
    topics = [f"{uid}/c{i}" for i in range(12)]
    for topic in topics:
        pub.publish(topic, f"first {topic}", qos=1, retain=True)
    last = topics[5]
    pub.publish(last, "the last update, torn by the crash", qos=1, retain=True)
    assert broker.stop() == 0
    log = tmp_path / f"shard-{fnv1a_64(last.encode()) % SHARDS}.log"
    os.truncate(log, log.stat().st_size - 5)  # a torn last record, as a crash mid-write leaves

    restarted = start_broker(flags=flags(tmp_path))
    assert restarted.wait_for_log(rf"persistence: .*{log.name}: dropped an invalid tail of \d+ bytes \(truncated record")
    expected = {topic: f"first {topic}".encode() for topic in topics}  # the torn update is gone, not the topic
    assert retained_under(paho, restarted, uid, len(topics)) == expected
    # The log was cut back to its last valid record: new updates after it survive the next restart.
    paho(restarted).publish(last, "after recovery", qos=1, retain=True)
    assert restarted.stop() == 0
    again = start_broker(flags=flags(tmp_path))
    expected[last] = b"after recovery"
    assert retained_under(paho, again, uid, len(topics)) == expected
    assert "dropped an invalid tail" not in again.log


def test_corrupt_log_record_is_dropped_never_a_crash(start_broker, paho, uid, tmp_path):
    broker = start_broker(flags=flags(tmp_path), shards=1)
    pub = paho(broker)
    for i in range(5):
        pub.publish(f"{uid}/k{i}", "x" * 100, qos=1, retain=True)
    assert broker.stop() == 0
    log = tmp_path / "shard-0.log"
    data = bytearray(log.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte inside the third record
    log.write_bytes(bytes(data))
    restarted = start_broker(flags=flags(tmp_path), shards=1)
    assert restarted.wait_for_log(r"dropped an invalid tail of \d+ bytes \(checksum mismatch")
    sub = paho(restarted)
    sub.subscribe(f"{uid}/#", qos=1)
    got = sub.expect(2, timeout=5)  # the records before the corrupt one
    sub.expect_none(0.5)
    assert {m.topic for m in got} == {f"{uid}/k0", f"{uid}/k1"}


@pytest.mark.parametrize("stop", ["graceful", "kill9"])
def test_message_expiry_keeps_counting_across_restart(start_broker, paho5, uid, tmp_path, stop):
    broker = broker_process.start_broker(flags=flags(tmp_path))
    try:
        pub = paho5(broker)
        published = time.monotonic()
        pub.publish(f"{uid}/short", "expires soon", qos=1, retain=True,
                    properties=props(3, MessageExpiryInterval=4))
        pub.publish(f"{uid}/long", "expires later", qos=1, retain=True,
                    properties=props(3, MessageExpiryInterval=3600))
        time.sleep(1.5)
    finally:
        if stop == "kill9":
            kill9(broker)
        else:
            assert broker.stop() == 0

    restarted = start_broker(flags=flags(tmp_path))
    sub = paho5(restarted)
    sub.subscribe(f"{uid}/#", qos=1)
    got = {m.topic: m for m in sub.expect(2, timeout=5)}
    assert got[f"{uid}/short"].prop("MessageExpiryInterval") <= 3  # 4 s minus the 1.5 s before the stop
    assert 3500 < got[f"{uid}/long"].prop("MessageExpiryInterval") <= 3600
    time.sleep(max(0.0, published + 4.5 - time.monotonic()))
    late = paho5(restarted)
    late.subscribe(f"{uid}/#", qos=1)
    assert [m.topic for m in late.expect(1, timeout=5)] == [f"{uid}/long"]
    late.expect_none(0.5)


def test_bad_persistence_flags_are_refused(tmp_path):
    for bad in ({"persistence": "maybe"}, {"persistence_flush_ms": 0}):
        with pytest.raises(broker_process.BrokerStartError):
            broker_process.start_broker(flags={"data_dir": tmp_path, **bad})
    (tmp_path / "shard-0.log").write_text("not a ringmq log")
    with pytest.raises(broker_process.BrokerStartError):
        broker_process.start_broker(flags={"data_dir": tmp_path})


def test_graceful_stop_saves_updates_still_queued_between_shards(start_broker, raw, uid, tmp_path):
    """A publisher pipelines retained QoS 0 updates for topics homed on every shard; one QoS 1 round
    trip proves its shard has read them all, then the broker stops at once. The updates still
    queued for their home shards must be saved too. (Without that save, this lost updates in about
    one run of three: whether any are still queued at the stop is up to timing.)"""
    count = 60_000
    broker = start_broker(flags=flags(tmp_path), shards=SHARDS)
    pub = raw(broker, f"{uid}-pub")
    stream = b"".join(mb.publish(f"{uid}/q{i}", b"p" * 16, retain=True) for i in range(count))
    pub.send(stream)
    pub.publish_qos1(f"{uid}/barrier", b"b", retain=True)
    assert broker.stop() == 0
    restarted = start_broker(flags=flags(tmp_path), shards=SHARDS)
    assert restarted.wait_for_log(rf"sync mode in .*, {count + 1} retained messages restored"), restarted.log[-2000:]


def test_second_broker_on_the_same_data_dir_is_refused(start_broker, tmp_path):
    first = start_broker(flags=flags(tmp_path))
    with pytest.raises(broker_process.BrokerStartError, match="in use by another broker"):
        broker_process.start_broker(flags=flags(tmp_path))
    assert first.stop() == 0
    second = start_broker(flags=flags(tmp_path))  # the lock went with the first broker
    assert second.wait_for_log(r"persistence: sync mode in")


def test_pubacks_keep_publish_order_behind_a_durable_gate(start_broker, raw, uid, tmp_path):
    """--persistence sync holds a retained QoS 1 PUBLISH's PUBACK until the update is on disk. The
    PUBACKs of the PUBLISHes after it, a refused one (ACL: 3.1.1 gets a plain PUBACK) among them, wait
    behind it: MQTT requires PUBACKs in the order the PUBLISHes came."""
    acl = tmp_path / "acl"
    acl.write_text(f"topic readwrite {uid}/ok/#\n")
    broker = start_broker(flags={**flags(tmp_path / "data"), "acl_file": acl}, shards=SHARDS)
    client = raw(broker, f"{uid}-pub")
    for round_ in range(5):  # each round: a fresh durable gate, then a refused and a plain PUBLISH
        base = round_ * 4 + 1
        client.send(mb.publish(f"{uid}/ok/r{round_}", b"retained", qos=1, packet_id=base, retain=True) +
                    mb.publish(f"{uid}/denied", b"no", qos=1, packet_id=base + 1) +
                    mb.publish(f"{uid}/ok/plain", b"plain", qos=1, packet_id=base + 2) +
                    mb.publish(f"{uid}/denied", b"no", qos=1, packet_id=base + 3, retain=True))
        acked = [client.expect(mb.PUBACK).packet_id() for _ in range(4)]
        assert acked == [base, base + 1, base + 2, base + 3], f"round {round_}: PUBACKs in order {acked}"


def test_mqtt5_error_acks_wait_behind_a_durable_gate(start_broker, uid, tmp_path):
    """The same for MQTT 5, where the refusal carries its reason (PUBACK/PUBREC 0x87), and for QoS 2:
    the PUBRECs of refused and accepted PUBLISHes keep their order behind a retained one."""
    acl = tmp_path / "acl"
    acl.write_text(f"topic readwrite {uid}/ok/#\n")
    broker = start_broker(flags={**flags(tmp_path / "data"), "acl_file": acl}, shards=SHARDS)
    client = RawClient(broker.host, broker.port)
    try:
        client.send(m5.connect(f"{uid}-v5"))
        client.expect(mb.CONNACK)
        for qos, ack_kind in ((1, mb.PUBACK), (2, mb.PUBREC)):
            base = qos * 10
            client.send(m5.publish(f"{uid}/ok/gate{qos}", b"retained", qos=qos, packet_id=base, retain=True) +
                        m5.publish(f"{uid}/denied", b"no", qos=qos, packet_id=base + 1) +
                        m5.publish(f"{uid}/ok/plain", b"plain", qos=qos, packet_id=base + 2))
            acks = [client.expect(ack_kind) for _ in range(3)]
            got = [(ack.packet_id(), m5.parse_reason(ack, offset=2)[0]) for ack in acks]
            assert got == [(base, 0), (base + 1, 0x87), (base + 2, 0)], f"QoS {qos}: acks {got}"
            if qos == 2:  # complete the accepted flows
                for packet_id in (base, base + 2):
                    client.send(m5.ack(mb.PUBREL, packet_id))
                    assert client.expect(mb.PUBCOMP).packet_id() == packet_id
    finally:
        client.close()
