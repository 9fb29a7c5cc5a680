"""Starting, observing and stopping the broker under test as a child process.

The broker is ringmq (path from $RINGMQ_BIN, default <repo>/build/net/ringmq)
or, with $RINGMQ_TEST_BROKER=mosquitto, Debian's mosquitto configured to the
same limits. A Broker is owned by the test thread that started it; its stderr
is drained by one reader thread so the broker never blocks on a full pipe.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SANITIZER_MARKERS = ("ASAN", "AddressSanitizer", "LeakSanitizer", "runtime error")
LISTENING_RE = re.compile(r"listening on (\[[0-9a-fA-F:]+\]|[0-9.]+):(\d+)")

# ringmq flag -> mosquitto global config option.
MOSQUITTO_GLOBAL_OPTIONS = {
    "max_packet_size": "max_packet_size",
    "max_inflight": "max_inflight_messages",
    "max_queued_messages": "max_queued_messages",
    "max_queued_bytes": "max_queued_bytes",
    "sys_interval": "sys_interval",
}
MOSQUITTO_LISTENER_OPTIONS = {"max_connections": "max_connections"}


def broker_kind() -> str:
    return "mosquitto" if os.environ.get("RINGMQ_TEST_BROKER") == "mosquitto" else "ringmq"


def ringmq_binary() -> pathlib.Path:
    return pathlib.Path(os.environ.get("RINGMQ_BIN", REPO / "build" / "net" / "ringmq"))


class BrokerStartError(RuntimeError):
    pass


class Broker:
    """A running broker: listeners, pid and its accumulated stderr."""

    def __init__(self, kind: str, argv: list[str], shards: int, requested_hosts: list[str],
                 tmpdir: tempfile.TemporaryDirectory | None = None,
                 known_listeners: list[tuple[str, int]] | None = None):
        self.kind = kind
        self.shards = shards
        self._tmpdir = tmpdir
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._reader.start()
        self.listeners = known_listeners or []
        self._await_ready(requested_hosts)
        self.stopped_returncode: int | None = None

    @property
    def is_ringmq(self) -> bool:
        return self.kind == "ringmq"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def host(self) -> str:
        return self.listeners[0][0]

    @property
    def port(self) -> int:
        return self.listeners[0][1]

    @property
    def log(self) -> str:
        with self._cond:
            return "".join(self._lines)

    def log_line_count(self) -> int:
        with self._cond:
            return len(self._lines)

    def wait_for_log(self, pattern: str, timeout: float = 10.0,
                     from_line: int = 0) -> re.Match | None:
        """First match of pattern in a stderr line at index >= from_line."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self._lines[from_line:]:
                    match = regex.search(line)
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.proc.poll() is not None and not self._reader.is_alive():
                    return None
                self._cond.wait(min(remaining, 0.2))

    def wait_for_log_count(self, pattern: str, want: int, timeout: float = 10.0,
                           from_line: int = 0) -> int:
        """Lines matching pattern at index >= from_line, once want of them are there (or timeout).
        A client's CONNACK can reach it before the broker's log line about it does, so tests
        that count lines must wait for them."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                count = sum(1 for line in self._lines[from_line:] if regex.search(line))
                remaining = deadline - time.monotonic()
                if count >= want or remaining <= 0 or \
                        self.proc.poll() is not None and not self._reader.is_alive():
                    return count
                self._cond.wait(min(remaining, 0.2))

    def announced_listeners(self) -> list[str]:
        """Every 'HOST:PORT' the broker has logged as listening on."""
        return [f"{m.group(1)}:{m.group(2)}" for m in LISTENING_RE.finditer(self.log)]

    def rss_kib(self) -> int:
        status = pathlib.Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        assert match, "no VmRSS in /proc status"
        return int(match.group(1))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """Signal the broker and return its exit status, or None if it did not
        exit in time (it is then killed so nothing leaks)."""
        if self.stopped_returncode is not None:
            return self.stopped_returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.stopped_returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            self.stopped_returncode = None
        self._reader.join(5)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
        return self.stopped_returncode

    def sanitizer_reports(self) -> list[str]:
        return [line for line in self.log.splitlines()
                if any(marker in line for marker in SANITIZER_MARKERS)]

    def _drain_stderr(self) -> None:
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", errors="replace")
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _await_ready(self, requested_hosts: list[str]) -> None:
        """Wait for one 'listening on HOST:PORT' line per requested listener;
        lines for addresses we did not ask for are not ours to use."""
        if self.listeners:
            self._await_connectable()
            return
        deadline = time.monotonic() + START_TIMEOUT
        wanted = list(requested_hosts)
        found: list[tuple[str, int]] = []
        seen = 0
        while wanted:
            match = self.wait_for_log(LISTENING_RE.pattern, deadline - time.monotonic(), seen)
            if match is None:
                self._fail_start(f"no 'listening on' line for {wanted} within {START_TIMEOUT}s")
            seen = self._line_index_of(match) + 1
            host = match.group(1).strip("[]")
            if host in wanted:
                wanted.remove(host)
                found.append((host, int(match.group(2))))
        self.listeners = found

    def _line_index_of(self, match: re.Match) -> int:
        with self._cond:
            return next(i for i, line in enumerate(self._lines) if line is match.string)

    def _await_connectable(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        for host, port in self.listeners:
            while True:
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    break
                except OSError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        self._fail_start(f"{host}:{port} not accepting within {START_TIMEOUT}s")
                    time.sleep(0.05)

    def _fail_start(self, why: str) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        raise BrokerStartError(f"{why}; exit status {self.proc.returncode}; stderr:\n{self.log}")


def start_broker(flags: dict[str, object] | None = None, listen: list[str] | None = None,
                 shards: int = 4, log_level: str = "info") -> Broker:
    """Start the broker under test. listen entries are 'HOST:0' or '[::1]:0'."""
    flags = dict(flags or {})
    listen = listen or ["127.0.0.1:0"]
    if broker_kind() == "mosquitto":
        return _start_mosquitto(flags, listen, shards)
    binary = ringmq_binary()
    if not binary.exists():
        raise BrokerStartError(f"ringmq binary not found at {binary} (set RINGMQ_BIN, "
                               "or RINGMQ_TEST_BROKER=mosquitto)")
    argv = [str(binary)]
    for address in listen:
        argv += ["--listen", address]
    argv += ["--shards", str(shards), "--log_level", log_level]
    for name, value in flags.items():
        argv += [f"--{name}", str(value)]
    return Broker("ringmq", argv, shards, [_host_of(address) for address in listen])


def _host_of(address: str) -> str:
    """'127.0.0.1:0' -> '127.0.0.1', '[::1]:0' -> '::1', and listener URLs
    ('mqtt://127.0.0.1:0?proxy_protocol=1', 'ws://[::1]:0/mqtt') likewise."""
    rest = address.split("://", 1)[-1].split("?", 1)[0].split("/", 1)[0]
    return rest.rsplit(":", 1)[0].strip("[]")


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _start_mosquitto(flags: dict[str, object], listen: list[str], shards: int) -> Broker:
    tmpdir = tempfile.TemporaryDirectory(prefix="ringmq-it-mosquitto-")
    listeners = []
    lines = ["allow_anonymous true", "persistence false", "log_dest stderr",
             "log_type error", "log_type warning", "log_type notice", "log_type information",
             "user root"]
    for name, value in flags.items():
        if name in MOSQUITTO_GLOBAL_OPTIONS:
            lines.append(f"{MOSQUITTO_GLOBAL_OPTIONS[name]} {value}")
    for address in listen:
        host = _host_of(address)
        port = _free_port(host)
        listeners.append((host, port))
        lines.append(f"listener {port} {host}")
        for name, value in flags.items():
            if name in MOSQUITTO_LISTENER_OPTIONS:
                lines.append(f"{MOSQUITTO_LISTENER_OPTIONS[name]} {value}")
    config = pathlib.Path(tmpdir.name) / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    return Broker("mosquitto", ["/usr/sbin/mosquitto", "-c", str(config)], shards,
                  [_host_of(address) for address in listen],
                  tmpdir=tmpdir, known_listeners=listeners)
