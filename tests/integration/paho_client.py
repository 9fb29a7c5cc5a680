"""A Paho (MQTT 3.1.1) client wrapper with bounded, event-driven waits.

Paho runs its network loop on its own thread (loop_start); received
messages and acks are handed to the test thread through a queue and events
(paho_common.QueuedPahoClient, which also gives expect, expect_until,
expect_none, drain and drop). Auto-reconnect is off so a client that was
taken over or dropped stays down.
"""

from __future__ import annotations

import dataclasses

import paho.mqtt.client as mqtt

from paho_common import DEFAULT_TIMEOUT, QueuedPahoClient


@dataclasses.dataclass
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class PahoClient(QueuedPahoClient):
    def __init__(self, host: str, port: int, client_id: str = "", clean_session: bool = True,
                 keepalive: int = 60, will: tuple[str, bytes, int, bool] | None = None,
                 username: str | None = None, password: str | None = None, websocket_path: str | None = None):
        """websocket_path: connect over WebSocket (Paho's "websockets" transport) to that path."""
        super().__init__(host, port, keepalive,
                         mqtt.Client(client_id=client_id, clean_session=clean_session,
                                     protocol=mqtt.MQTTv311, reconnect_on_failure=False,
                                     transport="websockets" if websocket_path else "tcp"))
        if websocket_path:
            self.client.ws_set_options(path=websocket_path)
        if username is not None:
            self.client.username_pw_set(username, password)
        if will is not None:
            topic, payload, qos, retain = will
            self.client.will_set(topic, payload, qos, retain)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe

    def connect(self, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, int]:
        """Connect and return (session present, CONNACK return code)."""
        self.client.connect(self.host, self.port, self.keepalive)
        return self._await_connack(timeout)

    def subscribe(self, topic: str, qos: int = 0, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        """Subscribe and return the granted QoS list from SUBACK."""
        return self._await_ack(self.client.subscribe(topic, qos), f"SUBSCRIBE {topic!r}", timeout)

    def unsubscribe(self, topic: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Unsubscribe and wait for the UNSUBACK."""
        self._await_ack(self.client.unsubscribe(topic), f"UNSUBSCRIBE {topic!r}", timeout)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False,
                timeout: float = DEFAULT_TIMEOUT) -> None:
        """Publish and wait until Paho has completed the QoS handshake."""
        self._await_published([self.client.publish(topic, payload, qos, retain)], topic, timeout)

    def publish_nowait(self, topic: str, payload: bytes | str, qos: int = 0,
                       retain: bool = False) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos, retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish failed: {info.rc}"
        return info

    def disconnect(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Clean DISCONNECT and stop the network thread."""
        self._disconnect(timeout)

    def _on_connect(self, _client, _userdata, flags, rc):
        self._set_connack((bool(flags.get("session present")), rc))

    def _on_disconnect(self, _client, _userdata, _rc):
        self.disconnected.set()

    def _on_message(self, _client, _userdata, msg):
        self.messages.put(Received(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain)))

    def _on_subscribe(self, _client, _userdata, mid, granted_qos):
        self._set_ack(mid, list(granted_qos))

    def _on_unsubscribe(self, _client, _userdata, mid):
        self._set_ack(mid, None)
