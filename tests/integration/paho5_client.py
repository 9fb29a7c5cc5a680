"""A Paho client in MQTT 5 mode with bounded, event-driven waits.

Like paho_client.PahoClient, but speaking protocol level 5: CONNECT and
PUBLISH properties, subscription options, reason codes. Paho runs its network
loop on its own thread; received messages (with their properties) reach the
test thread through a queue. Owned by the test thread that made it.
"""

from __future__ import annotations

import dataclasses
import queue
import socket
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

DEFAULT_TIMEOUT = 10.0


@dataclasses.dataclass
class Received5:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: object  # paho.mqtt.properties.Properties or None

    def prop(self, name: str, default=None):
        return getattr(self.properties, name, default) if self.properties is not None else default


def props(packet_type: int, **values) -> Properties:
    """Properties(packet_type) with the given Paho attribute names set, e.g.
    props(PacketTypes.PUBLISH, ContentType="text/plain", UserProperty=[("a", "b")])."""
    result = Properties(packet_type)
    for name, value in values.items():
        setattr(result, name, value)
    return result


class Paho5Client:
    def __init__(self, host: str, port: int, client_id: str = "", keepalive: int = 60):
        self.host, self.port, self.keepalive = host, port, keepalive
        self.client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        self.messages: queue.Queue[Received5] = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack: tuple[bool, int, object] | None = None
        self.disconnect_reason: int | None = None
        self._subacks: dict[int, list[int]] = {}
        self._cond = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def will_set(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False,
                 properties: Properties | None = None) -> None:
        self.client.will_set(topic, payload, qos, retain, properties)

    def connect(self, clean_start: bool = True, properties: Properties | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, int, object]:
        """Connect; returns (session present, CONNACK reason code, CONNACK properties)."""
        self.client.connect(self.host, self.port, self.keepalive, clean_start=clean_start,
                            properties=properties)
        self.client.loop_start()
        deadline = time.monotonic() + timeout
        while self.connack is None:
            if self.disconnected.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"no CONNACK for {self.client._client_id!r} in {timeout}s")
            self.connected.wait(0.05)
        return self.connack

    def subscribe(self, topic: str, qos: int = 0, no_local: bool = False,
                  retain_as_published: bool = False, retain_handling: int = 0,
                  subscription_id: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        """Subscribe and return the SUBACK reason codes."""
        options = SubscribeOptions(qos=qos, noLocal=no_local, retainAsPublished=retain_as_published,
                                   retainHandling=retain_handling)
        properties = None
        if subscription_id is not None:
            properties = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=subscription_id)
        rc, mid = self.client.subscribe(topic, options=options, properties=properties)
        assert rc == mqtt.MQTT_ERR_SUCCESS, f"subscribe failed to send: {rc}"
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self._subacks, timeout), f"no SUBACK for {topic!r}"
            return self._subacks.pop(mid)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False,
                properties: Properties | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        info = self.client.publish(topic, payload, qos, retain, properties)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish failed: {info.rc}"
        info.wait_for_publish(timeout)
        assert info.is_published(), f"publish to {topic!r} not completed in {timeout}s"

    def expect(self, count: int = 1, timeout: float = DEFAULT_TIMEOUT) -> list[Received5]:
        deadline = time.monotonic() + timeout
        got = []
        for _ in range(count):
            try:
                got.append(self.messages.get(timeout=max(deadline - time.monotonic(), 0.001)))
            except queue.Empty:
                raise AssertionError(f"got {len(got)} of {count} messages in {timeout}s") from None
        return got

    def expect_none(self, wait: float = 0.5) -> None:
        try:
            msg = self.messages.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message on {msg.topic!r}: {msg.payload[:40]!r}")

    def disconnect(self, reason: int = 0, properties: Properties | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> None:
        if self.connected.is_set() and not self.disconnected.is_set():
            self.client.disconnect(mqtt.ReasonCodes(PacketTypes.DISCONNECT, identifier=reason), properties)
            self.disconnected.wait(timeout)
        self.client.loop_stop()

    def drop(self) -> None:
        """Close the socket without DISCONNECT (an abnormal loss)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.disconnected.set()

    def _on_connect(self, _client, _userdata, flags, reason, properties):
        self.connack = (bool(flags.get("session present")), reason.value, properties)
        self.connected.set()

    def _on_disconnect(self, _client, _userdata, reason, _properties=None):
        self.disconnect_reason = getattr(reason, "value", reason)
        self.disconnected.set()

    def _on_message(self, _client, _userdata, msg):
        self.messages.put(Received5(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain),
                                    getattr(msg, "properties", None)))

    def _on_subscribe(self, _client, _userdata, mid, reasons, _properties):
        with self._cond:
            self._subacks[mid] = [r.value for r in reasons]
            self._cond.notify_all()
