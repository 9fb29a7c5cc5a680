"""tools/systemd/ringmq.service: valid for systemd-analyze verify, with what an operator needs.

verify checks that ExecStart's binary exists, so a copy pointing at the
binary under test is verified; the directives themselves are checked on the
file as shipped.
"""

from __future__ import annotations

import configparser
import pathlib
import shutil
import subprocess
import tempfile
import threading

import pytest

import broker_process

UNIT = broker_process.REPO / "tools" / "systemd" / "ringmq.service"
INSTALLED_BINARY = "/usr/local/bin/ringmq"


def service_section() -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(UNIT.read_text())
    return dict(parser["Service"])


def test_unit_passes_systemd_analyze_verify():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text()
    assert INSTALLED_BINARY in text
    with tempfile.TemporaryDirectory(prefix="ringmq-it-unit-") as tmp:
        unit = pathlib.Path(tmp) / "ringmq.service"
        unit.write_text(text.replace(INSTALLED_BINARY, str(broker_process.ringmq_binary())))
        result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, timeout=60)
    # verify exits 0 on many problems (an unknown value is "ignoring"), so any output is a failure.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), (
        result.returncode, result.stdout.decode(), result.stderr.decode())


def test_unit_directives():
    service = service_section()
    assert service["ExecStart"] == f"{INSTALLED_BINARY} --flagfile=/etc/ringmq/ringmq.conf"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert 10 <= int(service["TimeoutStopSec"]) <= 60  # the broker needs ~2 s, plus up to 5 s for its logs
    assert int(service["LimitNOFILE"]) > 100000  # --max_connections' default, plus the broker's own fds
    assert service["User"] == "ringmq" and service["Group"] == "ringmq"


def test_broker_runs_with_a_flagfile_like_the_unit():
    # The unit's only argument is --flagfile: a file of one flag per line starts the broker.
    with tempfile.TemporaryDirectory(prefix="ringmq-it-flagfile-") as tmp:
        conf = pathlib.Path(tmp) / "ringmq.conf"
        conf.write_text("--listen=127.0.0.1:0\n--shards=1\n--metrics_listen=127.0.0.1:0\n")
        proc = subprocess.Popen([str(broker_process.ringmq_binary()), f"--flagfile={conf}"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        watchdog = threading.Timer(15, proc.kill)  # bounds the read below if the broker hangs
        watchdog.start()
        try:
            lines = []
            for raw in proc.stderr:
                lines.append(raw.decode())
                if "running with 1 shards" in lines[-1]:
                    break
            text = "".join(lines)
            assert "listening on 127.0.0.1:" in text and "metrics endpoint http://127.0.0.1:" in text, text
        finally:
            proc.terminate()  # the unit's stop: SIGTERM, exit 0
            assert proc.wait(20) == 0
            watchdog.cancel()
