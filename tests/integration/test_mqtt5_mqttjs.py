"""MQTT.js (npm "mqtt", protocolVersion 5) against the broker: property
passthrough, topic aliases both ways, subscription identifiers, session
expiry. Each scenario is a node script in mqttjs/ that exits 0 when its checks
hold; the MQTT.js package is installed by `npm install` in this directory
(tools/test.sh does it)."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCENARIOS = ["properties", "topic_alias", "subscription_ids", "session_expiry"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_mqttjs_scenario(broker, node, uid, scenario):
    script = HERE / "mqttjs" / f"{scenario}.mjs"
    result = subprocess.run([node, str(script), broker.host, str(broker.port), uid], cwd=HERE,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{scenario}.mjs failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert result.stdout.strip().endswith("ok")
