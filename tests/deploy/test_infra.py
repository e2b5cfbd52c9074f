"""The CDK app in infra/, synthesized once by the real CDK CLI (offline), asserted on its CloudFormation.

Names come from `tslake.names` on both sides, so these assertions also catch drift between the app, the
services and the Helm chart (service accounts, image repositories).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import CHART, REPO, Rendered
from tslake import names

INFRA = REPO / "infra"
CDK_PYTHON = REPO / ".venv-cdk" / "bin" / "python"
CDK_CLI = INFRA / "node_modules" / ".bin" / "cdk"
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
BUCKET = "tslake-lake-test-123456789012"
SERVICES = ("generator", "raw-ingest", "cep-ingest", "cep", "exporter")


class Template:
    def __init__(self, path: Path) -> None:
        self.body: dict[str, Any] = json.loads(path.read_text())
        self.resources: dict[str, dict[str, Any]] = self.body["Resources"]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.resources.values() if r["Type"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.of_type(kind)
        assert len(found) == 1, f"{len(found)} {kind}"
        properties: dict[str, Any] = found[0]["Properties"]
        return properties

    def text(self) -> str:
        return json.dumps(self.body)


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not CDK_PYTHON.exists():
        pytest.fail(f"{CDK_PYTHON} is missing: run `make .venv-cdk/.installed` (make test builds it)", pytrace=False)
    if not CDK_CLI.exists():
        pytest.fail(f"{CDK_CLI} is missing: run `make .venv-cdk/.installed` (npm ci in infra/)", pytrace=False)
    out = tmp_path_factory.mktemp("cdk") / "cdk.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env |= {
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "AWS_EC2_METADATA_DISABLED": "true",  # no credential lookups: this is an offline synth
        "CDK_DEFAULT_REGION": "eu-west-1",
    }
    command = [str(CDK_CLI), "synth", "-q", "--no-notices", "--no-version-reporting", "-o", str(out)]
    command += ["-c", f"eksOidcProviderArn={OIDC}", "-c", f"lakeBucket={BUCKET}"]
    done = subprocess.run(command, cwd=INFRA, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"cdk synth failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    assert "maintenance mode" not in done.stderr, "the Timestream warning is acknowledged in TimeSeriesStore"
    yield out


@pytest.fixture(scope="module")
def data(cdk_out: Path) -> Template:
    return Template(cdk_out / "TslakeData.template.json")


@pytest.fixture(scope="module")
def access(cdk_out: Path) -> Template:
    return Template(cdk_out / "TslakeAccess.template.json")


@pytest.fixture(scope="module")
def orchestration(cdk_out: Path) -> Template:
    return Template(cdk_out / "TslakeOrchestration.template.json")


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def actions(role: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in statements(role):
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return found


def roles_by_service(access: Template) -> dict[str, dict[str, Any]]:
    roles = {}
    for role in access.of_type("AWS::IAM::Role"):
        service = role["Properties"]["Description"].split()[1].rstrip(":")
        roles[service] = role
    return roles


# --- the data stack -----------------------------------------------------------------------------------


def test_streams_are_named_and_sized_by_tslake_names(data: Template) -> None:
    streams = {s["Properties"]["Name"]: s for s in data.of_type("AWS::Kinesis::Stream")}
    assert set(streams) == {names.INPUT_STREAM, names.CEP_STREAM}
    assert streams[names.INPUT_STREAM]["Properties"]["ShardCount"] == names.INPUT_STREAM_SHARDS
    assert streams[names.CEP_STREAM]["Properties"]["ShardCount"] == names.CEP_STREAM_SHARDS
    for stream in streams.values():
        assert stream["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS"
        assert stream["Properties"]["RetentionPeriodHours"] == 24


def test_timestream_tables_keep_the_retention_from_names(data: Template) -> None:
    assert data.one("AWS::Timestream::Database")["DatabaseName"] == names.TIMESTREAM_DATABASE
    tables = {t["Properties"]["TableName"]: t["Properties"] for t in data.of_type("AWS::Timestream::Table")}
    assert tables[names.RAW_TABLE]["RetentionProperties"] == {
        "MemoryStoreRetentionPeriodInHours": str(names.RAW_TABLE_MEMORY_HOURS),
        "MagneticStoreRetentionPeriodInDays": str(names.RAW_TABLE_MAGNETIC_DAYS),
    }
    assert tables[names.CEP_TABLE]["RetentionProperties"] == {
        "MemoryStoreRetentionPeriodInHours": str(names.CEP_TABLE_MEMORY_HOURS),
        "MagneticStoreRetentionPeriodInDays": str(names.CEP_TABLE_MAGNETIC_DAYS),
    }
    assert {t["DatabaseName"] for t in tables.values()} == {names.TIMESTREAM_DATABASE}


def test_lake_bucket_is_encrypted_private_tls_only_with_dead_letter_lifecycle(data: Template) -> None:
    buckets = {b["Properties"].get("BucketName"): b["Properties"] for b in data.of_type("AWS::S3::Bucket")}
    bucket = buckets[BUCKET]
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "lake/"  # server access logs, to the other bucket
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "AES256"
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["dead-letter"]["Prefix"] == names.DEAD_LETTER_PREFIX
    assert rules["dead-letter"]["ExpirationInDays"] == 90
    for policy in data.of_type("AWS::S3::BucketPolicy"):
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        ), statements
    for other in buckets.values():
        assert other["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True


def test_cep_state_table_matches_the_service(data: Template) -> None:
    table = data.one("AWS::DynamoDB::GlobalTable")
    assert table["TableName"] == names.CEP_STATE_TABLE
    assert table["KeySchema"] == [{"AttributeName": "shard_key", "KeyType": "HASH"}]


def test_every_stateful_resource_is_retained(data: Template) -> None:
    for logical_id, resource in data.resources.items():
        if resource["Type"] in ("AWS::CDK::Metadata", "AWS::S3::BucketPolicy"):
            continue
        assert resource.get("DeletionPolicy") == "Retain", logical_id
    assert data.one("AWS::Glue::Database")["DatabaseInput"]["Name"] == names.GLUE_DATABASE


def test_stacks_are_not_coupled_by_exports(data: Template, access: Template, orchestration: Template) -> None:
    for template in (data, access, orchestration):
        assert "Fn::ImportValue" not in template.text()
        assert all("Export" not in output for output in template.body.get("Outputs", {}).values())


def test_cdk_nag_aws_solutions_checks_pass_with_reasons(cdk_out: Path) -> None:
    report = json.loads((cdk_out / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    acknowledged = nag["suppressedViolations"]
    assert acknowledged, "AwsSolutionsChecks ran"
    assert all(len(finding["reason"]) > 20 for finding in acknowledged)


# --- the access stack ---------------------------------------------------------------------------------


def test_one_irsa_role_per_service_trusting_the_charts_service_account(access: Template, default: Rendered) -> None:
    roles = roles_by_service(access)
    assert set(roles) == set(SERVICES)
    chart_accounts = {obj["metadata"]["name"] for obj in default.objects if obj["kind"] == "ServiceAccount"}
    for service, role in roles.items():
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert trust["Principal"] == {"Federated": OIDC}
        subject = trust["Condition"]["StringEquals"][f"{ISSUER}:sub"]
        assert trust["Condition"]["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
        namespace, account = subject.removeprefix("system:serviceaccount:").split(":")
        assert namespace == "tslake"
        assert account in chart_accounts, f"{service}: no chart ServiceAccount {account}"
    outputs = access.body["Outputs"]
    assert {f"{''.join(p.capitalize() for p in s.split('-'))}RoleArn" for s in SERVICES} <= set(outputs)


def test_without_eks_the_roles_are_ecs_task_roles_and_bad_context_is_named() -> None:
    done = subprocess.run(
        [str(CDK_PYTHON), str(Path(__file__).with_name("cdk_tool.py"))],
        env={**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    assert len(answer["ecs_trust"]) == len(SERVICES)
    for trust in answer["ecs_trust"]:
        assert trust["principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert set(trust["condition"]) == {"StringEquals", "ArnLike"}  # confused-deputy protection
    assert answer["errors"] == {
        "oidc": f"context eksOidcProviderArn: not an IAM OIDC provider ARN: {ISSUER!r}",
        "retention": "context streamRetentionHours: must be >= 24, got 12",
        "days": "context deadLetterExpirationDays: expected an integer, got 'ninety'",
    }


def test_roles_are_least_privilege(access: Template) -> None:
    roles = roles_by_service(access)
    assert actions(roles["generator"]) == {
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
    }
    assert "timestream:WriteRecords" in actions(roles["raw-ingest"])
    assert "kinesis:PutRecords" not in actions(roles["raw-ingest"])
    assert "kinesis:PutRecords" in actions(roles["cep"]) and "timestream:WriteRecords" not in actions(roles["cep"])
    assert not {a for a in actions(roles["exporter"]) if a.startswith(("kinesis:", "dynamodb:"))}
    assert "timestream:Select" in actions(roles["exporter"])
    for service, role in roles.items():
        for statement in statements(role):
            text = json.dumps(statement)
            assert statement["Effect"] == "Allow"
            assert "*" not in statement["Action"], f"{service}: {statement}"
            if statement["Resource"] == "*":
                # Only actions AWS offers no resource-level permissions for.
                allowed = {
                    "timestream:DescribeEndpoints",
                    "cloudwatch:PutMetricData",
                    "timestream:SelectValues",
                    "timestream:CancelQuery",
                }
                acts = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert set(acts) <= allowed, f"{service}: {statement}"
        # Each consumer writes only its own table and reads only its own stream.
        text = json.dumps(statements(role))
        if service == "raw-ingest":
            assert f"table/{names.RAW_TABLE}" in text and f"table/{names.CEP_TABLE}" not in text
            assert f"stream/{names.CEP_STREAM}" not in text
        if service == "cep-ingest":
            assert f"table/{names.CEP_TABLE}" in text and f"table/{names.RAW_TABLE}" not in text
            assert f'stream/{names.INPUT_STREAM}"' not in text
        if service in ("raw-ingest", "cep-ingest", "cep"):
            assert f"{BUCKET}/{names.DEAD_LETTER_PREFIX}" in text


def test_image_repositories_are_the_charts_images(access: Template) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    chart_images = {
        values[key]["image"]["repository"] for key in ("generator", "rawIngest", "cepIngest", "cep", "exporter")
    }
    repositories = {r["Properties"]["RepositoryName"]: r["Properties"] for r in access.of_type("AWS::ECR::Repository")}
    assert set(repositories) == chart_images
    for repository in repositories.values():
        assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert repository["ImageTagMutability"] == "IMMUTABLE"


# --- the orchestration stack --------------------------------------------------------------------------


def test_mwaa_environment_runs_airflow_3_0_6_privately(orchestration: Template) -> None:
    environment = orchestration.one("AWS::MWAA::Environment")
    assert environment["AirflowVersion"] == "3.0.6"
    assert environment["DagS3Path"] == "dags"
    assert environment["RequirementsS3Path"] == "requirements.txt"
    assert environment["WebserverAccessMode"] == "PRIVATE_ONLY"
    assert len(environment["NetworkConfiguration"]["SubnetIds"]) == 2
    options = environment["AirflowConfigurationOptions"]
    assert options["secrets.backend"].endswith("SecretsManagerBackend")
    execution = next(
        r
        for r in orchestration.of_type("AWS::IAM::Role")
        if "airflow.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    )
    assert "timestream:Select" in actions(execution) and "glue:StartCrawler" in actions(execution)
    secrets = {s["Properties"]["Name"] for s in orchestration.of_type("AWS::SecretsManager::Secret")}
    assert "airflow/variables/tslake_lake_bucket" in secrets
    dag_bucket = orchestration.one("AWS::S3::Bucket")
    assert dag_bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_mwaa_uploads_the_dags_the_library_and_requirements(cdk_out: Path, orchestration: Template) -> None:
    deployments = orchestration.of_type("Custom::CDKBucketDeployment")
    prefixes = {d["Properties"].get("DestinationBucketKeyPrefix", "") for d in deployments}
    assert prefixes == {"dags/", "dags/tslake/", ""}
    assert all(d["Properties"]["Prune"] is False for d in deployments)
    assets = [p for p in cdk_out.iterdir() if p.name.startswith("asset.") and p.is_dir()]
    contents = {p.name: {f.name for f in p.iterdir()} for p in assets}
    assert any("tslake_export.py" in files for files in contents.values()), contents
    assert any({"names.py", "export"} <= files for files in contents.values()), contents
    assert any(files == {"requirements.txt"} for files in contents.values()), contents
    assert not any("__pycache__" in files for files in contents.values())
