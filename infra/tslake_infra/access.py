"""Who may do what: one least-privilege IAM role per service (IRSA or ECS task role) and the ECR repositories.

Every ARN is derived from `tslake.names`, not imported from the data stack, so this stack can be deployed,
changed or rolled back without CloudFormation exports pinning the data stack.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from tslake import names
from tslake_infra import consumer_state, lake, nag, streams, timeseries
from tslake_infra.config import IMAGE_REPOSITORIES, InfraConfig


def service_statements(scope: Construct, service: str, config: InfraConfig) -> list[iam.PolicyStatement]:
    """Exactly what each service calls; see the chart's component of the same name."""
    bucket = config.lake_bucket
    if service == "generator":
        return streams.put_statements(scope, names.INPUT_STREAM)
    if service == "raw-ingest":
        return [
            *streams.read_statements(scope, names.INPUT_STREAM),
            *consumer_state.lease_statements(scope, names.RAW_INGEST_APP),
            *timeseries.write_statements(scope, names.RAW_TABLE),
            *lake.dead_letter_statements(scope, bucket, "raw-ingest"),
        ]
    if service == "cep-ingest":
        return [
            *streams.read_statements(scope, names.CEP_STREAM),
            *consumer_state.lease_statements(scope, names.CEP_INGEST_APP),
            *timeseries.write_statements(scope, names.CEP_TABLE),
            *lake.dead_letter_statements(scope, bucket, "raw-ingest"),  # the same service writes them
        ]
    if service == "cep":
        return [
            *streams.read_statements(scope, names.INPUT_STREAM),
            *streams.put_statements(scope, names.CEP_STREAM),
            *consumer_state.lease_statements(scope, names.CEP_APP),
            *consumer_state.cep_state_statements(scope),
            *lake.dead_letter_statements(scope, bucket, "cep"),
        ]
    if service == "exporter":
        return [
            *timeseries.query_statements(scope, [names.RAW_TABLE, names.CEP_TABLE]),
            *lake.export_statements(scope, bucket),
        ]
    raise ValueError(f"unknown service {service!r}")


def _output_id(service: str) -> str:
    return "".join(part.capitalize() for part in service.split("-"))


class ServiceRoles(Construct):
    """`roles[service]`; trusted by the EKS service account `<fullname>-<service>` (IRSA), else by ECS tasks."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, services: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        self.roles: dict[str, iam.Role] = {}
        provider = (
            iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(self, "Oidc", config.eks_oidc_provider_arn)
            if config.eks_oidc_provider_arn
            else None
        )
        for service in services:
            principal: iam.IPrincipal
            if provider is not None and config.oidc_issuer is not None:
                subject = f"system:serviceaccount:{config.k8s_namespace}:{config.service_account(service)}"
                principal = iam.OpenIdConnectPrincipal(
                    provider,
                    conditions={
                        "StringEquals": {
                            f"{config.oidc_issuer}:sub": subject,
                            f"{config.oidc_issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                )
            else:
                # ECS task role, with the confused-deputy conditions AWS recommends for it.
                stack = Stack.of(self)
                principal = iam.ServicePrincipal("ecs-tasks.amazonaws.com").with_conditions(
                    {
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:ecs:{stack.region}:{stack.account}:*"},
                    }
                )
            role = iam.Role(
                self,
                _output_id(service),
                assumed_by=principal,
                description=f"tslake {service}: least privilege for its streams, tables and bucket prefixes",
                max_session_duration=Duration.hours(1),
                inline_policies={"tslake": iam.PolicyDocument(statements=service_statements(self, service, config))},
            )
            nag.acknowledge_wildcards(
                role,
                "wildcards are object prefixes (dead-letter/<service>/, the export prefixes), the KCL's "
                "<application>* lease tables and their indexes, the Glue tables of one database, and actions "
                "without resource-level permissions (DescribeEndpoints, PutMetricData with a namespace condition)",
            )
            self.roles[service] = role
            CfnOutput(
                scope,
                f"{_output_id(service)}RoleArn",
                value=role.role_arn,
                description=f"helm: --set {_chart_key(service)}.serviceAccount.roleArn=<this>",
            )


def _chart_key(service: str) -> str:
    first, *rest = service.split("-")
    return first + "".join(part.capitalize() for part in rest)


class ImageRepositories(Construct):
    """One ECR repository per image (raw-ingest and cep-ingest share `tslake-raw-ingest`)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.repositories: dict[str, ecr.Repository] = {}
        for name in IMAGE_REPOSITORIES:
            repository = ecr.Repository(
                self,
                name,
                repository_name=name,
                image_scan_on_push=True,
                image_tag_mutability=ecr.TagMutability.IMMUTABLE,
                encryption=ecr.RepositoryEncryption.AES_256,
                removal_policy=RemovalPolicy.RETAIN,
                lifecycle_rules=[
                    ecr.LifecycleRule(
                        description="drop untagged images",
                        tag_status=ecr.TagStatus.UNTAGGED,
                        max_image_age=Duration.days(7),
                    ),
                ],
            )
            self.repositories[name] = repository
            CfnOutput(scope, f"{_output_id(name)}Repository", value=repository.repository_uri)
