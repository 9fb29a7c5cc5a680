"""A Paho client in MQTT 5 mode with bounded, event-driven waits.

Like paho_client.PahoClient (both build on paho_common.QueuedPahoClient, which
gives expect, expect_until, expect_none, drain and drop), but speaking
protocol level 5: CONNECT and PUBLISH properties, subscription options and
identifiers, reason codes. Paho runs its network loop on its own thread;
received messages (with their properties) reach the test thread through a
queue. Owned by the test thread that made it.
"""

from __future__ import annotations

import dataclasses

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from paho_common import DEFAULT_TIMEOUT, QueuedPahoClient


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


class Paho5Client(QueuedPahoClient):
    def __init__(self, host: str, port: int, client_id: str = "", keepalive: int = 60,
                 username: str | None = None, password: str | None = None):
        super().__init__(host, port, keepalive,
                         mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5, reconnect_on_failure=False))
        if username is not None:
            self.client.username_pw_set(username, password)
        self.disconnect_reason: int | None = None
        # The SubscriptionIdentifier values of each received message, in arrival
        # order (kept apart from the queue, so they survive drain()).
        self.subscription_ids: list[list[int]] = []
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe

    def will_set(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False,
                 properties: Properties | None = None) -> None:
        self.client.will_set(topic, payload, qos, retain, properties)

    def connect(self, clean_start: bool = True, properties: Properties | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, int, object]:
        """Connect; returns (session present, CONNACK reason code, CONNACK properties)."""
        self.client.connect(self.host, self.port, self.keepalive, clean_start=clean_start,
                            properties=properties)
        return self._await_connack(timeout)

    def subscribe(self, topic: str, qos: int = 0, no_local: bool = False,
                  retain_as_published: bool = False, retain_handling: int = 0,
                  subscription_id: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        """Subscribe and return the SUBACK reason codes."""
        options = SubscribeOptions(qos=qos, noLocal=no_local, retainAsPublished=retain_as_published,
                                   retainHandling=retain_handling)
        properties = None
        if subscription_id is not None:
            properties = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=subscription_id)
        return self._await_ack(self.client.subscribe(topic, options=options, properties=properties),
                               f"SUBSCRIBE {topic!r}", timeout)

    def unsubscribe(self, topic: str, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        """Unsubscribe and return the UNSUBACK reason codes."""
        return self._await_ack(self.client.unsubscribe(topic), f"UNSUBSCRIBE {topic!r}", timeout)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False,
                properties: Properties | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Publish and wait until Paho has completed the QoS handshake."""
        self._await_published([self.client.publish(topic, payload, qos, retain, properties)],
                              topic, timeout)

    def publish_all(self, topic: str, payloads: list[str | bytes], qos: int = 1, retain: bool = False,
                    timeout: float = DEFAULT_TIMEOUT) -> None:
        """Publish every payload without waiting in between, then wait until
        Paho has completed each one's QoS handshake."""
        self._await_published([self.client.publish(topic, p, qos, retain) for p in payloads],
                              topic, timeout)

    def disconnect(self, reason: int = 0, properties: Properties | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> None:
        self._disconnect(timeout, mqtt.ReasonCodes(PacketTypes.DISCONNECT, identifier=reason), properties)

    def _on_connect(self, _client, _userdata, flags, reason, properties):
        self._set_connack((bool(flags.get("session present")), reason.value, properties))

    def _on_disconnect(self, _client, _userdata, reason, _properties=None):
        self.disconnect_reason = getattr(reason, "value", reason)
        self.disconnected.set()

    def _on_message(self, _client, _userdata, msg):
        properties = getattr(msg, "properties", None)
        self.subscription_ids.append(list(getattr(properties, "SubscriptionIdentifier", None) or []))
        self.messages.put(Received5(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain), properties))

    def _on_subscribe(self, _client, _userdata, mid, reasons, _properties):
        self._set_ack(mid, [r.value for r in reasons])

    def _on_unsubscribe(self, _client, _userdata, mid, _properties, reasons):
        # Paho 1.x passes a single ReasonCodes, not a list, for one topic.
        self._set_ack(mid, [r.value for r in (reasons if isinstance(reasons, list) else [reasons])])
