"""A blocking raw-socket MQTT-over-WebSocket client: RawClient's MQTT helpers, with every send wrapped
in one masked binary frame and every read unwrapped from the server's frames.

It also gives byte-level control over the WebSocket layer itself (the upgrade request, arbitrary
frames, pings, closes), and records the control frames the server sends. Every read is bounded by a
deadline. Owned by the test thread that made it.
"""

from __future__ import annotations

import ssl
import time

import websocket_bytes as wsb
from raw_client import DEFAULT_TIMEOUT, RawClient


class HttpResponse:
    def __init__(self, head: bytes):
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.status = int(lines[0].split(" ")[1])
        self.headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()


class WebSocketClient(RawClient):
    def __init__(self, host: str, port: int, ca_file: str | None = None):
        """ca_file: speak TLS (wss://), verifying the broker's certificate against it."""
        super().__init__(host, port)
        if ca_file is not None:
            context = ssl.create_default_context(cafile=ca_file)
            self.sock = context.wrap_socket(self.sock, server_hostname=host)
        self._wire = bytearray()  # server bytes not yet parsed into frames
        self._data = bytearray()  # binary payload bytes not yet taken by RawClient's reader
        self.controls: list[tuple[int, bytes]] = []  # (opcode, payload) of the server's control frames
        self.close_code: int | None = None

    def upgrade(self, request: bytes | None = None, timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
        """Send the upgrade request (default: a browser-like one for /mqtt offering `mqtt`) and read the
        HTTP response head; bytes after it stay for the frame reader."""
        self.sock.sendall(request if request is not None else wsb.upgrade_request())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._wire:
            chunk = RawClient._recv_some(self, deadline)
            assert chunk, f"connection closed before the HTTP response; got {bytes(self._wire)!r}"
            self._wire += chunk
        end = self._wire.index(b"\r\n\r\n") + 4
        head = bytes(self._wire[:end])
        del self._wire[:end]
        return HttpResponse(head)

    def upgraded(self) -> "WebSocketClient":
        response = self.upgrade()
        assert response.status == 101, response.status_line
        return self

    def send(self, data: bytes) -> None:
        """MQTT bytes, as one masked binary frame."""
        self.sock.sendall(wsb.client_frame(wsb.BINARY, data))

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are: hand-built frames."""
        self.sock.sendall(data)

    def _recv_some(self, deadline: float) -> bytes:
        """The next binary payload bytes; b"" once the server closed (a close frame or the socket)."""
        while not self._data and self.close_code is None:
            if not self._pump(deadline):
                break
        data = bytes(self._data)
        self._data.clear()
        return data

    def _pump(self, deadline: float) -> bool:
        """Sorts the next frames: binary payloads to _data, control frames to .controls (reading the
        socket once when no whole frame is buffered). False when the socket closed."""
        if self._sort_frames():
            return True
        chunk = RawClient._recv_some(self, deadline)
        if not chunk:
            return False
        self._wire += chunk
        self._sort_frames()
        return True

    def _sort_frames(self) -> bool:
        frames, rest = wsb.parse_server_frames(bytes(self._wire))
        self._wire = bytearray(rest)
        for fin, opcode, payload in frames:
            assert fin, "the broker sends each Send as one whole frame"
            if opcode in (wsb.BINARY, wsb.CONTINUATION):
                self._data += payload
            else:
                self.controls.append((opcode, payload))
                if opcode == wsb.CLOSE:
                    self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 0
        return bool(frames)

    def wait_control(self, opcode: int, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """The payload of the next control frame of this opcode (MQTT bytes read meanwhile are kept)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (kind, payload) in enumerate(self.controls):
                if kind == opcode:
                    del self.controls[i]
                    return payload
            if self.close_code is not None:
                raise AssertionError(f"closed (code {self.close_code}) while waiting for opcode {opcode}")
            if not self._pump(deadline):
                raise AssertionError(f"socket closed without a close frame while waiting for opcode {opcode}")

    def wait_socket_closed(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """True once the TCP connection ends (whatever frames come first); False if still open."""
        deadline = time.monotonic() + timeout
        try:
            while RawClient._recv_some(self, deadline):
                pass
            return True
        except TimeoutError:
            return False
