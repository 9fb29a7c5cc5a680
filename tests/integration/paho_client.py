"""A Paho (MQTT 3.1.1) client wrapper with bounded, event-driven waits.

Paho runs its network loop on its own thread (loop_start); received
messages and acks are handed to the test thread through a queue and events.
Auto-reconnect is off so a client that was taken over or dropped stays down.
"""

from __future__ import annotations

import dataclasses
import queue
import socket
import threading
import time

import paho.mqtt.client as mqtt

DEFAULT_TIMEOUT = 10.0


@dataclasses.dataclass
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class PahoClient:
    def __init__(self, host: str, port: int, client_id: str = "", clean_session: bool = True,
                 keepalive: int = 60, will: tuple[str, bytes, int, bool] | None = None):
        self.host, self.port, self.keepalive = host, port, keepalive
        self.client = mqtt.Client(client_id=client_id, clean_session=clean_session,
                                  protocol=mqtt.MQTTv311, reconnect_on_failure=False)
        if will is not None:
            topic, payload, qos, retain = will
            self.client.will_set(topic, payload, qos, retain)
        self.messages: queue.Queue[Received] = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack: tuple[bool, int] | None = None
        self._subacks: dict[int, list[int]] = {}
        self._suback_cond = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def connect(self, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, int]:
        """Connect and return (session present, CONNACK return code)."""
        self.client.connect(self.host, self.port, self.keepalive)
        self.client.loop_start()
        deadline = time.monotonic() + timeout
        while self.connack is None:
            if self.disconnected.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"no CONNACK for {self.client._client_id!r} in {timeout}s")
            self.connected.wait(0.05)
        return self.connack

    def subscribe(self, topic: str, qos: int = 0, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        """Subscribe and return the granted QoS list from SUBACK."""
        rc, mid = self.client.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS, f"subscribe failed to send: {rc}"
        with self._suback_cond:
            got = self._suback_cond.wait_for(lambda: mid in self._subacks, timeout)
            assert got, f"no SUBACK for {topic!r} in {timeout}s"
            return self._subacks.pop(mid)

    def unsubscribe(self, topic: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        done = threading.Event()
        self.client.on_unsubscribe = lambda *_: done.set()
        rc, _ = self.client.unsubscribe(topic)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        assert done.wait(timeout), f"no UNSUBACK for {topic!r}"

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False,
                timeout: float = DEFAULT_TIMEOUT) -> None:
        """Publish and wait until Paho has completed the QoS handshake."""
        info = self.client.publish(topic, payload, qos, retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish failed: {info.rc}"
        info.wait_for_publish(timeout)
        assert info.is_published(), f"publish to {topic!r} not completed in {timeout}s"

    def publish_nowait(self, topic: str, payload: bytes | str, qos: int = 0,
                       retain: bool = False) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos, retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish failed: {info.rc}"
        return info

    def expect(self, count: int = 1, timeout: float = DEFAULT_TIMEOUT) -> list[Received]:
        """Exactly the next count messages, in arrival order."""
        deadline = time.monotonic() + timeout
        got = []
        for _ in range(count):
            remaining = deadline - time.monotonic()
            try:
                got.append(self.messages.get(timeout=max(remaining, 0.001)))
            except queue.Empty:
                raise AssertionError(
                    f"got {len(got)} of {count} messages in {timeout}s: {got[:5]}") from None
        return got

    def expect_until(self, topic: str, timeout: float = DEFAULT_TIMEOUT,
                     max_messages: int = 100_000) -> list[Received]:
        """All messages up to and including the first one on topic."""
        deadline = time.monotonic() + timeout
        got = []
        for _ in range(max_messages):
            remaining = deadline - time.monotonic()
            try:
                msg = self.messages.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                raise AssertionError(f"no message on {topic!r} in {timeout}s; got {got[:5]}") from None
            got.append(msg)
            if msg.topic == topic:
                return got
        raise AssertionError(f"more than {max_messages} messages before {topic!r}")

    def drain(self) -> list[Received]:
        """Messages already received, without waiting."""
        got = []
        while True:
            try:
                got.append(self.messages.get_nowait())
            except queue.Empty:
                return got

    def disconnect(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Clean DISCONNECT and stop the network thread."""
        if self.connected.is_set() and not self.disconnected.is_set():
            self.client.disconnect()
            self.disconnected.wait(timeout)
        self.client.loop_stop()

    def drop(self) -> None:
        """Close the socket without DISCONNECT (an abnormal loss)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            # shutdown() sends the FIN even if Paho still holds a reference.
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.disconnected.set()

    def _on_connect(self, _client, _userdata, flags, rc):
        self.connack = (bool(flags.get("session present")), rc)
        self.connected.set()

    def _on_disconnect(self, _client, _userdata, _rc):
        self.disconnected.set()

    def _on_message(self, _client, _userdata, msg):
        self.messages.put(Received(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain)))

    def _on_subscribe(self, _client, _userdata, mid, granted_qos):
        with self._suback_cond:
            self._subacks[mid] = list(granted_qos)
            self._suback_cond.notify_all()
