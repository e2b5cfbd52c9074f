"""What the KCL consumers keep in DynamoDB: KCL lease tables (one per application, created by the KCL at
start-up) and the CEP engine's per-shard state table (created here, so `tslake cep` needs no CreateTable).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from tslake import names


class CepStateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # Key schema as tslake.cep.state.dynamodb creates it when allowed to.
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=names.CEP_STATE_TABLE,
            partition_key=dynamodb.Attribute(name="shard_key", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )


def _table_arn(scope: Construct, table: str) -> str:
    return Stack.of(scope).format_arn(service="dynamodb", resource="table", resource_name=table)


def lease_statements(scope: Construct, application: str) -> list[iam.PolicyStatement]:
    """The KCL's lease table `<application>` (and KCL 3's `<application>-*` tables), created on first start."""
    tables = [_table_arn(scope, application), _table_arn(scope, f"{application}-*")]
    return [
        iam.PolicyStatement(
            actions=[
                "dynamodb:CreateTable",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Scan",
                "dynamodb:Query",
            ],
            resources=[*tables, *(f"{table}/index/*" for table in tables)],
        ),
        # KCL's own CloudWatch metrics (metricsLevel); PutMetricData has no resource-level permissions.
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": application}},
        ),
    ]


def cep_state_statements(scope: Construct) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            actions=["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            resources=[_table_arn(scope, names.CEP_STATE_TABLE)],
        )
    ]
