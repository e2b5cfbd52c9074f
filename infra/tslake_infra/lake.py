"""The S3 data lake: exports (interpolated/, cep/), dead letters (dead-letter/), master data; its Glue database."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from tslake import names
from tslake_infra import nag


class DataLake(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bucket_name: str, dead_letter_days: int) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(id="expire", expiration=Duration.days(365))],
        )
        nag.acknowledge(self.access_logs, "S1", "this is the access log bucket")
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,  # a bucket policy denying every non-TLS request
            minimum_tls_version=1.2,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="lake/",
            # Versioned, so an export that replaces a window keeps the old files for a while.
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="dead-letter",
                    prefix=names.DEAD_LETTER_PREFIX,
                    # Bad records are kept long enough to be inspected and replayed, then dropped.
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(30)
                        )
                    ]
                    if dead_letter_days > 30
                    else None,
                    expiration=Duration.days(dead_letter_days),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(id="noncurrent-versions", noncurrent_version_expiration=Duration.days(30)),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
            ],
        )
        self.glue_database = glue.CfnDatabase(
            self,
            "GlueDatabase",
            catalog_id=self.bucket.stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=names.GLUE_DATABASE, description="tslake data lake: interpolated readings and CEP events"
            ),
        )
        # Tables and partitions registered by the exporter and the crawler live in it.
        self.glue_database.apply_removal_policy(RemovalPolicy.RETAIN)


def _objects(scope: Construct, bucket: str, prefix: str) -> str:
    return f"arn:{Stack.of(scope).partition}:s3:::{bucket}/{prefix}*"


def dead_letter_statements(scope: Construct, bucket: str, service: str) -> list[iam.PolicyStatement]:
    """Write-only under `dead-letter/<service>/` (see tslake.names.dead_letter_key)."""
    prefix = f"{names.DEAD_LETTER_PREFIX}{service}/"
    return [iam.PolicyStatement(actions=["s3:PutObject"], resources=[_objects(scope, bucket, prefix)])]


def export_statements(scope: Construct, bucket: str) -> list[iam.PolicyStatement]:
    """The exporter replaces a window's files: list, read, write and delete under the export prefixes."""
    prefixes = [names.INTERPOLATED_PREFIX, names.CEP_EXPORT_PREFIX]
    stack = Stack.of(scope)
    catalog = stack.format_arn(service="glue", resource="catalog")
    database = stack.format_arn(service="glue", resource="database", resource_name=names.GLUE_DATABASE)
    tables = stack.format_arn(service="glue", resource="table", resource_name=f"{names.GLUE_DATABASE}/*")
    return [
        iam.PolicyStatement(
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            resources=[_objects(scope, bucket, prefix) for prefix in prefixes],
        ),
        iam.PolicyStatement(
            actions=["s3:ListBucket", "s3:GetBucketLocation"],
            resources=[f"arn:{stack.partition}:s3:::{bucket}"],
            conditions={"StringLike": {"s3:prefix": ["", *(f"{prefix}*" for prefix in prefixes)]}},
        ),
        # Optional Glue registration of tables and partitions (TSLAKE_GLUE_DATABASE).
        iam.PolicyStatement(
            actions=[
                "glue:GetDatabase",
                "glue:CreateDatabase",
                "glue:GetTable",
                "glue:CreateTable",
                "glue:UpdateTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:CreatePartition",
                "glue:BatchCreatePartition",
                "glue:UpdatePartition",
            ],
            resources=[catalog, database, tables],
        ),
    ]
