"""Deployment settings from CDK context (`cdk.json` or `-c key=value`); resource names come from `tslake.names`."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Node

from tslake import names

# One ECR repository per image, named as in the chart's values.yaml (the root Dockerfile builds each one);
# raw-ingest and cep-ingest run the same image with different settings, but get separate IAM roles (SERVICES).
IMAGE_REPOSITORIES = ("tslake-generator", "tslake-raw-ingest", "tslake-cep", "tslake-exporter")
SERVICES = ("generator", "raw-ingest", "cep-ingest", "cep", "exporter")


class ConfigError(ValueError):
    """A context value is missing or malformed; the message names the context key."""


@dataclass(frozen=True)
class InfraConfig:
    # S3 bucket names are global: most deployments set `lakeBucket` (and the chart's names.lakeBucket).
    lake_bucket: str = names.LAKE_BUCKET
    # IRSA: the cluster's OIDC provider ARN; without it the service roles trust ECS tasks instead.
    eks_oidc_provider_arn: str | None = None
    # Where the chart runs and its release's fullname (service accounts are "<fullname>-<service>").
    k8s_namespace: str = "tslake"
    k8s_fullname: str = "tslake"
    stream_retention_hours: int = 24
    dead_letter_expiration_days: int = 90
    mwaa_environment_name: str = "tslake"
    mwaa_environment_class: str = "mw1.small"
    mwaa_max_workers: int = 2
    # First window the MWAA DAG exports (catchup starts here), ISO 8601.
    export_start_date: str | None = None

    @classmethod
    def from_context(cls, node: Node) -> InfraConfig:
        def text(key: str, default: str | None) -> str | None:
            value = node.try_get_context(key)
            return default if value in (None, "") else str(value)

        def number(key: str, default: int, minimum: int) -> int:
            raw = node.try_get_context(key)
            if raw in (None, ""):
                return default
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"context {key}: expected an integer, got {raw!r}") from None
            if value < minimum:
                raise ConfigError(f"context {key}: must be >= {minimum}, got {value}")
            return value

        oidc = text("eksOidcProviderArn", None)
        if oidc is not None and ":oidc-provider/" not in oidc:
            raise ConfigError(f"context eksOidcProviderArn: not an IAM OIDC provider ARN: {oidc!r}")
        return cls(
            lake_bucket=text("lakeBucket", names.LAKE_BUCKET) or names.LAKE_BUCKET,
            eks_oidc_provider_arn=oidc,
            k8s_namespace=text("k8sNamespace", "tslake") or "tslake",
            k8s_fullname=text("k8sFullname", "tslake") or "tslake",
            stream_retention_hours=number("streamRetentionHours", 24, 24),
            dead_letter_expiration_days=number("deadLetterExpirationDays", 90, 1),
            mwaa_environment_name=text("mwaaEnvironmentName", "tslake") or "tslake",
            mwaa_environment_class=text("mwaaEnvironmentClass", "mw1.small") or "mw1.small",
            mwaa_max_workers=number("mwaaMaxWorkers", 2, 1),
            export_start_date=text("exportStartDate", None),
        )

    @property
    def oidc_issuer(self) -> str | None:
        """`oidc.eks.<region>.amazonaws.com/id/<id>`, the prefix of the IRSA condition keys."""
        if self.eks_oidc_provider_arn is None:
            return None
        return self.eks_oidc_provider_arn.split(":oidc-provider/", 1)[1]

    def service_account(self, service: str) -> str:
        return f"{self.k8s_fullname}-{service}"
