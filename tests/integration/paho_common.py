"""The part of the Paho client wrappers that does not depend on the protocol
level: the network thread, CONNACK and SUBACK/UNSUBACK waits, and the queue
that hands received messages to the test thread.

paho_client.PahoClient (MQTT 3.1.1) and paho5_client.Paho5Client (MQTT 5)
build on QueuedPahoClient; they install Paho's callbacks, which differ by
protocol level, and report through _set_connack, _set_ack and messages.
Auto-reconnect is off so a client that was taken over or dropped stays down.
Every wait is bounded. Owned by the test thread that made it.
"""

from __future__ import annotations

import queue
import socket
import threading
import time

import paho.mqtt.client as mqtt

DEFAULT_TIMEOUT = 10.0


class QueuedPahoClient:
    def __init__(self, host: str, port: int, keepalive: int, client: mqtt.Client):
        self.host, self.port, self.keepalive = host, port, keepalive
        self.client = client
        self.messages: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack: tuple | None = None
        self._acks: dict[int, object] = {}
        self._cond = threading.Condition()

    # -- for the protocol-level subclasses

    def _await_connack(self, timeout: float) -> tuple:
        """Start the network thread after client.connect(); the CONNACK tuple."""
        self.client.loop_start()
        deadline = time.monotonic() + timeout
        while self.connack is None:
            if self.disconnected.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"no CONNACK for {self.client._client_id!r} in {timeout}s")
            self.connected.wait(0.05)
        return self.connack

    def _set_connack(self, connack: tuple) -> None:
        self.connack = connack
        self.connected.set()

    def _set_ack(self, mid: int, value) -> None:
        """Record a SUBACK's or UNSUBACK's result for _await_ack."""
        with self._cond:
            self._acks[mid] = value
            self._cond.notify_all()

    def _await_ack(self, sent: tuple[int, int], what: str, timeout: float):
        """The result _set_ack recorded for the SUBSCRIBE or UNSUBSCRIBE that
        Paho's subscribe() or unsubscribe() returned (rc, mid) for; what names
        it in failures, e.g. "SUBSCRIBE 'a/b'"."""
        rc, mid = sent
        assert rc == mqtt.MQTT_ERR_SUCCESS, f"{what} failed to send: {rc}"
        with self._cond:
            got = self._cond.wait_for(lambda: mid in self._acks, timeout)
            assert got, f"no reply to {what} in {timeout}s"
            return self._acks.pop(mid)

    @staticmethod
    def _await_published(infos: list[mqtt.MQTTMessageInfo], topic: str, timeout: float) -> None:
        """Wait until Paho has completed the QoS handshake of every publish."""
        for info in infos:
            assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish failed: {info.rc}"
        for info in infos:
            info.wait_for_publish(timeout)
            assert info.is_published(), f"publish to {topic!r} not completed in {timeout}s"

    def _disconnect(self, timeout: float, *args) -> None:
        """DISCONNECT (args go to Paho) if still connected; stop the network thread."""
        if self.connected.is_set() and not self.disconnected.is_set():
            self.client.disconnect(*args)
            self.disconnected.wait(timeout)
        self.client.loop_stop()

    # -- for tests

    def expect(self, count: int = 1, timeout: float = DEFAULT_TIMEOUT) -> list:
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
                     max_messages: int = 100_000) -> list:
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

    def expect_none(self, wait: float = 0.5) -> None:
        """No message arrives within wait seconds."""
        try:
            msg = self.messages.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message on {msg.topic!r}: {msg.payload[:40]!r}")

    def drain(self) -> list:
        """Messages already received, without waiting."""
        got = []
        while True:
            try:
                got.append(self.messages.get_nowait())
            except queue.Empty:
                return got

    def drop(self) -> None:
        """Close the socket without DISCONNECT (an abnormal loss)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            # shutdown() sends the FIN even if Paho still holds a reference.
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.disconnected.set()
