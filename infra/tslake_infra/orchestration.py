"""Amazon MWAA (Airflow 3.0.6) running the exporter DAGs: DAG bucket, upload, execution role, VPC, variables.

MWAA is the seed's scheduler for the 5-minute export; the Helm chart's exporter CronJob does the same job
on Kubernetes, so deploy one of the two. The DAGs read their settings as Airflow Variables, served from
Secrets Manager (`airflow/variables/<name>`), which this construct writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import ArnFormat, CfnOutput, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_mwaa as mwaa
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from tslake import names
from tslake_infra import lake, nag, timeseries
from tslake_infra.config import InfraConfig

AIRFLOW_VERSION = "3.0.6"
REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "services" / "exporter" / "dags"
TSLAKE_PACKAGE = REPO_ROOT / "src" / "tslake"
REQUIREMENTS_DIR = Path(__file__).resolve().parents[1] / "mwaa"
CRAWLER_NAME = "tslake-lake"
EXCLUDE = ["__pycache__", "*.pyc", "**/__pycache__/**"]


class Orchestration(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        env_name = config.mwaa_environment_name

        # MWAA needs two private subnets in two AZs with a way out (NAT) and a self-referencing group.
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
            ],
        )
        self.vpc.add_flow_log("FlowLog", traffic_type=ec2.FlowLogTrafficType.REJECT)
        self.security_group = ec2.SecurityGroup(self, "MwaaSecurityGroup", vpc=self.vpc, allow_all_outbound=True)
        self.security_group.add_ingress_rule(self.security_group, ec2.Port.all_traffic(), "MWAA components")

        self.dag_bucket = s3.Bucket(
            self,
            "DagBucket",
            versioned=True,  # MWAA requires a versioned source bucket
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            # Only code lives here, all of it in git: the bucket goes with the stack.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        nag.acknowledge(self.dag_bucket, "S1", "holds only code from git; uploads are in CloudTrail")
        # prune=False everywhere: the three uploads share the bucket and must not delete each other's files.
        dags = s3deploy.BucketDeployment(
            self,
            "Dags",
            sources=[
                s3deploy.Source.asset(str(DAGS_DIR), exclude=EXCLUDE),
                # The scheduler must not parse the library as DAG files.
                s3deploy.Source.data(".airflowignore", "tslake/\n"),
            ],
            destination_bucket=self.dag_bucket,
            destination_key_prefix="dags/",
            prune=False,
        )
        library = s3deploy.BucketDeployment(
            self,
            "TslakeLibrary",
            sources=[s3deploy.Source.asset(str(TSLAKE_PACKAGE), exclude=EXCLUDE)],
            destination_bucket=self.dag_bucket,
            destination_key_prefix="dags/tslake/",
            prune=False,
        )
        requirements = s3deploy.BucketDeployment(
            self,
            "Requirements",
            sources=[s3deploy.Source.asset(str(REQUIREMENTS_DIR))],
            destination_bucket=self.dag_bucket,
            prune=False,
        )

        self.crawler_role = iam.Role(
            self,
            "CrawlerRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSGlueServiceRole")],
            inline_policies={
                "lake": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["s3:GetObject", "s3:ListBucket"],
                            resources=[
                                f"arn:{stack.partition}:s3:::{config.lake_bucket}",
                                f"arn:{stack.partition}:s3:::{config.lake_bucket}/{names.INTERPOLATED_PREFIX}*",
                                f"arn:{stack.partition}:s3:::{config.lake_bucket}/{names.CEP_EXPORT_PREFIX}*",
                            ],
                        )
                    ]
                )
            },
        )

        variables = {
            "tslake_lake_bucket": config.lake_bucket,
            "tslake_glue_crawler_name": CRAWLER_NAME,
            "tslake_glue_crawler_role": self.crawler_role.role_arn,
            "tslake_glue_database": names.GLUE_DATABASE,
        }
        for name, value in variables.items():
            variable = secretsmanager.Secret(
                self,
                f"Variable_{name}",
                secret_name=f"airflow/variables/{name}",
                description=f"Airflow Variable {name} for the tslake DAGs (not a secret)",
                secret_string_value=SecretValue.unsafe_plain_text(value),
            )
            nag.acknowledge(variable, "SMG4", "an Airflow Variable (a name or ARN), not a credential")

        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("airflow.amazonaws.com"), iam.ServicePrincipal("airflow-env.amazonaws.com")
            ),
            inline_policies={
                "mwaa": iam.PolicyDocument(statements=self._mwaa_statements(env_name)),
                "tslake": iam.PolicyDocument(
                    statements=[
                        *timeseries.query_statements(self, [names.RAW_TABLE, names.CEP_TABLE]),
                        *lake.export_statements(self, config.lake_bucket),
                        *self._crawler_statements(),
                    ]
                ),
            },
        )

        nag.acknowledge(
            self.crawler_role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole]",
            "AWSGlueServiceRole is the documented crawler policy",
        )
        nag.acknowledge_wildcards(self.crawler_role, "reads the export prefixes of the lake bucket only")
        nag.acknowledge_wildcards(
            self.execution_role,
            "the MWAA execution policy from the MWAA user guide (its log groups, Celery queues, Airflow "
            "secrets and DAG bucket) plus the exporter's lake prefixes and Glue tables",
        )
        # The BucketDeployment handler is a CDK-managed singleton Lambda.
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                reason = "the CDK BucketDeployment handler, managed by aws-cdk-lib"
                nag.acknowledge(child, "L1", reason)
                nag.acknowledge(
                    child,
                    "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                    reason,
                )
                nag.acknowledge_wildcards(child, reason)

        options = {
            "secrets.backend": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
            "secrets.backend_kwargs": json.dumps(
                {"connections_prefix": "airflow/connections", "variables_prefix": "airflow/variables"}
            ),
        }
        if config.export_start_date:
            options["tslake.export_start_date"] = config.export_start_date

        module_logs = {"enabled": True, "log_level": "INFO"}
        self.environment = mwaa.CfnEnvironment(
            self,
            "Environment",
            name=env_name,
            airflow_version=AIRFLOW_VERSION,
            environment_class=config.mwaa_environment_class,
            max_workers=config.mwaa_max_workers,
            min_workers=1,
            source_bucket_arn=self.dag_bucket.bucket_arn,
            dag_s3_path="dags",
            requirements_s3_path="requirements.txt",
            execution_role_arn=self.execution_role.role_arn,
            webserver_access_mode="PRIVATE_ONLY",
            network_configuration=mwaa.CfnEnvironment.NetworkConfigurationProperty(
                subnet_ids=[subnet.subnet_id for subnet in self.vpc.private_subnets],
                security_group_ids=[self.security_group.security_group_id],
            ),
            logging_configuration=mwaa.CfnEnvironment.LoggingConfigurationProperty(
                dag_processing_logs=module_logs,
                scheduler_logs=module_logs,
                task_logs=module_logs,
                webserver_logs={"enabled": True, "log_level": "WARNING"},
                worker_logs={"enabled": True, "log_level": "WARNING"},
            ),
            airflow_configuration_options=options,
        )
        # The environment reads the DAGs and requirements when it is created or updated.
        for upload in (dags, library, requirements):
            self.environment.node.add_dependency(upload)
        self.environment.node.add_dependency(self.execution_role)
        CfnOutput(scope, "MwaaEnvironmentName", value=env_name)
        CfnOutput(scope, "DagBucketName", value=self.dag_bucket.bucket_name)

    def _mwaa_statements(self, env_name: str) -> list[iam.PolicyStatement]:
        """The execution role policy from the MWAA user guide, scoped to this environment and bucket."""
        stack = Stack.of(self)
        return [
            iam.PolicyStatement(
                actions=["airflow:PublishMetrics"],
                resources=[stack.format_arn(service="airflow", resource="environment", resource_name=env_name)],
            ),
            iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]),
            iam.PolicyStatement(
                actions=["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                resources=[self.dag_bucket.bucket_arn, self.dag_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:GetLogRecord",
                    "logs:GetLogGroupFields",
                    "logs:GetQueryResults",
                ],
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"airflow-{env_name}-*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(actions=["logs:DescribeLogGroups", "cloudwatch:PutMetricData"], resources=["*"]),
            iam.PolicyStatement(
                actions=[
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                    "sqs:SendMessage",
                ],
                resources=[f"arn:{stack.partition}:sqs:{stack.region}:*:airflow-celery-*"],
            ),
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
                not_resources=[f"arn:{stack.partition}:kms:*:{stack.account}:key/*"],
                conditions={"StringLike": {"kms:ViaService": [f"sqs.{stack.region}.amazonaws.com"]}},
            ),
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[
                    stack.format_arn(
                        service="secretsmanager",
                        resource="secret",
                        resource_name=f"airflow/{kind}/*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                    for kind in ("variables", "connections")
                ],
            ),
        ]

    def _crawler_statements(self) -> list[iam.PolicyStatement]:
        """GlueCrawlerOperator creates or updates the crawler from its config, then starts it."""
        stack = Stack.of(self)
        return [
            iam.PolicyStatement(
                actions=[
                    "glue:GetCrawler",
                    "glue:CreateCrawler",
                    "glue:UpdateCrawler",
                    "glue:StartCrawler",
                    "glue:GetCrawlerMetrics",
                    "glue:TagResource",
                ],
                resources=[stack.format_arn(service="glue", resource="crawler", resource_name=CRAWLER_NAME)],
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.crawler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
            ),
        ]
