"""mosquitto_sub / mosquitto_pub command-line clients as subprocesses.

Every invocation carries -W or a subprocess timeout so none can hang.
MosquittoSub reads its stdout on one reader thread; the test thread waits on
events it sets.
"""

from __future__ import annotations

import subprocess
import threading

DEFAULT_TIMEOUT = 10.0


def _address_args(broker) -> list[str]:
    return ["-h", broker.host, "-p", str(broker.port), "-V", "mqttv311"]


def mosquitto_pub(broker, client_id: str, topic: str, message: str, qos: int = 1,
                  retain: bool = False, timeout: float = DEFAULT_TIMEOUT) -> None:
    argv = ["mosquitto_pub", *_address_args(broker), "-i", client_id, "-t", topic,
            "-m", message, "-q", str(qos)]
    if retain:
        argv.append("-r")
    result = subprocess.run(argv, capture_output=True, timeout=timeout)
    assert result.returncode == 0, f"mosquitto_pub failed: {result.stderr.decode()}"


class MosquittoSub:
    """mosquitto_sub -v -d: prints 'topic payload' per message and debug lines
    that tell us when the SUBACK arrived."""

    def __init__(self, broker, client_id: str, topic: str, qos: int = 1, count: int = 1,
                 wait_seconds: int = 20):
        # stdbuf: mosquitto_sub's stdio would otherwise hold the debug lines
        # in a block buffer until it exits.
        argv = ["stdbuf", "-oL", "mosquitto_sub", *_address_args(broker), "-i", client_id, "-t", topic,
                "-q", str(qos), "-C", str(count), "-W", str(wait_seconds), "-v", "-d"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.subscribed = threading.Event()
        self.messages: list[str] = []
        self.debug: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def wait_subscribed(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        assert self.subscribed.wait(timeout), f"mosquitto_sub not subscribed: {self.debug}"

    def wait_done(self, timeout: float = 25.0) -> list[str]:
        """Wait for exit (after -C messages or -W seconds); returns the
        'topic payload' lines."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._reader.join(5)
        return self.messages

    def _read(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            if line.startswith("Client ") or line.startswith("Subscribed"):
                self.debug.append(line)
                if "received SUBACK" in line:
                    self.subscribed.set()
            else:
                self.messages.append(line)
