"""Render, lint and validate a chart; runs in `.venv-helm` (Helm v4 SDK + kubernetes-validate), not in pytest.

Reads one JSON request on stdin and writes one JSON answer on stdout, so the test session pays the Go
library's start-up once for every case:
  request: {"chart": dir, "release": str, "namespace": str, "kube_versions": ["1.25.0", ...],
            "cases": {name: values}, "lint": bool}
  answer:  {"cases": {name: {"manifests": {template: text}, "validation": [problems], "no_schema": [kinds]}
                       | {"error": text}},
            "lint": {...}}
Each rendered object is validated with kubernetes-validate --strict (unknown fields are errors) for every
Kubernetes version asked for; kinds it has no schema for (custom resources such as ServiceMonitor) are
listed under "no_schema". Lint uses the last version.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml


def _validate(manifests: dict[str, str], kube_versions: list[str]) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    no_schema: list[str] = []
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if not doc:
                continue
            where = f"{template}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            for version in kube_versions:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.SchemaNotFoundError:
                    no_schema.append(str(doc.get("kind")))
                    break
                except kubernetes_validate.ValidationError as exc:
                    path = ".".join(str(p) for p in exc.path)
                    problems.append(f"k8s {version}: {where}: {path}: {exc.message}")
    return problems, no_schema


def main() -> int:
    request: dict[str, Any] = json.load(sys.stdin)
    chart = helm.Chart.load(request["chart"])
    kube_versions: list[str] = request.get("kube_versions", ["1.33.0"])
    answer: dict[str, Any] = {"cases": {}}
    for name, values in request["cases"].items():
        try:
            manifests = chart.render(
                values,
                name=request.get("release", "tslake"),
                namespace=request.get("namespace", "tslake"),
                is_install=True,
            )
        except helm.HelmError as exc:
            answer["cases"][name] = {"error": str(exc)}
            continue
        problems, no_schema = _validate(manifests, kube_versions)
        answer["cases"][name] = {"manifests": manifests, "validation": problems, "no_schema": no_schema}
    if request.get("lint"):
        answer["lint"] = helm.lint(request["chart"], strict=True, kube_version=f"v{kube_versions[-1]}")
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
