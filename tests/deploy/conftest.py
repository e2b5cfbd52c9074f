"""Fixtures for the deployment tests: the chart rendered once per session by the real Helm v4 SDK.

Rendering runs in `.venv-helm` (tests/deploy/helm_tool.py, one subprocess for every values case), so the
main venv needs neither Helm nor the Kubernetes schemas.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "tslake"
HELM_PYTHON = REPO / ".venv-helm" / "bin" / "python"
HELM_TOOL = Path(__file__).with_name("helm_tool.py")
# The oldest the chart supports (Chart.yaml kubeVersion), a current one, and the newest with schemas here.
KUBE_VERSIONS = ["1.25.0", "1.33.0", "1.37.0"]
RELEASE = "tslake"

ROLE = "arn:aws:iam::123456789012:role/tslake-{}"

# Every values case the tests look at, rendered in one subprocess.
CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "full": {
        "image": {"registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/", "tag": "1.2.3"},
        "aws": {"region": "eu-west-1", "endpointUrl": "http://tslake-local:4566"},
        "metrics": {
            "serviceMonitor": {"enabled": True, "labels": {"release": "prom"}},
            "prometheusRule": {"enabled": True},
            "dashboard": {"enabled": True},
        },
        "generator": {
            "replicaCount": 3,
            "rate": 500.5,
            "seed": 7,
            "serviceAccount": {"roleArn": ROLE.format("generator")},
        },
        "rawIngest": {
            "serviceAccount": {"roleArn": ROLE.format("raw-ingest")},
            "env": {"TSLAKE_WRITE_CONCURRENCY": 16},
        },
        "cepIngest": {"serviceAccount": {"roleArn": ROLE.format("cep-ingest")}, "tableLayout": "cep_multi"},
        "cep": {
            "serviceAccount": {"roleArn": ROLE.format("cep")},
            "image": {"repository": "tslake-cep", "tag": "cep-9"},
        },
        "exporter": {
            "serviceAccount": {"roleArn": ROLE.format("exporter")},
            "pushgatewayUrl": "http://prometheus-pushgateway:9091",
            "glueDatabase": "tslake_lake",
        },
    },
    "exporter-only": {
        "generator": {"enabled": False},
        "rawIngest": {"enabled": False},
        "cepIngest": {"enabled": False},
        "cep": {"enabled": False},
        "exporter": {"serviceAccount": {"create": False, "name": "shared"}},
    },
    "long-grace": {
        "kcl": {"shutdownGraceMillis": 60000},
        **{key: {"terminationGracePeriodSeconds": 90} for key in ("rawIngest", "cepIngest", "cep")},
    },
    # Cases that must be refused, with the message an operator would see.
    "bad-negative-replicas": {"rawIngest": {"replicaCount": -1}},
    "bad-unknown-key": {"rawIngest": {"replicas": 3}},
    "bad-layout": {"rawIngest": {"tableLayout": "cep_seed"}},
    "bad-role-arn": {"cep": {"serviceAccount": {"roleArn": "tslake-cep"}}},
    "bad-grace": {"kcl": {"shutdownGraceMillis": 60000}},
}


@dataclass
class Rendered:
    """One values case: the rendered objects, or the error Helm gave."""

    name: str
    manifests: dict[str, str]
    validation: list[str]
    no_schema: list[str]
    error: str | None

    @property
    def objects(self) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = []
        for template, text in sorted(self.manifests.items()):
            if template.endswith(".yaml"):
                docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
        return docs

    def get(self, kind: str, name: str) -> dict[str, Any]:
        for obj in self.objects:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        raise AssertionError(f"{self.name}: no {kind}/{name} in {sorted(self.kinds_and_names())}")

    def kinds_and_names(self) -> set[tuple[str, str]]:
        return {(obj["kind"], obj["metadata"]["name"]) for obj in self.objects}

    def notes(self) -> str:
        return next(text for template, text in self.manifests.items() if template.endswith("NOTES.txt"))


@dataclass
class HelmRun:
    cases: dict[str, Rendered]
    lint: dict[str, Any]


def _require_helm_venv() -> None:
    if not HELM_PYTHON.exists():
        pytest.fail(f"{HELM_PYTHON} is missing: run `make .venv-helm/.installed` (make test builds it)", pytrace=False)


@pytest.fixture(scope="session")
def helm_run() -> HelmRun:
    _require_helm_venv()
    request = {
        "chart": str(CHART),
        "release": RELEASE,
        "namespace": "tslake",
        "kube_versions": KUBE_VERSIONS,
        "cases": CASES,
        "lint": True,
    }
    done = subprocess.run(
        [str(HELM_PYTHON), str(HELM_TOOL)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"helm_tool.py failed ({done.returncode}):\n{done.stderr[-4000:]}")
    answer = json.loads(done.stdout)
    cases = {
        name: Rendered(
            name, case.get("manifests", {}), case.get("validation", []), case.get("no_schema", []), case.get("error")
        )
        for name, case in answer["cases"].items()
    }
    return HelmRun(cases, answer["lint"])


@pytest.fixture(scope="session")
def default(helm_run: HelmRun) -> Rendered:
    case = helm_run.cases["default"]
    assert case.error is None, case.error
    return case


@pytest.fixture(scope="session")
def full(helm_run: HelmRun) -> Rendered:
    case = helm_run.cases["full"]
    assert case.error is None, case.error
    return case
