"""The consumer liveness probe, run as the kubelet runs it, against a real Prometheus endpoint on loopback.

The script is taken from the rendered ConfigMap (what a pod mounts); the metrics are served by
prometheus_client with the consumer metric names from `tslake.metrics.consumer`. Also: every series the
Grafana dashboard plots is one the services export.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server
from prometheus_client.core import REGISTRY

from tests.deploy.conftest import Rendered
from tslake.metrics import consumer as consumer_metrics

APP = "tslake-raw-ingest"


class ConsumerMetrics:
    """A consumer's metrics endpoint whose values the test sets; `supervisor=True` adds the supervisor's
    computed `tslake_consumer_seconds_since_last_batch` (the real collector, fed `last_batch`)."""

    def __init__(self, supervisor: bool) -> None:
        self.registry = CollectorRegistry()
        self.last_success = Gauge(consumer_metrics.LAST_SUCCESS._name, "last", ["application"], registry=self.registry)
        self.shards = Gauge(consumer_metrics.SHARDS_OWNED._name, "shards", ["application"], registry=self.registry)
        self.last_batch: float | None = None
        if supervisor:
            self.registry.register(consumer_metrics.SecondsSinceLastBatch(APP, lambda: self.last_batch))
        server, thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.server, self.thread = server, thread
        self.port = int(server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def probe_script(default: Rendered, tmp_path: Path) -> Path:
    path = tmp_path / "consumer_liveness.py"
    path.write_text(default.get("ConfigMap", "tslake-probes")["data"]["consumer_liveness.py"])
    return path


@pytest.fixture(params=[True, False], ids=["supervisor", "processor-only"])
def metrics(request: pytest.FixtureRequest) -> Iterator[ConsumerMetrics]:
    served = ConsumerMetrics(supervisor=request.param)
    yield served
    served.stop()


def probe(script: Path, port: int, max_seconds: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), f"--port={port}", f"--max-seconds={max_seconds}", "--timeout=5"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_liveness_passes_while_batches_complete_and_fails_when_stalled(
    probe_script: Path, metrics: ConsumerMetrics
) -> None:
    metrics.shards.labels(APP).set(2)
    metrics.last_batch = time.time() - 5
    metrics.last_success.labels(APP).set(metrics.last_batch)
    healthy = probe(probe_script, metrics.port)
    assert healthy.returncode == 0, healthy.stderr
    assert "since the last successful batch" in healthy.stderr

    metrics.last_batch = time.time() - 1000
    metrics.last_success.labels(APP).set(metrics.last_batch)
    stalled = probe(probe_script, metrics.port)
    assert stalled.returncode == 1
    assert re.search(r"stalled: 100[01]s since the last successful batch \(limit 600s\)", stalled.stderr)


def test_liveness_spares_a_worker_without_shards(probe_script: Path, metrics: ConsumerMetrics) -> None:
    # The supervisor reports a standby worker as live (its figure reads "now"); without that figure the
    # probe looks at tslake_consumer_shards_owned itself.
    metrics.shards.labels(APP).set(0)
    metrics.last_success.labels(APP).set(time.time() - 10_000)
    metrics.last_batch = time.time()
    standby = probe(probe_script, metrics.port)
    assert standby.returncode == 0, standby.stderr


def test_liveness_fails_when_the_metrics_endpoint_is_gone(probe_script: Path) -> None:
    served = ConsumerMetrics(supervisor=True)
    port = served.port
    served.stop()
    gone = probe(probe_script, port)
    assert gone.returncode == 1
    assert "unreachable" in gone.stderr


def test_helm_test_pod_checks_every_metrics_endpoint(default: Rendered) -> None:
    pod = default.get("Pod", "tslake-test-metrics")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    command = pod["spec"]["containers"][0]["command"]
    assert command[:2] == ["python", "-c"]
    components = ("cep", "cep-ingest", "generator", "raw-ingest")
    assert sorted(command[3:]) == sorted(f"http://tslake-{c}:9100/metrics" for c in components)
    served = ConsumerMetrics(supervisor=True)
    try:
        served.shards.labels(APP).set(1)
        answering = f"http://127.0.0.1:{served.port}/metrics"
        ok = subprocess.run([sys.executable, "-c", command[2], answering], capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert ok.stdout.startswith("ok ")
        silent = ConsumerMetrics(supervisor=False)
        gone = f"http://127.0.0.1:{silent.port}/metrics"
        silent.stop()
        bad = subprocess.run(
            [sys.executable, "-c", command[2], answering, gone], capture_output=True, text=True, timeout=30
        )
        assert bad.returncode == 1
        assert f"FAILED {gone}" in bad.stdout
    finally:
        served.stop()


def exported_series() -> set[str]:
    """Every series name the services define (counters gain _total, histograms _bucket/_sum/_count)."""
    for module in ("cep", "consumer", "generator", "ingest"):
        importlib.import_module(f"tslake.metrics.{module}")  # registers its metrics
    from tslake.metrics import exporter

    exported: set[str] = set()
    for registry in (REGISTRY, exporter.REGISTRY):
        for family in registry.collect():
            # A labelled metric has no samples until first used: take its declared name too.
            exported.add(f"{family.name}_total" if family.type == "counter" else family.name)
            exported.update(sample.name for sample in family.samples)
    exported.add("tslake_consumer_seconds_since_last_batch")  # computed at scrape time by the supervisor
    return exported


def test_dashboard_plots_only_exported_series(dashboard: dict[str, object]) -> None:
    panels = dashboard["panels"]
    assert isinstance(panels, list) and panels
    used = {name for panel in panels for t in panel["targets"] for name in re.findall(r"tslake_\w+", t["expr"])}
    assert used, "the dashboard plots nothing"
    assert used - exported_series() == set()


def test_alerts_watch_exported_series_and_tell_on_call_what_to_do(full: Rendered) -> None:
    rule = full.get("PrometheusRule", "tslake")
    alerts = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    assert {a["alert"] for a in alerts} >= {"TslakeConsumerStalled", "TslakeConsumerDown", "TslakeExportStale"}
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}
        assert alert["annotations"]["summary"] and alert["annotations"]["runbook"]
        used = set(re.findall(r"tslake_\w+", alert["expr"]))
        assert used - exported_series() == set(), alert["alert"]
    stalled = next(a for a in alerts if a["alert"] == "TslakeConsumerStalled")
    # It fires before the liveness probe (600 s) restarts the pod.
    assert stalled["expr"].endswith("> 300")
    down = next(a for a in alerts if a["alert"] == "TslakeConsumerDown")
    assert 'service=~"tslake-(raw-ingest|cep-ingest|cep)"' in down["expr"]


@pytest.fixture
def dashboard(full: Rendered) -> dict[str, object]:
    dashboard: dict[str, object] = json.loads(full.get("ConfigMap", "tslake-dashboard")["data"]["tslake.json"])
    return dashboard
