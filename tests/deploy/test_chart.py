"""charts/tslake rendered by the Helm v4 SDK: objects, env, probes, grace periods, security, schema, lint.

The env a pod gets is fed to the service's real settings class, so a chart variable the service does not
read (a typo, a renamed setting) fails here rather than being silently ignored in a cluster.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from tests.deploy.conftest import CASES, CHART, ROLE, HelmRun, Rendered
from tslake import names
from tslake.generator.replica import replica_id_from
from tslake.settings.base import parse_settings
from tslake.settings.cep import CepSettings
from tslake.settings.exporter import ExporterSettings
from tslake.settings.generator import GeneratorSettings
from tslake.settings.raw_ingest import RawIngestSettings

CONSUMERS = {"tslake-raw-ingest": RawIngestSettings, "tslake-cep-ingest": RawIngestSettings, "tslake-cep": CepSettings}
INGEST_DIFFERENCES = {"TSLAKE_STREAM", "TSLAKE_APPLICATION_NAME", "TSLAKE_TABLE_LAYOUT", "TSLAKE_TIMESTREAM_TABLE"}
COMPONENT_LABELS = (".metadata.labels", ".spec.selector.matchLabels", ".spec.template.metadata.labels")
WORKLOADS = [("StatefulSet", "tslake-generator"), *(("Deployment", name) for name in CONSUMERS)]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def container(obj: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec(obj)["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(obj: dict[str, Any], pod_name: str = "pod-0") -> dict[str, str]:
    """The container's environment as the kubelet would set it (downward-API fields -> `pod_name`)."""
    env: dict[str, str] = {}
    for item in container(obj)["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            assert item["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}, item
            env[item["name"]] = pod_name
    return env


def variables_read_by(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads."""
    prefix = str(cls.model_config.get("env_prefix") or "")
    found: set[str] = set()
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            found.update(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            found.add(alias)
        else:
            found.add(f"{prefix}{field}".upper())
    return found


def settings_from(cls: type[BaseSettings], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    unread = {name for name in env if name.startswith("TSLAKE_")} - variables_read_by(cls)
    assert not unread, f"{cls.__name__} does not read {sorted(unread)}"
    with monkeypatch.context() as patch:
        for name in [n for n in list(os.environ) if n.startswith(("TSLAKE_", "AWS_"))]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        return parse_settings(cls)


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}"))
        return out
    if isinstance(value, list) and value and all(isinstance(i, dict) and "name" in i for i in value):
        out = {}
        for item in value:
            out.update(flatten(item, f"{path}[{item['name']}]"))
        return out
    return {path: value}


# --- what gets deployed -------------------------------------------------------------------------------


def test_default_release_has_every_component(default: Rendered) -> None:
    expected = {
        ("StatefulSet", "tslake-generator"),
        ("Deployment", "tslake-raw-ingest"),
        ("Deployment", "tslake-cep-ingest"),
        ("Deployment", "tslake-cep"),
        ("CronJob", "tslake-exporter"),
        ("ConfigMap", "tslake-probes"),
        ("Pod", "tslake-test-metrics"),  # `helm test`
        ("NetworkPolicy", "tslake-test-metrics"),
    }
    expected |= {
        ("ServiceAccount", f"tslake-{c}") for c in ("generator", "raw-ingest", "cep-ingest", "cep", "exporter")
    }
    expected |= {("Service", f"tslake-{c}") for c in ("generator", "raw-ingest", "cep-ingest", "cep")}
    expected |= {("PodDisruptionBudget", f"tslake-{c}") for c in ("raw-ingest", "cep-ingest", "cep")}
    expected |= {("NetworkPolicy", f"tslake-{c}") for c in ("generator", "raw-ingest", "cep-ingest", "cep", "exporter")}
    assert default.kinds_and_names() == expected
    assert "tslake-raw-ingest" in default.notes()


def test_every_rendered_manifest_is_valid_kubernetes(helm_run: HelmRun) -> None:
    rendered = [case for case in helm_run.cases.values() if case.error is None]
    assert {case.name for case in rendered} == {name for name in CASES if not name.startswith("bad-")}
    for case in rendered:
        assert case.objects, case.name
        assert case.validation == [], f"{case.name}: kubernetes-validate --strict:\n" + "\n".join(case.validation)
        # kubernetes-validate has schemas for built-in kinds only; nothing else may slip through unchecked.
        assert set(case.no_schema) <= {"ServiceMonitor", "PrometheusRule"}, case.no_schema


def test_lint_passes(helm_run: HelmRun) -> None:
    assert helm_run.lint["errors"] == []
    assert [m for m in helm_run.lint["messages"] if m["severity"] >= 2] == []


def test_chart_defaults_are_tslake_names() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["names"] == {
        "inputStream": names.INPUT_STREAM,
        "cepStream": names.CEP_STREAM,
        "timestreamDatabase": names.TIMESTREAM_DATABASE,
        "rawTable": names.RAW_TABLE,
        "cepTable": names.CEP_TABLE,
        "lakeBucket": names.LAKE_BUCKET,
        "cepStateTable": names.CEP_STATE_TABLE,
        "rawIngestApp": names.RAW_INGEST_APP,
        "cepIngestApp": names.CEP_INGEST_APP,
        "cepApp": names.CEP_APP,
    }


# --- the consumers ------------------------------------------------------------------------------------


def test_consumer_env_configures_each_service(default: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = settings_from(RawIngestSettings, env_of(default.get("Deployment", "tslake-raw-ingest"), "r-1"), monkeypatch)
    assert (raw.stream, raw.application_name) == (names.INPUT_STREAM, names.RAW_INGEST_APP)
    assert (raw.timestream_database, raw.timestream_table, raw.table_layout) == (
        names.TIMESTREAM_DATABASE,
        names.RAW_TABLE,
        "raw",
    )
    assert (raw.consumer_driver, raw.worker_id, raw.metrics_host, raw.region) == ("kcl", "r-1", "0.0.0.0", "us-east-1")

    cep_ingest = settings_from(RawIngestSettings, env_of(default.get("Deployment", "tslake-cep-ingest")), monkeypatch)
    assert (cep_ingest.stream, cep_ingest.application_name) == (names.CEP_STREAM, names.CEP_INGEST_APP)
    assert (cep_ingest.timestream_table, cep_ingest.table_layout) == (names.CEP_TABLE, "cep_seed")

    cep = settings_from(CepSettings, env_of(default.get("Deployment", "tslake-cep")), monkeypatch)
    assert (cep.stream, cep.cep_stream, cep.application_name) == (names.INPUT_STREAM, names.CEP_STREAM, names.CEP_APP)
    assert (cep.state_table, cep.create_state_table) == (names.CEP_STATE_TABLE, False)


def test_extra_env_reaches_the_service(full: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(full.get("Deployment", "tslake-raw-ingest"))
    assert env["AWS_ENDPOINT_URL"] == "http://tslake-local:4566"
    raw = settings_from(RawIngestSettings, env, monkeypatch)
    assert (raw.write_concurrency, raw.region) == (16, "eu-west-1")
    cep_ingest = settings_from(RawIngestSettings, env_of(full.get("Deployment", "tslake-cep-ingest")), monkeypatch)
    assert cep_ingest.table_layout == "cep_multi"


def test_raw_and_cep_ingest_differ_only_in_stream_table_and_layout(default: Rendered) -> None:
    raw = default.get("Deployment", "tslake-raw-ingest")
    cep = default.get("Deployment", "tslake-cep-ingest")
    assert container(raw)["image"] == container(cep)["image"]
    assert container(raw)["command"] == container(cep)["command"] == ["/usr/bin/tini", "--", "tslake", "raw-ingest"]
    # Compare path by path, the container renamed "C" in both.
    a, b = (json.loads(json.dumps(obj)) for obj in (raw, cep))
    container(a)["name"] = container(b)["name"] = "C"
    a, b = flatten(a), flatten(b)
    differing = {path for path in a.keys() | b.keys() if a.get(path) != b.get(path)}
    allowed = {f".spec.template.spec.containers[C].env[{v}].value" for v in INGEST_DIFFERENCES}
    allowed |= {".spec.replicas", ".spec.template.spec.containers[C].resources.requests.cpu"}
    # The component's own name, and selectors by it.
    allowed |= {
        ".metadata.name",
        ".spec.template.spec.serviceAccountName",
        ".spec.template.spec.topologySpreadConstraints",
    }
    allowed |= {f"{labels}.app.kubernetes.io/component" for labels in COMPONENT_LABELS}
    assert differing - allowed == set()
    # The differences that must be there are (the comparison really saw the env).
    assert {p for p in differing if ".env[" in p} == {p for p in allowed if ".env[" in p}
    assert env_of(raw)["TSLAKE_STREAM"] != env_of(cep)["TSLAKE_STREAM"]


@pytest.mark.parametrize("case", ["default", "long-grace"])
def test_grace_period_outlasts_kcl_shutdown_and_sigterm_reaches_the_jvm(
    helm_run: HelmRun, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = helm_run.cases[case]
    for name, cls in CONSUMERS.items():
        deployment = rendered.get("Deployment", name)
        settings = settings_from(cls, env_of(deployment), monkeypatch)
        # The supervisor waits shutdownGraceMillis + 5 s for the JVM (tslake.consumer.kcl.daemon).
        assert pod_spec(deployment)["terminationGracePeriodSeconds"] > settings.shutdown_grace_millis / 1000 + 5
        # tini is PID 1 and forwards SIGTERM to the supervisor, which forwards it to the JVM.
        assert container(deployment)["command"][:2] == ["/usr/bin/tini", "--"]
    assert settings.shutdown_grace_millis == (60000 if case == "long-grace" else 15000)


def test_consumer_liveness_reads_the_probe_script(default: Rendered) -> None:
    probes = default.get("ConfigMap", "tslake-probes")
    script = probes["data"]["consumer_liveness.py"]
    assert "tslake_consumer_last_successful_batch_timestamp_seconds" in script
    for name in CONSUMERS:
        deployment = default.get("Deployment", name)
        c = container(deployment)
        command = c["livenessProbe"]["exec"]["command"]
        assert command[:2] == ["python", "/etc/tslake/probes/consumer_liveness.py"]
        assert "--port=9100" in command and "--max-seconds=600" in command
        assert c["startupProbe"]["httpGet"]["port"] == "metrics"
        mount = next(m for m in c["volumeMounts"] if m["name"] == "probes")
        assert mount["mountPath"] == "/etc/tslake/probes"
        volume = next(v for v in pod_spec(deployment)["volumes"] if v["name"] == "probes")
        assert volume["configMap"]["name"] == "tslake-probes"
        # A changed probe script rolls the pods.
        assert deployment["spec"]["template"]["metadata"]["annotations"]["checksum/probes"]
        assert {"name": "TSLAKE_JAVA_HEAP", "value": "256m"} in c["env"]


def test_consumers_have_disruption_budgets(default: Rendered) -> None:
    for name in CONSUMERS:
        (spread,) = pod_spec(default.get("Deployment", name))["topologySpreadConstraints"]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == name.removeprefix("tslake-")
        pdb = default.get("PodDisruptionBudget", name)
        selector = default.get("Deployment", name)["spec"]["selector"]["matchLabels"]
        assert pdb["spec"]["selector"]["matchLabels"] == selector
        assert pdb["spec"]["maxUnavailable"] == 1


# --- generator and exporter ---------------------------------------------------------------------------


def test_generator_statefulset_identity(full: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    sts = full.get("StatefulSet", "tslake-generator")
    assert sts["spec"]["replicas"] == 3
    service = full.get("Service", sts["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    env = env_of(sts, pod_name="tslake-generator-2")
    settings = settings_from(GeneratorSettings, env, monkeypatch)
    assert (settings.stream, settings.rate, settings.seed, settings.sensors) == (names.INPUT_STREAM, 500.5, 7, 100)
    assert replica_id_from(settings.replica_id, env["POD_NAME"], None) == 2
    # SIGTERM: the generator flushes for up to TSLAKE_SHUTDOWN_TIMEOUT_SECONDS before the kubelet kills it.
    assert pod_spec(sts)["terminationGracePeriodSeconds"] > settings.shutdown_timeout_seconds
    assert container(sts)["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tslake-generator:1.2.3"


def test_exporter_cronjob(default: Rendered, full: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    cron = default.get("CronJob", "tslake-exporter")
    assert cron["spec"]["schedule"] == "*/5 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] < 300, "a run must end before the next one is due"
    assert pod_spec(cron)["restartPolicy"] == "Never"
    settings = settings_from(ExporterSettings, env_of(cron), monkeypatch)
    assert settings.pushgateway_url is None
    assert (settings.lake_bucket, settings.export_window_minutes) == (names.LAKE_BUCKET, 5)
    pushed = settings_from(ExporterSettings, env_of(full.get("CronJob", "tslake-exporter")), monkeypatch)
    assert (pushed.pushgateway_url, pushed.glue_database) == ("http://prometheus-pushgateway:9091", "tslake_lake")


# --- security and access ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind_name", [*WORKLOADS, ("CronJob", "tslake-exporter")])
def test_pods_are_locked_down(default: Rendered, kind_name: tuple[str, str]) -> None:
    obj = default.get(*kind_name)
    spec = pod_spec(obj)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    c = container(obj)
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"]
    assert {"AWS_REGION", "TSLAKE_METRICS_PORT"} <= set(env_of(obj))


def test_each_service_has_its_own_irsa_role(full: Rendered, helm_run: HelmRun) -> None:
    for component in ("generator", "raw-ingest", "cep-ingest", "cep", "exporter"):
        account = full.get("ServiceAccount", f"tslake-{component}")
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE.format(component)
    assert "roleArn is empty" not in full.notes()
    assert "rawIngest.serviceAccount.roleArn is empty" in helm_run.cases["default"].notes()
    only = helm_run.cases["exporter-only"]
    assert only.error is None
    assert {kind for kind, _ in only.kinds_and_names()} == {"CronJob", "NetworkPolicy"}
    assert pod_spec(only.get("CronJob", "tslake-exporter"))["serviceAccountName"] == "shared"


def test_metrics_services_monitors_and_dashboard(full: Rendered) -> None:
    monitors = [obj for obj in full.objects if obj["kind"] == "ServiceMonitor"]
    assert {m["metadata"]["name"] for m in monitors} == {
        f"tslake-{c}" for c in ("generator", "raw-ingest", "cep-ingest", "cep")
    }
    for monitor in monitors:
        service = full.get("Service", monitor["metadata"]["name"])
        assert service["spec"]["selector"] == monitor["spec"]["selector"]["matchLabels"]
        assert service["spec"]["ports"] == [
            {"name": "metrics", "port": 9100, "targetPort": "metrics", "protocol": "TCP"}
        ]
        assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
        assert monitor["metadata"]["labels"]["release"] == "prom"
    dashboard = full.get("ConfigMap", "tslake-dashboard")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_network_policies_admit_metrics_and_let_out_dns_https_and_configured_endpoints(
    default: Rendered, full: Rendered
) -> None:
    for name in ("tslake-generator", "tslake-raw-ingest", "tslake-cep-ingest", "tslake-cep", "tslake-exporter"):
        policy = default.get("NetworkPolicy", name)["spec"]
        kind = {"tslake-generator": "StatefulSet", "tslake-exporter": "CronJob"}.get(name, "Deployment")
        workload = default.get(kind, name)
        template = workload["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else workload["spec"]
        pod_labels = template["template"]["metadata"]["labels"]
        assert policy["podSelector"]["matchLabels"].items() <= pod_labels.items()
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        ports = {(p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"]}
        assert ports == {(53, "UDP"), (53, "TCP"), (443, "TCP")}
        if name == "tslake-exporter":
            assert policy["ingress"] == []
        else:
            assert policy["ingress"] == [{"ports": [{"port": "metrics", "protocol": "TCP"}]}]
    # aws.endpointUrl (:4566) and exporter.pushgatewayUrl (:9091) are let out too.
    egress = full.get("NetworkPolicy", "tslake-exporter")["spec"]["egress"]
    assert {p["port"] for rule in egress for p in rule["ports"]} == {53, 443, 4566, 9091}


# --- bad values are refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad-negative-replicas", "at '/rawIngest/replicaCount': minimum: got -1, want 0"),
        ("bad-unknown-key", "at '/rawIngest': additional properties 'replicas' not allowed"),
        ("bad-layout", "/rawIngest/tableLayout"),
        ("bad-role-arn", "/cep/serviceAccount/roleArn"),
        ("bad-grace", "rawIngest.terminationGracePeriodSeconds (30) must exceed kcl.shutdownGraceMillis/1000 + 5 s"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(helm_run: HelmRun, case: str, message: str) -> None:
    error = helm_run.cases[case].error
    assert error is not None, f"{case} rendered"
    assert message in error
