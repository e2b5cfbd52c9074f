"""The rendered pods' commands and environments run the real services against the local AWS endpoint.

The kubelet's part is played here: the container's command and env from the chart, the downward-API
POD_NAME, and the endpoint's AWS_* variables in place of IRSA credentials. The metrics server is kept on
loopback (the chart's 0.0.0.0 is for a pod network).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.deploy.conftest import Rendered
from tests.deploy.test_chart import container, env_of
from tslake import names
from tslake.generator.replica import sensor_ids
from tslake.local.process import EndpointProcess
from tslake.run.counts import read_stream
from tslake.schema import parse_reading

RECORDS = 300
REPLICA = 7  # sensors 700-799: no other test writes these to the shared input stream


def run_pod(obj: dict[str, Any], pod_name: str, endpoint: EndpointProcess, extra: dict[str, str]) -> str:
    """Run the container's command (`tslake ...` as `python -m tslake.cli ...`); returns its stderr."""
    command = container(obj)["command"]
    assert command[0] == "tslake", command
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TSLAKE_", "AWS_", "POD_NAME"))}
    env = {**inherited, **env_of(obj, pod_name), **endpoint.env(), **extra}
    env |= {"TSLAKE_METRICS_HOST": "127.0.0.1", "TSLAKE_METRICS_PORT": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "tslake.cli", *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stderr


def test_generator_pod_puts_its_replicas_sensors_on_the_input_stream(
    default: Rendered, endpoint: EndpointProcess
) -> None:
    statefulset = default.get("StatefulSet", "tslake-generator")
    extra = {"TSLAKE_GENERATOR_COUNT": str(RECORDS), "TSLAKE_GENERATOR_RATE": "3000"}
    run_pod(statefulset, f"tslake-generator-{REPLICA}", endpoint, extra)
    kinesis = endpoint.client("kinesis")
    mine = set(sensor_ids(REPLICA, 100))
    readings = [parse_reading(r["Data"]) for r in read_stream(names.INPUT_STREAM, kinesis)]
    assert len([r for r in readings if r.sensor_id in mine]) == RECORDS


def test_exporter_cronjob_pod_exports_the_last_window(default: Rendered, endpoint: EndpointProcess) -> None:
    cronjob = default.get("CronJob", "tslake-exporter")
    stderr = run_pod(cronjob, "tslake-exporter-29000000-abcde", endpoint, {})
    events = {e["event"]: e for e in (json.loads(line) for line in stderr.splitlines() if line.startswith("{"))}
    started = events["export_started"]
    assert (started["bucket"], started["format"], started["datasets"]) == (
        names.LAKE_BUCKET,
        "parquet",
        ["interpolated", "cep"],
    )
    assert started["first"].endswith(":00)") and events["export_finished"]["windows"] == 1
    assert not [e for e in events.values() if e["level"] == "error"]
