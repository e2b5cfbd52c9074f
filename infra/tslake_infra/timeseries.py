"""The time-series store: Timestream for LiveAnalytics (database `tslake`, tables `raw` and `cep`).

Timestream for LiveAnalytics is closed to new customers since 2025-06-20, and CDK synth warns that the
service is in maintenance mode. Everything store-specific is in this one module: the construct and the
IAM statements the services need (`write_statements`, `query_statements`), so replacing the store means
replacing this file (and `tslake.sinks` on the service side).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_timestream as timestream
from constructs import Construct

from tslake import names

# table -> (memory store hours, magnetic store days), from tslake.names
RETENTION = {
    names.RAW_TABLE: (names.RAW_TABLE_MEMORY_HOURS, names.RAW_TABLE_MAGNETIC_DAYS),
    names.CEP_TABLE: (names.CEP_TABLE_MEMORY_HOURS, names.CEP_TABLE_MAGNETIC_DAYS),
}


class TimeSeriesStore(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.database = timestream.CfnDatabase(self, "Database", database_name=names.TIMESTREAM_DATABASE)
        self.database.apply_removal_policy(RemovalPolicy.RETAIN)
        self.tables: dict[str, timestream.CfnTable] = {}
        for table, (memory_hours, magnetic_days) in RETENTION.items():
            cfn = timestream.CfnTable(
                self,
                f"Table{table.capitalize()}",
                database_name=names.TIMESTREAM_DATABASE,
                table_name=table,
                retention_properties={
                    "MemoryStoreRetentionPeriodInHours": str(memory_hours),
                    "MagneticStoreRetentionPeriodInDays": str(magnetic_days),
                },
                # Readings older than the memory store are dead-lettered by raw-ingest, not written late.
                magnetic_store_write_properties={"EnableMagneticStoreWrites": False},
            )
            cfn.add_resource_dependency(self.database)
            cfn.apply_removal_policy(RemovalPolicy.RETAIN)
            self.tables[table] = cfn
        # Known and documented above; the store stays in one construct until it is replaced.
        Validations.of(self).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::W3697", reason="Timestream for LiveAnalytics is in maintenance mode"
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-TS3",
                reason="encrypted at rest with the AWS-owned key; a customer key adds cost and key policy upkeep",
            ),
        )


def _table_arn(scope: Construct, table: str) -> str:
    return Stack.of(scope).format_arn(
        service="timestream", resource="database", resource_name=f"{names.TIMESTREAM_DATABASE}/table/{table}"
    )


def _endpoints() -> iam.PolicyStatement:
    # Timestream's SDK discovers its cell endpoint first; the action has no resource-level permissions.
    return iam.PolicyStatement(actions=["timestream:DescribeEndpoints"], resources=["*"])


def write_statements(scope: Construct, table: str) -> list[iam.PolicyStatement]:
    """WriteRecords into one table (raw-ingest: raw; cep-ingest: cep)."""
    return [
        _endpoints(),
        iam.PolicyStatement(
            actions=["timestream:WriteRecords", "timestream:DescribeTable"], resources=[_table_arn(scope, table)]
        ),
    ]


def query_statements(scope: Construct, tables: list[str]) -> list[iam.PolicyStatement]:
    """SELECT over some tables (the exporter and the MWAA DAG)."""
    return [
        _endpoints(),
        iam.PolicyStatement(
            actions=["timestream:Select", "timestream:DescribeTable"],
            resources=[_table_arn(scope, table) for table in tables],
        ),
        # Query calls that are not tied to one table (e.g. cancelling a query, the query endpoint check).
        iam.PolicyStatement(actions=["timestream:SelectValues", "timestream:CancelQuery"], resources=["*"]),
    ]
