"""checkov's Kubernetes checks over the rendered chart (defaults and the full case): no finding is left
open except those tests/deploy/checkov.yaml accepts, each with its reason."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import REPO, Rendered

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
CONFIG = Path(__file__).with_name("checkov.yaml")


@pytest.fixture(scope="module")
def report(default: Rendered, full: Rendered, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make .venv-checkov/.installed` (make test builds it)", pytrace=False)
    root = tmp_path_factory.mktemp("rendered")
    for case in (default, full):
        for template, text in case.manifests.items():
            if template.endswith(".yaml"):
                path = root / case.name / Path(template).name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    command = [str(CHECKOV), "--config-file", str(CONFIG), "-d", str(root), "--framework", "kubernetes"]
    done = subprocess.run(
        [*command, "--skip-download", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_checkov_finds_nothing_the_chart_does_not_accept(report: dict[str, Any]) -> None:
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert failed == []
    assert summary["parsing_errors"] == 0
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    # What an SRE looks for first: non-root, read-only root, no privilege escalation, dropped capabilities,
    # probes, memory limits, seccomp, no service account token, a NetworkPolicy per pod.
    expected = {"CKV_K8S_23", "CKV_K8S_22", "CKV_K8S_20", "CKV_K8S_37", "CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_13"}
    expected |= {"CKV_K8S_31", "CKV_K8S_38", "CKV2_K8S_6"}
    assert expected <= passed, expected - passed
    assert summary["resource_count"] >= 40
