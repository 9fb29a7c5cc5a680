"""pytest fixtures for the integration suite: broker processes and clients.

Brokers are started on ephemeral ports; on teardown each gets SIGTERM and
must exit 0 within 10 s with no sanitizer report on stderr. Tests marked
ringmq_only are skipped when RINGMQ_TEST_BROKER=mosquitto.
"""

from __future__ import annotations

import itertools
import os
import pathlib
import shutil
import subprocess
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import broker_process  # noqa: E402
from paho_client import PahoClient  # noqa: E402
from raw_client import RawClient  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "ringmq_only: relies on behaviour specific to ringmq")


def pytest_collection_modifyitems(config, items):
    if broker_process.broker_kind() != "mosquitto":
        return
    skip = pytest.mark.skip(reason="ringmq-only behaviour (RINGMQ_TEST_BROKER=mosquitto)")
    for item in items:
        if "ringmq_only" in item.keywords:
            item.add_marker(skip)


def assert_clean_stop(broker: broker_process.Broker) -> None:
    returncode = broker.stop()
    assert returncode == 0, (f"{broker.kind} exit status {returncode} after SIGTERM "
                             f"(None = still running after 10 s); stderr tail:\n{broker.log[-4000:]}")
    reports = broker.sanitizer_reports()
    assert not reports, f"sanitizer reports in broker stderr: {reports[:10]}"


def _start(**kwargs) -> broker_process.Broker:
    try:
        return broker_process.start_broker(**kwargs)
    except broker_process.BrokerStartError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture(scope="module")
def broker(request):
    """One broker (4 shards) shared by the tests of a module; a module may set
    BROKER_FLAGS = {"max_packet_size": 4096, ...} to configure it."""
    started = _start(flags=getattr(request.module, "BROKER_FLAGS", None))
    yield started
    assert_clean_stop(started)


@pytest.fixture
def start_broker():
    """Factory for brokers with specific flags; all are stopped and checked
    at the end of the test."""
    started = []

    def start(flags=None, listen=None, shards=4, log_level="info"):
        instance = _start(flags=flags, listen=listen, shards=shards, log_level=log_level)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        assert_clean_stop(instance)


@pytest.fixture
def uid(request) -> str:
    """A short unique token for topic and client id prefixes."""
    return f"{request.node.name[:24]}-{uuid.uuid4().hex[:8]}".replace("[", "-").replace("]", "")


@pytest.fixture
def paho():
    """Factory: paho(broker, client_id='', **options) -> connected PahoClient."""
    made: list[PahoClient] = []
    counter = itertools.count()

    def make(broker, client_id: str | None = None, expect_rc: int = 0, **options) -> PahoClient:
        if client_id is None:
            client_id = f"paho-{uuid.uuid4().hex[:10]}-{next(counter)}"
        client = PahoClient(broker.host, broker.port, client_id, **options)
        made.append(client)
        _, rc = client.connect()
        assert rc == expect_rc, f"CONNACK rc {rc} for {client_id!r}, expected {expect_rc}"
        return client

    yield make
    for client in made:
        client.disconnect(timeout=2)


@pytest.fixture
def raw():
    """Factory: raw(broker) -> RawClient; raw(broker, client_id, ...) also
    sends CONNECT and requires CONNACK 0 (and, given expect_present, that
    session-present flag)."""
    made: list[RawClient] = []

    def make(broker, client_id: str | None = None, host: str | None = None,
             port: int | None = None, rcvbuf: int | None = None, expect_present: bool | None = None,
             **connect_args) -> RawClient:
        client = RawClient(host or broker.host, port or broker.port, rcvbuf=rcvbuf)
        made.append(client)
        if client_id is not None:
            present, rc = client.connect(client_id, **connect_args).connack()
            assert rc == 0, f"CONNACK {(present, rc)} for {client_id!r}"
            if expect_present is not None:
                assert present == expect_present, f"session present {present} for {client_id!r}"
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with MQTT.js (npm "mqtt") installed in this directory's node_modules (by
    `npm install` here when missing; tools/test.sh does it too)."""
    node_bin = shutil.which("node")
    if node_bin is None:
        pytest.fail("node is not installed (tools/install-deps.sh --test installs it)", pytrace=False)
    here = pathlib.Path(__file__).resolve().parent
    if not (here / "node_modules" / "mqtt").is_dir():
        result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=here,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.fail(f"npm install failed:\n{result.stderr[-2000:]}", pytrace=False)
    return node_bin
